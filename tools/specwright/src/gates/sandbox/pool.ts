/**
 * The pool: one worker per gate input (spec × attempt), shared by the examples and properties gates, kept alive
 * across gates while `runGates` holds a scope on the input.
 */
import type { GateInput } from '../gate';
import { invariantsModuleSource } from '../invariants';
import { sweepStaleStaging } from '../reaper';
import { stageCode } from './staging';
import { SandboxWorker, type SandboxSettings } from './worker';

export class SandboxPool {
  private readonly workers = new WeakMap<GateInput, Promise<SandboxWorker>>();
  private readonly scoped = new WeakSet<GateInput>();
  private readonly live = new Set<SandboxWorker>();
  private readonly hung = new WeakMap<GateInput, string>();

  constructor(
    private readonly settings: SandboxSettings,
    private readonly tmpRoot?: string,
  ) {
    // what an earlier run killed with SIGKILL left behind (its reaper gone too): removed before this run stages
    sweepStaleStaging(tmpRoot);
  }

  /**
   * Keep the worker of `input` alive across gates until `endScope` (runGates does this). With `prewarm`, the
   * candidate is staged and its child started now, while the gates before the sandbox ones run.
   */
  beginScope(input: GateInput, options: { prewarm?: boolean } = {}): void {
    this.scoped.add(input);
    if (options.prewarm) {
      this.worker(input)
        .then((worker) => worker.prewarm())
        .catch(() => undefined);
    }
  }

  async endScope(input: GateInput): Promise<void> {
    this.scoped.delete(input);
    await this.release(input);
  }

  private worker(input: GateInput): Promise<SandboxWorker> {
    let worker = this.workers.get(input);
    if (!worker) {
      const invariantsSource = invariantsModuleSource(input.spec.spec);
      worker = stageCode({ workspaceRoot: input.workspaceRoot, files: input.files, tmpRoot: this.tmpRoot, ...(invariantsSource ? { invariantsSource } : {}) }).then((code) => {
        const constraints = input.spec.spec.constraints;
        const created = new SandboxWorker(code, this.settings, constraints?.capabilities ?? [], input.workspaceRoot, { pure: constraints?.pure === true });
        created.onHang = (description) => this.markHung(input, description);
        this.live.add(created);
        input.signal?.addEventListener('abort', () => void created.close(), { once: true });
        return created;
      });
      this.workers.set(input, worker);
    }
    return worker;
  }

  private async release(input: GateInput): Promise<void> {
    const worker = this.workers.get(input);
    if (!worker) return;
    this.workers.delete(input);
    const resolved = await worker.catch(() => undefined);
    if (resolved) {
      this.live.delete(resolved);
      await resolved.close();
    }
  }

  /** Records that the candidate of `input` hung (a call timed out); later gates can avoid running it unbounded. */
  markHung(input: GateInput, description: string): void {
    if (!this.hung.has(input)) this.hung.set(input, description);
  }

  /** How the candidate of `input` hung in the sandbox, if it did. */
  hungOn(input: GateInput): string | undefined {
    return this.hung.get(input);
  }

  /**
   * Runs `fn` with the worker of `input` and a second child on the same staged code whose environment adds `env`
   * (time zone, locale); the second child is closed afterwards, the staging stays with the first.
   */
  async useWithEnv<T>(input: GateInput, env: Record<string, string>, fn: (worker: SandboxWorker, variant: SandboxWorker) => Promise<T>): Promise<T> {
    return this.use(input, async (worker) => {
      const constraints = input.spec.spec.constraints;
      const variant = new SandboxWorker(worker.code, this.settings, constraints?.capabilities ?? [], input.workspaceRoot, { pure: constraints?.pure === true, env, sharedCode: true });
      try {
        return await fn(worker, variant);
      } finally {
        await variant.close();
      }
    });
  }

  /** Runs `fn` with the worker of `input`; closes it afterwards unless the input is in a scope. */
  async use<T>(input: GateInput, fn: (worker: SandboxWorker) => Promise<T>): Promise<T> {
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
