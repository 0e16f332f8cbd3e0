import type { Finding, GateName, GateVerdict, ResolvedSpec } from '../types';
import type { GateContext } from './context';
import type { TypeChecks } from './type-service';

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
  /** verify-spec: the specs of the run whose tests share one vitest run per project (TestsBatch in tests.ts). */
  testsBatch?: SharedTestsRun;
  /** verify-spec: the specs of the run that share one type-check program per project (TypesBatch in types-batch.ts). */
  typesBatch?: SharedTypecheck;
}

/** What the types gate asks of verify-spec's shared type check: the input's findings, or `undefined`: check alone. */
export interface SharedTypecheck {
  findingsFor(input: GateInput, checks: TypeChecks): Promise<Finding[] | undefined>;
}

/**
 * What the tests gate asks of verify-spec's shared tests run: the findings of the input's spec, or `undefined` when
 * the batch cannot attribute them (the spec then runs alone). Declared here so gate.ts depends on no gate.
 */
export interface SharedTestsRun {
  findingsFor(input: GateInput, context: GateContext): Promise<Finding[] | undefined>;
}

export interface Gate {
  readonly name: GateName;
  /** Gates after a failed `blocking` gate are skipped: there is no point running tests on code that does not compile. */
  readonly blocking: boolean;
  check(input: GateInput): Promise<GateVerdict>;
}

/**
 * Expensive state shared by all specs and attempts of one run (one type-check process, one ajv instance,
 * schema generators per project). Created once per run, disposed at its end.
 */
export interface GateSession {
  readonly gates: readonly Gate[];
  dispose(): Promise<void>;
}
