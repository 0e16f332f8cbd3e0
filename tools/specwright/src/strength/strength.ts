/**
 * Spec strength by mutation: how much of an accepted implementation's behaviour the spec pins. Every mutant of the
 * spec's outputs is a candidate for the spec's own gates (types, safety, examples, properties, then tests), run
 * through the gate runner and so in the sandbox; a mutant the gates reject is killed, one they accept survives and
 * is a behaviour the spec leaves open. Mutants that do not type-check are invalid (as in Stryker: not counted).
 */
import pLimit from 'p-limit';
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { generateFix, type TargetNames } from '../fix-commands';
import type { GateRunner } from '../generate';
import { DEFAULT_OPTIONS } from '../options';
import { canonicalJson, readTextIfExists, sha256, writeFileAtomic } from '../fs-utils';
import type { FingerprintedSpec, GateVerdict, ResolvedSpec } from '../types';
import { engineVersion, mutantsOf, sample, type Mutant } from './mutants';

/** Bump when what a result means changes, so cached results are not reused. */
const STRENGTH_VERSION = 3;
export const STRENGTH_CACHE_DIR = join('node_modules', '.cache', 'specwright', 'strength');

export type MutantStatus = 'killed' | 'survived' | 'invalid' | 'ignored' | 'error';

export interface MutantResult {
  id: string;
  file: string;
  line: number;
  column: number;
  mutator: string;
  original: string;
  replacement: string;
  status: MutantStatus;
  /** The gate that killed it. */
  killedBy?: string;
  /** For survivors: the behaviour left open and what would pin it. */
  hint?: string;
}

export interface SpecStrength {
  id: string;
  file: string;
  project: string;
  /** killed / (killed + survived), 0–100; undefined when no mutant could be judged. */
  score?: number;
  killed: number;
  survived: number;
  invalid: number;
  /** Not run: mutants of error message text. */
  ignored: number;
  errors: number;
  total: number;
  mutants: MutantResult[];
  cached: boolean;
  seconds: number;
  /** Why the spec was not measured (e.g. its outputs are missing). */
  skipped?: string;
}

export interface StrengthRequest {
  workspaceRoot: string;
  specs: readonly FingerprintedSpec[];
  specsById: ReadonlyMap<string, ResolvedSpec>;
  /** Runs types, safety, examples and properties on a candidate (tests off). */
  fastGates: GateRunner;
  /** Runs the tests gate only. */
  testGates: GateRunner;
  /** The workspace-relative test files the tests gate runs for a spec (part of the cache key). */
  testFilesOf(spec: ResolvedSpec): string[];
  concurrency?: number;
  /** At most this many mutants per spec, spread over the files (all when undefined). */
  maxMutants?: number;
  cache?: boolean;
  log?: (line: string) => void;
  /** The configured Nx target names, for the fix a skipped spec prints (the defaults when absent). */
  targets?: TargetNames;
}

const HINTS: Record<string, string> = {
  EqualityOperator: 'add an example at the boundary (the input where the two comparisons differ)',
  ConditionalExpression: 'add an example where this condition takes the other branch',
  LogicalOperator: 'add an example where exactly one side of the condition holds',
  ArithmeticOperator: 'add an example whose result depends on this computation',
  AssignmentOperator: 'add an example whose result depends on this update',
  UpdateOperator: 'add an example whose result depends on this count',
  UnaryOperator: 'add an example with the sign that makes the difference (e.g. a negative input)',
  BooleanLiteral: 'add an example where this flag changes the result',
  StringLiteral: 'pin this text: an example or test that expects it (error messages: a test on the message)',
  BlockStatement: 'nothing checks what this block does: add an example or test that needs it',
  ArrayDeclaration: 'add an example that depends on the contents of this array',
  ObjectLiteral: 'add an example that depends on this object\'s fields',
  MethodExpression: 'add an example where this method call makes a difference',
  Regex: 'add an example the changed pattern would treat differently',
  OptionalChaining: 'add an example with the value missing (null/undefined)',
  ArrowFunction: 'add an example that depends on what this function returns',
};

function oneLine(text: string, max = 40): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

export function describeSurvivor(mutant: Pick<MutantResult, 'file' | 'line' | 'original' | 'replacement' | 'mutator'>): string {
  return `${mutant.file}:${mutant.line}: \`${oneLine(mutant.original)}\` → \`${oneLine(mutant.replacement)}\` survives: ${HINTS[mutant.mutator] ?? 'add an example or test that tells the two apart'}`;
}

function failedGate(verdicts: readonly GateVerdict[]): GateVerdict | undefined {
  return verdicts.find((verdict) => !verdict.ok && !verdict.skipped);
}

async function judge(request: StrengthRequest, spec: ResolvedSpec, files: ReadonlyMap<string, string>, mutant: Mutant): Promise<MutantResult> {
  const base = { id: mutant.id, file: mutant.file, line: mutant.line, column: mutant.column, mutator: mutant.mutator, original: mutant.original, replacement: mutant.replacement };
  if (mutant.ignored) return { ...base, status: 'ignored', hint: mutant.ignored };
  const candidate = new Map(files);
  candidate.set(mutant.file, mutant.content);
  try {
    const fast = failedGate(await request.fastGates({ spec, files: candidate, specsById: request.specsById }));
    if (fast?.gate === 'types') return { ...base, status: 'invalid' };
    if (fast) return { ...base, status: 'killed', killedBy: fast.gate };
    const tests = failedGate(await request.testGates({ spec, files: candidate, specsById: request.specsById }));
    if (tests) return { ...base, status: 'killed', killedBy: tests.gate };
    const survivor: MutantResult = { ...base, status: 'survived' };
    return { ...survivor, hint: describeSurvivor(survivor) };
  } catch (error) {
    return { ...base, status: 'error', hint: (error as Error)?.message ?? String(error) };
  }
}

