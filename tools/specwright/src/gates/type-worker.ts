/**
 * The type checks run in a process of their own. A TypeScript program over a spec and its tests holds the libraries
 * it reaches (@types/node, vitest's types …: ~60 MB of a gate process's ~100 MB live heap), every check leaves a
 * checker behind as garbage, and V8 compiling the checker's hot functions takes memory outside the heap in bursts.
 * In the gate process (Nx's batch process for verify-spec, the CLI for generate) that stacked on top of everything
 * else the run holds; here the gate process keeps none of it, and the checks run beside the other gates on another
 * core instead of blocking the gate process while they last.
 *
 * Nothing of the candidate runs here (the compiler only reads it), so the process is not sandboxed; it dies with the
 * gate process however that ends (the IPC channel closes, and the reaper kills it after a `kill -9`). Requests are
 * answered in order, one at a time, so a check's program stays valid until its findings are made. A crash fails the
 * checks in flight with its cause, and the next check starts a new process.
 */
import { type ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';
import type { Finding } from '../types';
import { track, untrack } from './reaper';
import type { TypeChecks, TypecheckSubject } from './type-service';

/** The process's entry (CommonJS: it loads type-worker-main through bin/entry.cjs, source or built). */
const WORKER_ENTRY = path.join(__dirname, 'type-worker-entry.cjs');

/** How long `dispose` waits for the process to exit after its channel closed, before it kills it. */
const EXIT_GRACE_MS = 2000;

type TypeCheckAsk = { kind: 'alone'; subject: TypecheckSubject } | { kind: 'together'; subjects: readonly TypecheckSubject[] };
export type TypeCheckRequest = { seq: number } & TypeCheckAsk;
export type TypeCheckReply = { seq: number } & ({ ok: true; result: Finding[] | Map<string, Finding[]> | undefined } | { ok: false; error: string });

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

/** The checks in the type-check process, started on first use. */
export class TypeCheckWorker implements TypeChecks {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private stderr = '';
  /** Processes started (a crash makes the next check start another). */
  started = 0;

  constructor(private readonly workspaceRoot: string) {}

  check(subject: TypecheckSubject): Promise<Finding[]> {
    return this.request({ kind: 'alone', subject }) as Promise<Finding[]>;
  }

  checkTogether(subjects: readonly TypecheckSubject[]): Promise<Map<string, Finding[]> | undefined> {
    return this.request({ kind: 'together', subjects }) as Promise<Map<string, Finding[]> | undefined>;
  }

  /** The process's pid while it runs (for tests and diagnostics). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async dispose(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.ref();
    if (child.connected) child.disconnect();
    const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  private request(request: TypeCheckAsk): Promise<unknown> {
    const child = (this.child ??= this.start());
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      // busy: the check keeps the gate process alive
      child.ref();
      child.channel?.ref();
      child.send({ ...request, seq }, (error) => {
        if (error) this.settle(seq)?.reject(new Error(`the type-check process did not take the check: ${error.message}`));
      });
    });
  }

  private settle(seq: number): Pending | undefined {
    const pending = this.pending.get(seq);
    this.pending.delete(seq);
    if (this.pending.size === 0 && this.child) {
      // idle: never keep the gate process alive for its sake
      this.child.unref();
      this.child.channel?.unref();
    }
    return pending;
  }

  private start(): ChildProcess {
    this.stderr = '';
    const child = fork(WORKER_ENTRY, [this.workspaceRoot], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [] });
    this.started++;
    track(child.pid);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-2000);
    });
    child.on('message', (reply: TypeCheckReply) => {
      const pending = this.settle(reply.seq);
      if (!pending) return;
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(new Error(reply.error));
    });
    const gone = (cause: string): void => {
      untrack(child.pid);
      if (this.child === child) this.child = undefined;
      const error = new Error(`the type-check process ${cause}${this.stderr.trim() ? `: ${this.stderr.trim().split('\n').slice(-5).join(' | ')}` : ''}`);
      for (const seq of [...this.pending.keys()]) this.settle(seq)?.reject(error);
    };
    child.on('exit', (code, signal) => gone(`exited (${signal ?? `code ${code}`})`));
    child.on('error', (error) => gone(`failed: ${error.message}`));
    return child;
  }
}
