/**
 * The worker: the parent's handle on one sandbox child (one per spec per attempt), spoken to over an IPC channel
 * (structured clone, so `undefined`, NaN and -0 survive). The child is `runner.cjs` of this folder, spawned by path.
 * Every call has a wall-clock budget; when it runs out the child is SIGKILLed, the call is reported as timed out and
 * the next call starts a fresh child — the whole process group is killed. The child runs under every isolation
 * layer of `./isolation.ts` (namespaces, permission model, lockdown preload — which also reports patched built-ins —,
 * no code from strings, heap cap, PATH-only environment). What the lockdown denied during a call turns the call's outcome
 * into a `SandboxDenied` throw naming the capability, even when the candidate caught the denial itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import type { Capability } from '../../types';
import { track, untrack } from '../reaper';
import { capabilityAdvice, deniedCapability, describeDenial, scrubCandidateText, type Denial } from './denials';
import { detectIsolation, killGroup, nodeIsolationFlags, sandboxEnv, wrapCommand } from './isolation';
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
  /** The error's `code` (e.g. ERR_ACCESS_DENIED, ERR_SANDBOX_DENIED). */
  code?: string;
  /** Set when the sandbox denied something: the capability the spec would have to grant ('never' if none can). */
  capability?: string;
  /** Node permission model: which permission was missing. */
  permission?: string;
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

/** One call of a batch (`callMany`). */
export interface PlannedCall {
  name: string;
  args: unknown[];
  checks?: CallChecks;
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
  /** The position of the call in its batch. */
  index?: number;
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
  denials?: Denial[];
}

export interface SandboxWorkerOptions {
  /** The spec is `pure`: timers are denied unless granted. */
  pure?: boolean;
  /** Variables added to the child's environment (the purity gate's second locale/time zone run). */
  env?: Record<string, string>;
  /** The staged code belongs to another worker on the same staging: close() leaves it. */
  sharedCode?: boolean;
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
  /** Told when the candidate hangs while loading (the pool marks the input, so later gates skip it). */
  onHang?: (description: string) => void;

  constructor(
    readonly code: StagedCode,
    private readonly settings: SandboxSettings,
    private readonly capabilities: readonly Capability[] = [],
    private readonly workspaceRoot?: string,
    private readonly options: SandboxWorkerOptions = {},
  ) {}

  /** The staged candidate's own code folder: the lockdown reports env reads from there; stacks are mapped from it. */
  private get codeRoot(): string {
    return path.join(this.code.dir, 'ws');
  }

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

