/**
 * The pool: one worker per gate input (spec × attempt), shared by every gate that runs the candidate (examples,
 * properties, cost, the purity and differential comparisons), kept alive across gates while `runGates` holds a
 * scope on the input. A worker — and so a child process and a staging folder — never serves two inputs: each
 * candidate gets fresh isolation. Besides it, an input may have companions: children on other code or with another
 * environment (the reviewed version for the differential gate, a second locale for the purity gate), started
 * ahead of their gate and closed with the input's scope.
 */
import type { ResolvedSpec } from '../../types';
import { invariantsModuleSource } from '../invariants';
import { sweepStaleStaging } from '../reaper';
import { stageCodeSync, type StagedCode } from './staging';
import { SandboxWorker, type SandboxSettings } from './worker';

/**
 * What the pool needs of a gate input: the input object itself is the key (one worker per candidate). Declared here
 * rather than imported from gate.ts, so the sandbox does not depend on the gates that use it.
 */
export interface SandboxInput {
  workspaceRoot: string;
  spec: ResolvedSpec;
  files: ReadonlyMap<string, string>;
  signal?: AbortSignal;
}

export class SandboxPool {
  private readonly workers = new WeakMap<SandboxInput, Promise<SandboxWorker>>();
  private readonly companions = new WeakMap<SandboxInput, Map<string, Promise<SandboxWorker | undefined>>>();
  private readonly scoped = new WeakSet<SandboxInput>();
  private readonly live = new Set<SandboxWorker>();
  private readonly hung = new WeakMap<SandboxInput, string>();

  constructor(
    private readonly settings: SandboxSettings,
    private readonly tmpRoot?: string,
  ) {
    // what an earlier run killed with SIGKILL left behind (its reaper gone too): removed before this run stages
    sweepStaleStaging(tmpRoot);
  }

  /**
   * Keep the worker of `input` alive across gates until `endScope` (runGates does this). With `prewarm`, the
   * candidate is staged and its child started now, synchronously, so the child boots while the types gate holds
   * the event loop; no candidate code runs before the first call.
   */
  beginScope(input: SandboxInput, options: { prewarm?: boolean } = {}): void {
    this.scoped.add(input);
    if (options.prewarm) this.worker(input, { start: true }).catch(() => undefined);
  }

  async endScope(input: SandboxInput): Promise<void> {
    this.scoped.delete(input);
    await this.release(input);
  }

  /** The input's worker; staged, created (and with `start`, spawned) synchronously on first use (a staging failure is the promise's). */
  private worker(input: SandboxInput, options: { start?: boolean } = {}): Promise<SandboxWorker> {
    let worker = this.workers.get(input);
    if (!worker) {
      try {
        const invariantsSource = invariantsModuleSource(input.spec.spec);
        const code = stageCodeSync({ workspaceRoot: input.workspaceRoot, files: input.files, tmpRoot: this.tmpRoot, ...(invariantsSource ? { invariantsSource } : {}) });
        const created = this.adopt(input, this.create(input, code));
        created.onHang = (description) => this.markHung(input, description);
        // spawned here, not in a callback: a callback would wait for whatever holds the thread next
        if (options.start) created.prewarm();
        worker = Promise.resolve(created);
      } catch (error) {
        worker = Promise.reject(error instanceof Error ? error : new Error(String(error)));
        worker.catch(() => undefined);
      }
      this.workers.set(input, worker);
    }
    return worker;
  }

  /** A worker for `code` with the input's capabilities and purity (and `env` added to its environment). */
  private create(input: SandboxInput, code: StagedCode, options: { env?: Record<string, string>; sharedCode?: boolean } = {}): SandboxWorker {
    const constraints = input.spec.spec.constraints;
    return new SandboxWorker(code, this.settings, constraints?.capabilities ?? [], input.workspaceRoot, { pure: constraints?.pure === true, ...options });
  }

  private adopt(input: SandboxInput, worker: SandboxWorker): SandboxWorker {
    this.live.add(worker);
    input.signal?.addEventListener('abort', () => void worker.close(), { once: true });
    return worker;
  }

