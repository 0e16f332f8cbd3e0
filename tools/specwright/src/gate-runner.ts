import pLimit from 'p-limit';
import { availableParallelism } from 'node:os';
import type { GateRunner } from './generate';
import { createGateSession, runGates, type GateSessionOptions } from './gates/session';

export interface GateRunnerHandle {
  run: GateRunner;
  dispose(): Promise<void>;
}

export interface GateRunnerOptions extends GateSessionOptions {
  /** How many candidates go through the gates at once; the machine's CPU count when absent. */
  concurrency?: number;
}

/**
 * One gate session for a whole run (one TypeScript language service, one ajv), adapted to what the generator
 * calls. The gates are CPU work on this machine (the type checker, the sandbox children, a vitest per candidate):
 * more candidates at once than there are cores only makes each one slower and the run bigger, so the rest wait in
 * line — while their specs' model requests, which cost no CPU here, go on (see src/providers/request-limit.ts).
 */
export async function createGateRunner(workspaceRoot: string, options: GateRunnerOptions = {}): Promise<GateRunnerHandle> {
  const { concurrency, ...sessionOptions } = options;
  const session = createGateSession(workspaceRoot, sessionOptions);
  const limit = pLimit(Math.max(1, Math.floor(concurrency ?? availableParallelism())));
  return {
    run: (input) => limit(() => runGates(session, { ...input, workspaceRoot })),
    dispose: () => session.dispose(),
  };
}
