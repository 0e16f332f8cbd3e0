import type { GateRunner } from './generate';
import { createGateSession, runGates, type GateSessionOptions } from './gates/session';

export interface GateRunnerHandle {
  run: GateRunner;
  dispose(): Promise<void>;
}

/**
 * One gate session for a whole run (one TypeScript language service, one ajv), adapted to what the generator
 * calls.
 */
export async function createGateRunner(workspaceRoot: string, options: GateSessionOptions = {}): Promise<GateRunnerHandle> {
  const session = createGateSession(workspaceRoot, options);
  return {
    run: (input) => runGates(session, { ...input, workspaceRoot }),
    dispose: () => session.dispose(),
  };
}