  private async release(input: SandboxInput): Promise<void> {
    const worker = this.workers.get(input);
    const companions = this.companions.get(input);
    this.workers.delete(input);
    this.companions.delete(input);
    // companions first: one may share the main worker's staging folder, which the main worker removes
    for (const companion of companions?.values() ?? []) {
      const resolved = await companion.catch(() => undefined);
      if (resolved) await this.close(resolved);
    }
    const resolved = await worker?.catch(() => undefined);
    if (resolved) await this.close(resolved);
  }

  private async close(worker: SandboxWorker): Promise<void> {
    this.live.delete(worker);
    await worker.close();
  }

  /**
   * A companion child of `input` named `key`, made by `make` on first use (undefined: none) and started at once
   * unless `start: false` (then at its first call); it lives until the input's scope ends (or until the `use` that
   * asked for it returns, when the input is not in a scope).
   */
  companion(input: SandboxInput, key: string, make: () => Promise<SandboxWorker | undefined>, options: { start?: boolean } = {}): Promise<SandboxWorker | undefined> {
    let byKey = this.companions.get(input);
    if (!byKey) this.companions.set(input, (byKey = new Map()));
    let found = byKey.get(key);
    if (!found) {
      found = make()
        .then((worker) => {
          if (!worker) return undefined;
          this.adopt(input, worker);
          // the scope ended while it was being made: nobody will close it later
          if (this.companions.get(input)?.get(key) !== found) {
            void this.close(worker);
            return undefined;
          }
          if (options.start !== false) worker.prewarm();
          return worker;
        })
        .catch(() => undefined);
      byKey.set(key, found);
    }
    return found;
  }

  /**
   * Starts, ahead of the purity gate, the child that runs the input's candidate with `env` added (time zone,
   * locale), on the worker's staging; `when` decides from the staged code whether that run is needed at all.
   */
  prewarmWithEnv(input: SandboxInput, env: Record<string, string>, when: (code: StagedCode) => boolean): void {
    void this.companion(input, envKey(env), async () => {
      const worker = await this.worker(input);
      return when(worker.code) ? this.create(input, worker.code, { env, sharedCode: true }) : undefined;
    });
  }

  /** Records that the candidate of `input` hung (a call timed out); later gates can avoid running it unbounded. */
  markHung(input: SandboxInput, description: string): void {
    if (!this.hung.has(input)) this.hung.set(input, description);
  }

  /** How the candidate of `input` hung in the sandbox, if it did. */
  hungOn(input: SandboxInput): string | undefined {
    return this.hung.get(input);
  }

  /**
   * Runs `fn` with the worker of `input` and a second child on the same staged code whose environment adds `env`
   * (time zone, locale): the one `prewarmWithEnv` started, or a new one.
   */
  async useWithEnv<T>(input: SandboxInput, env: Record<string, string>, fn: (worker: SandboxWorker, variant: SandboxWorker) => Promise<T>): Promise<T> {
    return this.use(input, async (worker) => {
      const key = envKey(env);
      let variant = await this.companions.get(input)?.get(key);
      if (!variant) {
        // not started ahead (or not needed then): a companion now, started by its first call, closed with the scope
        this.companions.get(input)?.delete(key);
        variant = await this.companion(input, key, async () => this.create(input, worker.code, { env, sharedCode: true }), { start: false });
      }
      if (!variant) throw new Error('the sandbox could not start the second-locale child');
      return fn(worker, variant);
    });
  }

  /** Runs `fn` with the worker of `input`; closes it afterwards unless the input is in a scope. */
  async use<T>(input: SandboxInput, fn: (worker: SandboxWorker) => Promise<T>): Promise<T> {
    const worker = await this.worker(input);
    try {
      return await fn(worker);
    } finally {
      if (!this.scoped.has(input)) await this.release(input);
    }
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.live].map((worker) => worker.close()));
    this.live.clear();
  }
}

function envKey(env: Record<string, string>): string {
  return `env:${JSON.stringify(Object.entries(env).sort())}`;
}