function cacheKey(request: StrengthRequest, spec: FingerprintedSpec, files: ReadonlyMap<string, string>): string {
  const tests = request.testFilesOf(spec).map((file) => [file, readTextIfExists(join(request.workspaceRoot, file)) ?? ''] as const);
  return sha256(
    canonicalJson({
      version: STRENGTH_VERSION,
      engine: engineVersion(),
      fingerprint: spec.fingerprint,
      outputs: [...files.entries()],
      tests,
      maxMutants: request.maxMutants ?? null,
    }),
  ).slice('sha256:'.length);
}

export async function measureStrength(request: StrengthRequest): Promise<SpecStrength[]> {
  const log = request.log ?? (() => undefined);
  const limit = pLimit(Math.max(1, request.concurrency ?? availableParallelism()));
  const results: SpecStrength[] = [];
  for (const spec of request.specs) {
    const started = performance.now();
    const files = new Map<string, string>();
    const missing = spec.outputFiles.filter((file) => {
      const content = readTextIfExists(join(request.workspaceRoot, file));
      if (content !== undefined) files.set(file, content);
      return content === undefined;
    });
    const empty = { id: spec.spec.id, file: spec.file, project: spec.project, killed: 0, survived: 0, invalid: 0, ignored: 0, errors: 0, total: 0, mutants: [], cached: false, seconds: 0 };
    if (missing.length > 0) {
      results.push({ ...empty, skipped: `missing ${missing.join(', ')}; run \`${generateFix(request.targets ?? DEFAULT_OPTIONS, { project: spec.project, spec: spec.spec.id })}\`` });
      continue;
    }
    const key = cacheKey(request, spec, files);
    const cachePath = join(request.workspaceRoot, STRENGTH_CACHE_DIR, `${key.slice(0, 32)}.json`);
    if (request.cache !== false) {
      const hit = readTextIfExists(cachePath);
      if (hit !== undefined) {
        try {
          results.push({ ...(JSON.parse(hit) as SpecStrength), cached: true, seconds: 0 });
          log(`${spec.spec.id}: cached`);
          continue;
        } catch {
          // A damaged cache entry is measured again.
        }
      }
    }
    const all: Mutant[] = [];
    for (const [file, content] of files) all.push(...(await mutantsOf(file, content)));
    // --max-mutants samples the mutants that run; the ignored ones cost nothing and are all listed.
    const runnable = all.filter((mutant) => !mutant.ignored);
    const chosen = [...(request.maxMutants === undefined ? runnable : sample(runnable, request.maxMutants)), ...all.filter((mutant) => mutant.ignored)];
    const running = chosen.length - (all.length - runnable.length);
    log(`${spec.spec.id}: ${running} mutant(s) to run${running < runnable.length ? ` of ${runnable.length}` : ''}`);
    const mutants = await Promise.all(chosen.map((mutant) => limit(() => judge(request, spec, files, mutant))));
    const count = (status: MutantStatus) => mutants.filter((mutant) => mutant.status === status).length;
    const killed = count('killed');
    const survived = count('survived');
    const result: SpecStrength = {
      id: spec.spec.id,
      file: spec.file,
      project: spec.project,
      ...(killed + survived > 0 ? { score: Math.round((1000 * killed) / (killed + survived)) / 10 } : {}),
      killed,
      survived,
      invalid: count('invalid'),
      ignored: count('ignored'),
      errors: count('error'),
      total: mutants.length,
      mutants: mutants.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column),
      cached: false,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    };
    if (result.errors === 0) {
      mkdirSync(join(request.workspaceRoot, STRENGTH_CACHE_DIR), { recursive: true });
      writeFileAtomic(cachePath, JSON.stringify(result));
    }
    results.push(result);
  }
  return results;
}

export function formatStrengthReport(results: readonly SpecStrength[], thresholdOf: (project: string) => number): string {
  const lines: string[] = [];
  for (const result of results) {
    if (result.skipped) {
      lines.push(`${result.id}: not measured: ${result.skipped}`);
      continue;
    }
    const survivors = result.mutants.filter((mutant) => mutant.status === 'survived');
    if (survivors.length > 0) lines.push(`${result.id} (${result.file}): ${survivors.length} surviving mutant(s), behaviour the spec does not pin:`);
    for (const survivor of survivors) lines.push(`  ${survivor.hint ?? describeSurvivor(survivor)}`);
  }
  lines.push('', 'Specwright strength: mutation score per spec (killed / (killed + survived); invalid = does not type-check; ignored = error message text)');
  const width = Math.max(4, ...results.map((result) => result.id.length));
  for (const result of results) {
    const threshold = thresholdOf(result.project);
    const score = result.score === undefined ? '  n/a' : `${result.score.toFixed(1).padStart(5)}`;
    const below = result.score !== undefined && result.score < threshold ? `  BELOW ${threshold}` : '';
    lines.push(
      `  ${result.id.padEnd(width)}  ${score}  killed ${result.killed}, survived ${result.survived}, invalid ${result.invalid}, ignored ${result.ignored}${result.errors ? `, errors ${result.errors}` : ''}  (${result.cached ? 'cached' : `${result.seconds}s`})${below}`,
    );
  }
  return lines.join('\n');
}
