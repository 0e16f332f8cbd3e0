/**
 * The data that flows through the pipeline. Every stage takes and returns these plain values, so the stages can
 * be tested without the file system and swapped (the sinks) without touching the others.
 */

export type JsonSchema = Record<string, unknown> | boolean;

/** A contract is either an inline JSON Schema or the name of an exported TypeScript type in the spec's `types` file. */
export interface ContractRef {
  schema?: JsonSchema;
  type?: string;
}

export interface ParamSpec extends ContractRef {
  name: string;
  description?: string;
}

export interface ExportSpec {
  name: string;
  description?: string;
  params: ParamSpec[];
  returns: ContractRef;
  /** Error constructor names (e.g. `RangeError`) the function is allowed to throw. */
  throws: string[];
  /**
   * The error (one of `throws`) every call with an argument outside its param contract must throw. When set, the
   * properties gate also tries invalid arguments (wrong type, NaN, ±Infinity, fractions, values past the bounds,
   * strings outside an enum, undefined) one param at a time.
   */
  rejectsInvalid?: string;
}

export interface Capabilities {
  rules: string[];
  allowedImports: string[];
  capabilities: Capability[];
  pure: boolean;
  security: boolean;
  /** Machine-checked forbidden APIs (see gates/forbid.ts for the vocabulary); absent when the spec sets none. */
  forbid?: ForbiddenApi[];
}

/**
 * One entry of `constraints.forbid` (vocabulary in gates/forbid.ts): a global (`BigInt`, `Intl`), a member of one
 * (`Math.round`), any property by name (`.toFixed`), or a class (`floating-point-division`, `locale-methods`,
 * `regex`, `recursion`).
 */
export type ForbiddenApi = string;

/** A named boolean expression over `args` and `result` that must hold for every call of `export` that returns. */
export interface Invariant {
  name: string;
  export: string;
  /** A JavaScript expression; in scope: `args`, `result`, each param by name, each export of the spec by name. */
  check: string;
}

export type Capability = 'fs' | 'net' | 'child_process' | 'env' | 'random' | 'timers' | 'crypto';

export interface Example {
  export: string;
  args: unknown[];
  expect?: unknown;
  throws?: string;
  description?: string;
}

export interface ModelSettings {
  name?: string;
  temperature?: number;
  maxAttempts?: number;
  timeoutMs?: number;
  maxOutputTokens?: number;
}

/** A spec as written, validated against `specs/spec.schema.json`, with defaults filled in. */
export interface Spec {
  id: string;
  /** A proposal not accepted yet (written by `specwright decompose`): never generated, its outputs never committed. */
  draft?: boolean;
  description: string;
  outputs: string[];
  types?: string;
  exports: ExportSpec[];
  constraints: Capabilities;
  examples: Example[];
  tests: string[];
  dependsOn: string[];
  model: ModelSettings;
  /** Absent when the spec declares none (so adding the field changes no existing fingerprint). */
  invariants?: Invariant[];
}

/** Where a spec lives. Paths are workspace-relative with `/` unless named otherwise. */
export interface SpecLocation {
  /** The spec file, workspace-relative. */
  file: string;
  /** The Nx project root that holds it, workspace-relative. */
  projectRoot: string;
  /** The Nx project name. */
  project: string;
}

export interface ParsedSpec extends SpecLocation {
  spec: Spec;
  /** The raw text, kept for the prompt and for error positions. */
  source: string;
  /** Workspace-relative paths of the outputs. */
  outputFiles: string[];
  /** Workspace-relative paths of the declared tests. */
  testFiles: string[];
  /** Workspace-relative path of the `types` file, when the spec has one. */
  typesFile?: string;
}

/** Every contract of a spec as a concrete JSON Schema, keyed `<export>.params.<name>` / `<export>.returns`. */
export type ResolvedContracts = Record<string, JsonSchema>;

export interface ResolvedSpec extends ParsedSpec {
  contracts: ResolvedContracts;
}

export interface FingerprintedSpec extends ResolvedSpec {
  fingerprint: string;
}

export type SpecState = 'fresh' | 'stale' | 'new' | 'missing' | 'drifted';

export interface OutputStatus {
  /** Workspace-relative. */
  file: string;
  exists: boolean;
  /** sha256 of the file on disk, when it exists. */
  hash?: string;
  /** The hash the lock recorded for it. */
  lockedHash?: string;
  drifted: boolean;
}

export interface PlannedSpec {
  spec: FingerprintedSpec;
  state: SpecState;
  /** Why it has that state, one line, for people. */
  reason: string;
  outputs: OutputStatus[];
  /** Whether this run should generate it (stale/new/missing, or drifted with --force, or --force). */
  generate: boolean;
  /** Why specs/policy.yaml forbids generating this spec's outputs, when it does. */
  refusal?: string;
}

/** One file a model proposed, path relative to the spec's directory as the spec's `outputs` names it. */
export interface CandidateFile {
  path: string;
  content: string;
}

export interface Candidate {
  files: CandidateFile[];
  notes?: string;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
}

export type GateName =
  | 'answer'
  | 'confinement'
  | 'types'
  | 'contracts'
  | 'examples'
  | 'properties'
  | 'safety'
  | 'tests'
  | 'purity'
  | 'cost'
  | 'differential';

export interface Finding {
  /** One line, specific: what is wrong, where, what was expected. */
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

export interface GateVerdict {
  gate: GateName;
  ok: boolean;
  findings: Finding[];
  /** Set when the gate did not run (e.g. an earlier gate failed and this one depends on it). */
  skipped?: boolean;
  ms?: number;
  /** What a passing gate asks the lock to record with the accepted code (the differential gate's behaviour changes). */
  behaviourChanges?: string[];
}

export interface AttemptRecord {
  attempt: number;
  gates: Partial<Record<GateName, 'pass' | 'fail' | 'skip'>>;
  /** The first finding of the first failed gate, for the provenance record. */
  failure?: string;
  /** The tokens this attempt's request cost (absent when the provider failed before any answer). */
  usage?: TokenUsage;
}

/** What one spec's run came to: one row of the summary table. */
export interface SpecOutcome {
  id: string;
  file: string;
  state: SpecState;
  result: 'fresh' | 'regenerated' | 'unchanged' | 'would-generate' | 'failed' | 'drifted' | 'out-of-date' | 'skipped';
  attempts: number;
  usage: TokenUsage;
  /** The usage came from recordings (replay): recorded once, not spent by this run. */
  replayed?: boolean;
  seconds: number;
  /** For failures and problems: what is wrong and how to fix it. */
  message?: string;
}
