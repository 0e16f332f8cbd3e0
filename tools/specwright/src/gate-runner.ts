import type { GateRunner } from './generate';
import { createGateSession, runGates } from './gates/session';

export interface GateRunnerHandle {
  run: GateRunner;
  dispose(): Promise<void>;
}

/**
 * One gate session for a whole run (one TypeScript language service, one ajv), adapted to what the generator
 * calls.
 */
export async function createGateRunner(workspaceRoot: string): Promise<GateRunnerHandle> {
  const session = await createGateSession(workspaceRoot, {});
  return {
    run: (input) => runGates(session, { ...input, workspaceRoot }),
    dispose: () => session.dispose(),
  };
}
