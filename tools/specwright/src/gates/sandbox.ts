/**
 * Runs candidate code in a child process, never in the gate's own process and never from the working tree. The
 * pieces live in `./sandbox/`: staging (transpile the candidate and what it reaches into a temp dir), the child
 * runner (a real `.cjs` file spawned by path), the worker (the parent's handle on one child) and the pool (one worker
 * per spec and attempt). This module is their public face; import from here.
 */
export { stageCode, type StagedCode, type StageOptions } from './sandbox/staging';
export {
  DEFAULT_SANDBOX_SETTINGS,
  RUNNER_FILE,
  SandboxWorker,
  type CallChecks,
  type PlannedCall,
  type CallOutcome,
  type InvariantFailure,
  type PurityReport,
  type SandboxWorkerOptions,
  type SandboxSettings,
  type ThrownError,
} from './sandbox/worker';
export { SandboxPool } from './sandbox/pool';
