/**
 * Options of a gate session and the expensive state its gates share (one TypeScript language service, one ajv
 * instance, the sandbox pool, the warm vitest hosts).
 */
import type { ExportSpec, JsonSchema, ResolvedSpec } from '../types';
import { DEFAULT_SANDBOX_SETTINGS, SandboxPool, type SandboxSettings } from './sandbox';
import { SchemaValidator } from './schema-validator';
import { TypeCheckWorker } from './type-worker';
import { VitestHosts } from './sandbox/vitest-hosts';

export type SessionGateName = 'types' | 'safety' | 'examples' | 'properties' | 'purity' | 'cost' | 'differential' | 'tests';

export interface GateSessionOptions {
  /** Turn gates off, e.g. `{ tests: false }`. All on by default. */
  gates?: Partial<Record<SessionGateName, boolean>>;
  /** Wall-clock budget of one call of candidate code in the sandbox. Default 2000 ms. */
  callTimeoutMs?: number;
  /** Budget for starting the sandbox and loading the candidate. Default 10000 ms. */
  loadTimeoutMs?: number;
  /** Wall-clock budget of one vitest run. Default 120000 ms. */
  testsTimeoutMs?: number;
  /** Property runs per export. Default 100. */
  numRuns?: number;
  /** Seed for property runs. Default: derived from the spec id, so runs are reproducible. */
  seed?: number;
  /** Time limit of the property runs of one export, shrinking included. Default 30000 ms. */
  propertyTimeLimitMs?: number;
  /** `--max-old-space-size` of sandbox children, MB. Default 256. */
  maxOldSpaceMb?: number;
  /** Where staging directories go. Default os.tmpdir(); must be outside the workspace. */
  tmpRoot?: string;
  /** Spec ids whose behaviour may differ from the reviewed version this run (`--accept-behaviour-change`). */
  acceptBehaviourChange?: string[];
  /** Drawn inputs per export the differential gate compares (besides examples and edge inputs). Default 60. */
  differentialRuns?: number;
}

export interface ResolvedGateOptions {
  gates: Record<SessionGateName, boolean>;
  callTimeoutMs: number;
  loadTimeoutMs: number;
  testsTimeoutMs: number;
  numRuns: number;
  seed?: number;
  propertyTimeLimitMs: number;
  maxOldSpaceMb: number;
  tmpRoot?: string;
  acceptBehaviourChange: string[];
  differentialRuns: number;
}

export function resolveOptions(options: GateSessionOptions = {}): ResolvedGateOptions {
  return {
    gates: { types: true, safety: true, examples: true, properties: true, purity: true, cost: true, differential: true, tests: true, ...options.gates },
    callTimeoutMs: options.callTimeoutMs ?? DEFAULT_SANDBOX_SETTINGS.callTimeoutMs,
    loadTimeoutMs: options.loadTimeoutMs ?? DEFAULT_SANDBOX_SETTINGS.loadTimeoutMs,
    testsTimeoutMs: options.testsTimeoutMs ?? 120_000,
    numRuns: options.numRuns ?? 100,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    propertyTimeLimitMs: options.propertyTimeLimitMs ?? 30_000,
    maxOldSpaceMb: options.maxOldSpaceMb ?? DEFAULT_SANDBOX_SETTINGS.maxOldSpaceMb,
    ...(options.tmpRoot !== undefined ? { tmpRoot: options.tmpRoot } : {}),
    acceptBehaviourChange: options.acceptBehaviourChange ?? [],
    differentialRuns: options.differentialRuns ?? 60,
  };
}

export class GateContext {
  readonly options: ResolvedGateOptions;
  readonly validator = new SchemaValidator();
  readonly sandbox: SandboxPool;
  readonly sandboxSettings: SandboxSettings;
  /** The warm vitest processes the tests gate runs through (started on first use). */
  readonly vitest: VitestHosts;
  private typeChecks?: TypeCheckWorker;

  constructor(
    readonly workspaceRoot: string,
    options: GateSessionOptions = {},
  ) {
    this.options = resolveOptions(options);
    this.sandboxSettings = {
      callTimeoutMs: this.options.callTimeoutMs,
      loadTimeoutMs: this.options.loadTimeoutMs,
      maxOldSpaceMb: this.options.maxOldSpaceMb,
      maxRestarts: DEFAULT_SANDBOX_SETTINGS.maxRestarts,
    };
    this.sandbox = new SandboxPool(this.sandboxSettings, this.options.tmpRoot);
    this.vitest = new VitestHosts(workspaceRoot, this.options.tmpRoot);
  }

  /** The session's type checks, in a process of their own started on first use (type-worker.ts). */
  types(): TypeCheckWorker {
    this.typeChecks ??= new TypeCheckWorker(this.workspaceRoot);
    return this.typeChecks;
  }

  async dispose(): Promise<void> {
    const typeChecks = this.typeChecks;
    this.typeChecks = undefined;
    await Promise.all([typeChecks?.dispose(), this.sandbox.dispose(), this.vitest.dispose()]);
  }
}

/** The resolved contract of a param (`<export>.params.<name>`), falling back to its inline schema, else anything. */
export function paramContract(spec: ResolvedSpec, exported: ExportSpec, param: string): JsonSchema {
  const resolved = spec.contracts?.[`${exported.name}.params.${param}`];
  if (resolved !== undefined) return resolved;
  return exported.params.find((p) => p.name === param)?.schema ?? true;
}

/** The resolved contract of an export's return value (`<export>.returns`), falling back to its inline schema. */
export function returnsContract(spec: ResolvedSpec, exported: ExportSpec): JsonSchema {
  const resolved = spec.contracts?.[`${exported.name}.returns`];
  if (resolved !== undefined) return resolved;
  return exported.returns?.schema ?? true;
}

/** Whether a thrown error is one of `names` (by `name`, or by any constructor in its prototype chain). */
export function errorMatches(error: { name?: string; message?: string; chain: string[] }, names: readonly string[]): boolean {
  // A stack overflow is a RangeError, but never the RangeError a spec declares: it is runaway recursion.
  if (/Maximum call stack size exceeded/.test(error.message ?? '')) return false;
  return names.some((name) => error.name === name || error.chain.includes(name));
}

export function describeThrown(error: { name?: string; message?: string; thrown?: string; at?: string }): string {
  const what = error.thrown ? `a ${error.thrown} (${error.message ?? ''})` : `${error.name ?? 'an error'}: ${error.message ?? ''}`;
  return `${what.trim()}${error.at ? ` (at ${error.at})` : ''}`;
}