  /**
   * Makes many calls with one message: the child answers each call as soon as it ends, so there is no round trip
   * between calls. Every call keeps its own wall-clock budget (timed from the answer before it). The outcomes come
   * back in order and stop at the first timeout or crash: that outcome is the last one, the calls after it did not
   * run (the next call starts a fresh child).
   */
  callMany(calls: readonly PlannedCall[], timeoutMs = this.settings.callTimeoutMs): Promise<CallOutcome[]> {
    const next = this.chain.then(() => this.callManyNow(calls, timeoutMs));
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** `callMany` for one export and its checks. */
  callBatch(name: string, argsList: readonly unknown[][], timeoutMs = this.settings.callTimeoutMs, checks?: CallChecks): Promise<CallOutcome[]> {
    return this.callMany(
      argsList.map((args) => ({ name, args, ...(checks ? { checks } : {}) })),
      timeoutMs,
    );
  }

  /**
   * Every call's outcome, as if each were made alone: batches of `callMany`, a fresh batch after a crash (and after
   * a timeout unless `stopAtTimeout`, where the outcomes end with the timeout).
   */
  async callEach(calls: readonly PlannedCall[], options: { timeoutMs?: number; stopAtTimeout?: boolean; batchSize?: number } = {}): Promise<CallOutcome[]> {
    const outcomes: CallOutcome[] = [];
    const size = options.batchSize ?? 64;
    while (outcomes.length < calls.length) {
      const got = await this.callMany(calls.slice(outcomes.length, outcomes.length + size), options.timeoutMs);
      outcomes.push(...got);
      const last = got[got.length - 1];
      if (got.length === 0 || (last?.kind === 'timeout' && options.stopAtTimeout)) break;
      if (last?.kind === 'crashed' && this.spawned > this.settings.maxRestarts) break;
    }
    return outcomes;
  }

  /** The functions the candidate exports (after loading), or the load failure. */
  async exports(): Promise<Ready> {
    return this.chain.then(() => this.ensure());
  }

  private args(): string[] {
    const reads = [...this.code.readGrants, RUNNER_FILE];
    if (this.capabilities.includes('fs') && this.workspaceRoot) reads.push(this.workspaceRoot);
    return [
      ...nodeIsolationFlags({
        isolation: detectIsolation(),
        reads,
        writes: this.capabilities.includes('fs') ? [this.code.dir] : [],
        capabilities: this.capabilities,
        maxOldSpaceMb: this.settings.maxOldSpaceMb,
        // the lockdown reports patched built-ins after every call instead: --frozen-intrinsics costs every start
        frozenIntrinsics: false,
      }),
      '--enable-source-maps',
      RUNNER_FILE,
    ];
  }

  /** The current child has said 'ready' (the runner is up; the candidate is not loaded before the first call). */
  private childReady = false;

  /**
   * Starts the child ahead of the first call (while the types and safety gates run), without loading the candidate:
   * the isolation layers cost tens of milliseconds per start, hidden this way. No candidate code runs until a call.
   */
  prewarm(): void {
    if (this.child || this.loadFailure || this.closed || this.spawned > this.settings.maxRestarts) return;
    this.spawnChild();
  }

  private ensure(): Promise<Ready> {
    if (this.loadFailure) return Promise.resolve({ ok: false, message: this.loadFailure });
    if (this.closed) return Promise.resolve({ ok: false, message: 'sandbox closed' });
    if (this.child && this.ready) return this.ready;
    if (!this.child) {
      if (this.spawned > this.settings.maxRestarts) {
        return Promise.resolve({ ok: false, message: `sandbox gave up after restarting ${this.settings.maxRestarts} times` });
      }
      this.spawnChild();
    }
    const child = this.child!;
    this.ready = new Promise<Ready>((resolve) => {
      const timer = setTimeout(() => {
        this.loadFailure = `loading the candidate took longer than ${this.settings.loadTimeoutMs} ms (a top-level infinite loop?); the sandbox was killed`;
        this.kill();
        this.onHang?.('loading its modules (top level)');
        resolve({ ok: false, message: this.loadFailure });
      }, this.settings.loadTimeoutMs);
      this.exitListener = (code, signal) => {
        clearTimeout(timer);
        resolve({ ok: false, message: `the sandbox exited while loading the candidate (${signal ?? `code ${code}`})${this.tail()}` });
      };
      const load = (): void => {
        try {
          child.send({ t: 'load', modules: this.code.entries, invariants: this.code.invariants });
        } catch {
          /* reported through exit */
        }
      };
      this.listener = (message) => {
        if (message.t === 'ready') {
          load();
        } else if (message.t === 'loaded') {
          clearTimeout(timer);
          this.exitListener = undefined;
          this.listener = undefined;
          const denied = message.denials ?? [];
          if (message.errors && message.errors.length > 0) {
            const first = message.errors[0]!;
            const error = this.mapError(first.error);
            const module = this.code.sources.get(first.module) ?? first.module;
            this.loadFailure =
              error.capability !== undefined
                ? `loading ${module}: ${error.message ?? ''}${error.at ? ` at ${error.at}` : ''}`
                : `loading ${module} threw ${error.name ?? 'a value'}: ${error.message ?? ''}${error.at ? ` at ${error.at}` : ''}`;
            if (denied.length > 0 && error.capability === undefined) this.loadFailure += `; ${this.describeDenials(denied)}`;
            resolve({ ok: false, message: this.loadFailure });
          } else if (denied.length > 0) {
            // denied while loading, and the candidate swallowed it: still a finding, and deterministic
            this.loadFailure = `loading the candidate: ${this.describeDenials(denied)}`;
            resolve({ ok: false, message: this.loadFailure });
          } else resolve({ ok: true, exports: message.exports ?? [] });
        }
      };
      if (this.childReady) load();
    });
    return this.ready;
  }

  /** Starts a child (the runner, under every isolation layer); it says 'ready' and waits for 'load'. */
  private spawnChild(): void {
    this.spawned++;
    this.childReady = false;
    this.output = '';
    // no write is granted to the runner (unless the spec grants 'fs', then only its staging folder): the permission
    // model guards the disk, the namespaces the network and other processes
    const wrapped = wrapCommand(detectIsolation(), process.execPath, this.args(), [this.code.dir], { readOnlyHost: this.capabilities.includes('fs') });
    const child = spawn(wrapped.command, wrapped.args, {
      cwd: this.code.dir,
      env: { ...sandboxEnv({ mode: 'runner', grants: this.capabilities, pure: this.options.pure === true, candidateRoot: this.codeRoot }), ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
      // its own process group, so a timeout kills everything the candidate started along with it
      detached: process.platform !== 'win32',
    });
    this.child = child;
    const group = process.platform !== 'win32' && child.pid ? -child.pid : child.pid;
    track(group);
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('message', (message: ChildMessage) => {
      if (this.child !== child) return;
      if (message.t === 'ready') this.childReady = true;
      this.listener?.(message);
    });
    child.on('exit', (code, signal) => {
      // the group may still hold what the candidate started: kill it before forgetting it
      killGroup(child.pid);
      untrack(group);
      // A child we killed (timeout) is no longer current: its exit must not reach the listeners of its successor.
      if (this.child !== child) return;
      this.child = undefined;
      this.ready = undefined;
      this.exitListener?.(code, signal);
    });
    child.on('error', () => {
      /* reported through exit */
    });
  }

  private async callNow(name: string, args: unknown[], timeoutMs: number, checks?: CallChecks): Promise<CallOutcome> {
    const outcomes = await this.exchange([{ name, args }], timeoutMs, (id) => ({ t: 'call', id, name, args, ...(checks ? { checks } : {}) }));
    return outcomes[0]!;
  }

  private async callManyNow(calls: readonly PlannedCall[], timeoutMs: number): Promise<CallOutcome[]> {
    if (calls.length === 0) return [];
    return this.exchange(calls, timeoutMs, (id) => ({ t: 'batch', id, calls }));
  }

  /**
   * Sends one message that asks for `calls.length` calls and collects their answers in order. The budget of
   * each call runs from the answer before it; when it runs out the child's group is killed and that call is
   * reported as timed out. Before killing, pending answers get one more turn of the event loop: a parent that was
   * busy (a type check of another spec) must not blame the candidate for answers it has not read yet.
   */
  private async exchange(calls: readonly PlannedCall[], timeoutMs: number, message: (id: number) => Record<string, unknown>): Promise<CallOutcome[]> {
    const ready = await this.ensure();
    if (!ready.ok) return [{ kind: 'crashed', message: ready.message }];
    const child = this.child;
    if (!child) return [{ kind: 'crashed', message: `the sandbox exited${this.tail()}` }];
    const id = ++this.sequence;
    const outcomes: CallOutcome[] = [];
    return new Promise<CallOutcome[]>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let done = false;
      const finish = (last?: CallOutcome): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (last) outcomes.push(last);
        this.listener = undefined;
        this.exitListener = undefined;
        resolve(outcomes);
      };
      const arm = (): void => {
        clearTimeout(timer);
        const answered = outcomes.length;
        timer = setTimeout(() => {
          setImmediate(() => {
            if (done || outcomes.length !== answered) return;
            this.kill();
            finish({ kind: 'timeout', ms: timeoutMs });
          });
        }, timeoutMs);
      };
      arm();
      this.exitListener = (code, signal) => finish({ kind: 'crashed', message: `the sandbox exited during the call (${signal ?? `code ${code}`})${this.tail()}` });
      this.listener = (answer) => {
        if (answer.t !== 'result' || answer.id !== id || done) return;
        if ((answer.index ?? 0) !== outcomes.length) return;
        outcomes.push(this.outcome(calls[outcomes.length]!.name, answer));
        if (outcomes.length === calls.length) finish();
        else arm();
      };
      try {
        child.send(message(id));
      } catch (error) {
        finish({ kind: 'crashed', message: `could not send the call to the sandbox: ${String(error)}` });
      }
    });
  }

  /** What the child's answer to one call means. */
  private outcome(name: string, message: ChildMessage): CallOutcome {
    if (message.missing) {
      return { kind: 'missing', message: `the candidate does not export a function '${name}' (it exports: ${(message.available ?? []).join(', ') || 'none'})` };
    }
    if (message.denials && message.denials.length > 0) {
      // whatever the call did with the denial (caught it, returned a fallback), using the capability is the defect
      return { kind: 'threw', error: this.denialError(message.denials), ms: message.ms ?? 0 };
    }
    if (message.ok) {
      const unserializable = message.unserializable === undefined ? {} : { unserializable: scrubCandidateText(message.unserializable, 200) };
      return {
        kind: 'returned',
        value: message.value,
        ms: message.ms ?? 0,
        ...(message.cpuMs !== undefined ? { cpuMs: message.cpuMs } : {}),
        ...unserializable,
        ...(message.purity ? { purity: message.purity } : {}),
        ...(message.invariants ? { invariants: message.invariants } : {}),
      };
    }
    return { kind: 'threw', error: this.mapError(message.error ?? { chain: [] }), ms: message.ms ?? 0, ...(message.purity ? { purity: message.purity } : {}) };
  }

  /** Staged paths → workspace-relative ones. */
  private unstage(text: string): string {
    return text.split(this.codeRoot + path.sep).join('').split(this.code.dir + path.sep).join('');
  }

  private describeDenials(denials: Denial[]): string {
    const unique = [...new Map(denials.map((d) => [`${d.capability}:${d.api}`, d])).values()];
    return unique
      .slice(0, 3)
      // a frame outside the candidate's code (the runner, Node) says nothing useful to the model
      .map((denial) => describeDenial(denial.at?.startsWith(this.codeRoot + path.sep) ? denial : { capability: denial.capability, api: denial.api }, (text) => this.unstage(text)))
      .join('; ');
  }

  private denialError(denials: Denial[]): ThrownError {
    const first = denials[0]!;
    const at = first.at && first.at.startsWith(this.codeRoot + path.sep) ? this.unstage(first.at) : undefined;
    return { name: 'SandboxDenied', message: this.describeDenials(denials), chain: ['SandboxDenied'], code: 'ERR_SANDBOX_DENIED', capability: first.capability, ...(at ? { at } : {}) };
  }

  /**
   * Maps staged paths in the error's stack back to workspace-relative ones, picks the first candidate frame, names
   * the capability of a denial, and scrubs what the candidate controls (message, stack) before it reaches feedback.
   */
  private mapError(error: ThrownError): ThrownError {
    let stack = error.stack;
    let at: string | undefined;
    if (stack) {
      stack = this.unstage(stack);
      const frame = /\(?((?:[^\s()]+)\.(?:ts|tsx|mts|cts|js)):(\d+):(\d+)\)?/.exec(stack.split('\n').slice(1).join('\n'));
      if (frame && !frame[1]!.startsWith('node:') && !path.isAbsolute(frame[1]!)) at = `${frame[1]}:${frame[2]}:${frame[3]}`;
      stack = scrubCandidateText(stack, 1500);
    }
    const capability = deniedCapability(error);
    let message = error.message === undefined ? undefined : scrubCandidateText(this.unstage(error.message));
    if (capability !== undefined) {
      const what = error.code === 'ERR_ACCESS_DENIED' ? `Node's permission model denied ${error.permission ?? 'an access'}` : (message ?? 'denied');
      message = `the sandbox denied it: ${what} (capability '${capability}'): ${capabilityAdvice(capability)}`;
    }
    return {
      ...error,
      ...(error.name !== undefined ? { name: scrubCandidateText(error.name, 100) } : {}),
      ...(message !== undefined ? { message } : {}),
      ...(stack ? { stack } : {}),
      ...(at ? { at } : {}),
      ...(capability !== undefined ? { capability } : {}),
    };
  }

  private tail(): string {
    const text = this.output.trim().split('\n').filter((l) => !/ExperimentalWarning|--trace-warnings/.test(l)).slice(-5).join(' | ');
    return text ? `: ${scrubCandidateText(this.unstage(text), 300)}` : '';
  }

  private kill(): void {
    const child = this.child;
    this.child = undefined;
    this.ready = undefined;
    if (child) killGroup(child.pid);
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
    if (!this.options.sharedCode) await this.code.dispose();
  }
}
