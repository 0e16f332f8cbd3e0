/**
 * The worker: the parent's handle on one sandbox child (one per spec per attempt), spoken to over an IPC channel
 * (structured clone, so `undefined`, NaN and -0 survive). The child is `runner.cjs` of this folder, spawned by path.
 * Every call has a wall-clock budget; when it runs out the child is SIGKILLed, the call is reported as timed out and
 * the next call starts a fresh child. The child gets `--max-old-space-size`, a PATH-only environment,
 * `--disallow-code-generation-from-strings`, and Node's permission model where available (reads limited to the
 * staging dir and node_modules, no child processes or workers unless granted).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import type { Capability } from '../../types';
import { track, untrack } from '../reaper';
import { minimalEnv, permissionFlag } from '../util';
import type { StagedCode } from './staging';

/** The child's script, a real file beside this module (spawned by path, never from a string). */
export const RUNNER_FILE = path.join(__dirname, 'runner.cjs');

export interface ThrownError {
  name?: string;
  message?: string;
  /** Constructor names from the error's prototype chain, most specific first (e.g. MyError, RangeError, Error). */
  chain: string[];
  stack?: string;
  /** `typeof` of a thrown non-object (e.g. `throw 'x'`). */
  thrown?: string;
  /** `file:line:col` of the first stack frame in the candidate's code (workspace-relative, source-mapped). */
  at?: string;
}

/** What the child saw around a call of a pure export (`checks.purity`): each is the path of the first difference. */
export interface PurityReport {
  /** The call changed its arguments, e.g. `args[0][2]`. */
  mutated?: string;
  /** The same call made again returned an object that is also part of the first result (one object for all callers). */
  shared?: string;
  /** The same call made again returned a different value. */
  nondeterministic?: string;
}

/** An invariant that did not hold after the call (or threw while being checked). */
export interface InvariantFailure {
  name: string;
  error?: string;
}

/** Checks the child makes around one call. */
export interface CallChecks {
  purity?: boolean;
  invariants?: boolean;
}

export interface WorkerOptions {
  /** Variables added to the child's PATH-only environment (the purity gate's second locale/time zone run). */
  env?: Record<string, string>;
  /** The staged code belongs to another worker on the same staging: close() leaves it. */
  sharedCode?: boolean;
}

export type CallOutcome =
  | { kind: 'returned'; value: unknown; ms: number; cpuMs?: number; unserializable?: string; purity?: PurityReport; invariants?: InvariantFailure[] }
  | { kind: 'threw'; error: ThrownError; ms: number; purity?: PurityReport }
  | { kind: 'timeout'; ms: number }
  | { kind: 'crashed'; message: string }
  | { kind: 'missing'; message: string };

export interface SandboxSettings {
  /** Wall-clock budget of one call (ms). */
  callTimeoutMs: number;
  /** Budget for starting the child and loading the candidate (ms). */
  loadTimeoutMs: number;
  /** `--max-old-space-size` of the child (MB). */
  maxOldSpaceMb: number;
  /** How many times a worker restarts its child (after timeouts or crashes) before giving up. */
  maxRestarts: number;
}

export const DEFAULT_SANDBOX_SETTINGS: SandboxSettings = { callTimeoutMs: 2000, loadTimeoutMs: 10000, maxOldSpaceMb: 256, maxRestarts: 8 };

type Ready = { ok: true; exports: string[] } | { ok: false; message: string };

interface ChildMessage {
  t: string;
  id?: number;
  ok?: boolean;
  value?: unknown;
  error?: ThrownError;
  ms?: number;
  missing?: boolean;
  available?: string[];
  unserializable?: string;
  exports?: string[];
  errors?: Array<{ module: string; error: ThrownError }>;
  purity?: PurityReport;
  invariants?: InvariantFailure[];
  cpuMs?: number;
}

