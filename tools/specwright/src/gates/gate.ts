import type { GateName, GateVerdict, ResolvedSpec } from '../types';
import type { TestsBatch } from './tests';

/**
 * What every gate sees: one candidate for one spec. The candidate lives only here (and in staging directories the
 * gates make outside the working tree); nothing in the workspace changes until every gate has passed.
 */
export interface GateInput {
  workspaceRoot: string;
  spec: ResolvedSpec;
  /** The candidate's files, header included, keyed by workspace-relative path (exactly the spec's outputs). */
  files: ReadonlyMap<string, string>;
  /** Every spec of the workspace by id, so a gate can find `dependsOn` outputs. */
  specsById: ReadonlyMap<string, ResolvedSpec>;
  signal?: AbortSignal;
  /** verify-spec: the specs of the run whose tests share one vitest run per project (see TestsBatch). */
  testsBatch?: TestsBatch;
}

export interface Gate {
  readonly name: GateName;
  /** Gates after a failed `blocking` gate are skipped: there is no point running tests on code that does not compile. */
  readonly blocking: boolean;
  check(input: GateInput): Promise<GateVerdict>;
}

/**
 * Expensive state shared by all specs and attempts of one run (one TypeScript language service, one ajv instance,
 * schema generators per project). Created once per run, disposed at its end.
 */
export interface GateSession {
  readonly gates: readonly Gate[];
  dispose(): Promise<void>;
}