export class SandboxWorker {
  private child?: ChildProcess;
  private ready?: Promise<Ready>;
  /** A failure to load is deterministic: remembered, not retried. */
  private loadFailure?: string;
  private sequence = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private output = '';
  private listener?: (message: ChildMessage) => void;
  private exitListener?: (code: number | null, signal: NodeJS.Signals | null) => void;
  private closed = false;
  /** Children started so far (1 unless calls timed out or crashed). */
  spawned = 0;

  constructor(
    readonly code: StagedCode,
    private readonly settings: SandboxSettings,
    private readonly capabilities: readonly Capability[] = [],
    private readonly workspaceRoot?: string,
    private readonly workerOptions: WorkerOptions = {},
  ) {}

  /** The pid of the current child, if one runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Calls an export of the candidate with `args`. Calls are queued: one at a time per worker. */
  call(name: string, args: unknown[], timeoutMs = this.settings.callTimeoutMs, checks?: CallChecks): Promise<CallOutcome> {
    const next = this.chain.then(() => this.callNow(name, args, timeoutMs, checks));
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** The functions the candidate exports (after loading), or the load failure. */
  async exports(): Promise<Ready> {
    return this.chain.then(() => this.ensure());
  }

  private args(): string[] {
    const args = [`--max-old-space-size=${this.settings.maxOldSpaceMb}`, '--disallow-code-generation-from-strings', '--enable-source-maps'];
    if (process.allowedNodeEnvironmentFlags.has('--disable-warning')) args.push('--disable-warning=ExperimentalWarning');
    const permission = permissionFlag();
    if (permission) {
      args.push(permission);
      const grants = new Set([...this.code.readGrants, RUNNER_FILE]);
      if (this.capabilities.includes('fs') && this.workspaceRoot) grants.add(this.workspaceRoot);
      for (const grant of grants) args.push(`--allow-fs-read=${grant}`);
      if (this.capabilities.includes('child_process')) args.push('--allow-child-process', '--allow-worker');
    }
    args.push(RUNNER_FILE);
    return args;
  }

  private ensure(): Promise<Ready> {
    if (this.loadFailure) return Promise.resolve({ ok: false, message: this.loadFailure });
    if (this.closed) return Promise.resolve({ ok: false, message: 'sandbox closed' });
    if (this.child && this.ready) return this.ready;
    if (this.spawned > this.settings.maxRestarts) {
      return Promise.resolve({ ok: false, message: `sandbox gave up after restarting ${this.settings.maxRestarts} times` });
    }
    this.spawned++;
    this.output = '';
    const child = spawn(process.execPath, this.args(), {
      cwd: this.code.dir,
      env: { ...minimalEnv(), ...this.workerOptions.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    this.child = child;
    track(child.pid);
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('message', (message: ChildMessage) => this.listener?.(message));
    child.on('exit', (code, signal) => {
      untrack(child.pid);
      // A child we killed (timeout) is no longer current: its exit must not reach the listeners of its successor.
      if (this.child !== child) return;
      this.child = undefined;
      this.ready = undefined;
      this.exitListener?.(code, signal);
    });
    child.on('error', () => {
      /* reported through exit */
    });
    this.ready = new Promise<Ready>((resolve) => {
      const timer = setTimeout(() => {
        this.loadFailure = `loading the candidate took longer than ${this.settings.loadTimeoutMs} ms (a top-level infinite loop?); the sandbox was killed`;
        this.kill();
        resolve({ ok: false, message: this.loadFailure });
      }, this.settings.loadTimeoutMs);
      this.exitListener = (code, signal) => {
        clearTimeout(timer);
        resolve({ ok: false, message: `the sandbox exited while loading the candidate (${signal ?? `code ${code}`})${this.tail()}` });
      };
      this.listener = (message) => {
        if (message.t === 'ready') {
          child.send({ t: 'load', modules: this.code.entries, invariants: this.code.invariants });
        } else if (message.t === 'loaded') {
          clearTimeout(timer);
          this.exitListener = undefined;
          this.listener = undefined;
          if (message.errors && message.errors.length > 0) {
            const first = message.errors[0]!;
            const error = this.mapError(first.error);
            this.loadFailure = `loading ${this.code.sources.get(first.module) ?? first.module} threw ${error.name ?? 'a value'}: ${error.message ?? ''}${error.at ? ` at ${error.at}` : ''}`;
            resolve({ ok: false, message: this.loadFailure });
          } else resolve({ ok: true, exports: message.exports ?? [] });
        }
      };
    });
    return this.ready;
  }

  private async callNow(name: string, args: unknown[], timeoutMs: number, checks?: CallChecks): Promise<CallOutcome> {
    const ready = await this.ensure();
    if (!ready.ok) return { kind: 'crashed', message: ready.message };
    const child = this.child;
    if (!child) return { kind: 'crashed', message: `the sandbox exited${this.tail()}` };
    const id = ++this.sequence;
    return new Promise<CallOutcome>((resolve) => {
      const finish = (outcome: CallOutcome): void => {
        clearTimeout(timer);
        this.listener = undefined;
        this.exitListener = undefined;
        resolve(outcome);
      };
      const timer = setTimeout(() => {
        this.kill();
        finish({ kind: 'timeout', ms: timeoutMs });
      }, timeoutMs);
      this.exitListener = (code, signal) => finish({ kind: 'crashed', message: `the sandbox exited during the call (${signal ?? `code ${code}`})${this.tail()}` });
      this.listener = (message) => {
        if (message.t !== 'result' || message.id !== id) return;
        if (message.missing) {
          finish({ kind: 'missing', message: `the candidate does not export a function '${name}' (it exports: ${(message.available ?? []).join(', ') || 'none'})` });
        } else if (message.ok) {
          finish({
            kind: 'returned',
            value: message.value,
            ms: message.ms ?? 0,
            ...(message.cpuMs !== undefined ? { cpuMs: message.cpuMs } : {}),
            ...(message.unserializable ? { unserializable: message.unserializable } : {}),
            ...(message.purity ? { purity: message.purity } : {}),
            ...(message.invariants ? { invariants: message.invariants } : {}),
          });
        } else finish({ kind: 'threw', error: this.mapError(message.error ?? { chain: [] }), ms: message.ms ?? 0, ...(message.purity ? { purity: message.purity } : {}) });
      };
      try {
        child.send({ t: 'call', id, name, args, ...(checks ? { checks } : {}) });
      } catch (error) {
        finish({ kind: 'crashed', message: `could not send the call to the sandbox: ${String(error)}` });
      }
    });
  }

  /** Maps staged paths in the error's stack back to workspace-relative ones and picks the first candidate frame. */
  private mapError(error: ThrownError): ThrownError {
    const codeRoot = path.join(this.code.dir, 'ws') + path.sep;
    let stack = error.stack;
    let at: string | undefined;
    if (stack) {
      stack = stack.split(codeRoot).join('');
      const frame = /\(?((?:[^\s()]+)\.(?:ts|tsx|mts|cts|js)):(\d+):(\d+)\)?/.exec(stack.split('\n').slice(1).join('\n'));
      if (frame && !frame[1]!.startsWith('node:') && !path.isAbsolute(frame[1]!)) at = `${frame[1]}:${frame[2]}:${frame[3]}`;
    }
    return { ...error, ...(stack ? { stack } : {}), ...(at ? { at } : {}) };
  }

  private tail(): string {
    const text = this.output.trim().split('\n').filter((l) => !/ExperimentalWarning|--trace-warnings/.test(l)).slice(-5).join(' | ');
    return text ? `: ${text.slice(-500)}` : '';
  }

  private kill(): void {
    const child = this.child;
    this.child = undefined;
    this.ready = undefined;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    this.kill();
    if (child && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        setTimeout(resolve, 1000);
      });
    }
    if (!this.workerOptions.sharedCode) await this.code.dispose();
  }
}
