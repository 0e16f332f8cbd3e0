/**
 * The cost gate: code that is right but too slow for the inputs its contract allows.
 *
 * 1. Regular expressions — every regex literal and `RegExp(…)` / `new RegExp(…)` with literal arguments in the
 *    candidate is analysed with recheck (a maintained ReDoS checker; its pure-JavaScript backend in a worker
 *    thread, so neither a native binary nor Java is needed). Exponential backtracking, or polynomial of degree 3 or
 *    more, is a finding with recheck's attack string. (Degree 2 is left to the growth check below, which measures
 *    it on contract-sized input: `\s+$` is quadratic in theory and harmless on a 200-character field.)
 * 2. Growth — each export runs in the sandbox on inputs whose strings and arrays grow to the contract's maximum
 *    size (or LARGE_SIZE when the contract sets none): n/8, n/4, n/2, n. When the time at n is over the budget's
 *    floor and each doubling costs clearly more than double (super-linear, e.g. O(n²)), or a call at n runs out of
 *    time, that is a finding with the measured times.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../fs-utils';
import type { ExportSpec, Finding, GateVerdict, JsonSchema } from '../types';
import ts from 'typescript';
import type { Gate, GateInput } from './gate';
import * as fc from 'fast-check';
import type { GateContext } from './context';
import { exportInputs } from './properties';
import type { SandboxWorker } from './sandbox';
import { isCodeFile, show } from './util';

/** Strings and arrays grow to this size when the contract sets no maximum. */
export const LARGE_SIZE = 20_000;
/** Below this many ms at the largest size, growth is not judged (timer noise on a shared machine). */
const MIN_JUDGED_MS = 150;
/**
 * Each doubling of n must cost more than this factor, i.e. more than linear at every step (linear ≈ 2, n log n ≈ 2.2,
 * quadratic ≈ 4, less with caches: the last doubling of an indexOf dedup measured 2.7–3.0)…
 */
const SUPERLINEAR_RATIO = 2;
/** …and n/4 → n more than this, which is what tells n² from n log n and noise (linear ≈ 4, n log n ≈ 4.7, quadratic ≈ 16). */
const SUPERLINEAR_SPAN = 8;

// ---------------------------------------------------------------------------------------------------------------
// Regular expressions

export interface RegexUse {
  file: string;
  line: number;
  column: number;
  source: string;
  flags: string;
}

/** Regex literals and RegExp calls with literal arguments in the candidate's code files. */
export function findRegexes(files: ReadonlyMap<string, string>): RegexUse[] {
  const found: RegexUse[] = [];
  for (const [file, content] of files) {
    if (!isCodeFile(file)) continue;
    const sf = ts.createSourceFile(file, content, ts.ScriptTarget.Latest, true);
    const at = (node: ts.Node) => {
      const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
      return { file, line: line + 1, column: character + 1 };
    };
    const visit = (node: ts.Node): void => {
      if (ts.isRegularExpressionLiteral(node)) {
        const text = node.text;
        const end = text.lastIndexOf('/');
        found.push({ ...at(node), source: text.slice(1, end), flags: text.slice(end + 1) });
      } else if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && ts.isIdentifier(node.expression) && node.expression.text === 'RegExp') {
        const [pattern, flags] = node.arguments ?? [];
        if (pattern && ts.isStringLiteralLike(pattern) && (!flags || ts.isStringLiteralLike(flags))) {
          found.push({ ...at(node), source: pattern.text, flags: flags && ts.isStringLiteralLike(flags) ? flags.text : '' });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return found;
}

interface RegexVerdict {
  vulnerable: boolean;
  complexity?: string;
  attack?: string;
}

const regexCache = new Map<string, Promise<RegexVerdict>>();
/** Verdicts also persist across runs (a regeneration usually keeps its regexes), keyed by recheck's version. */
export const RECHECK_CACHE_DIR = join('node_modules', '.cache', 'specwright', 'recheck');

/**
 * recheck's verdict on one pattern, cached for the process (patterns repeat across attempts and specs) and, given
 * a workspace root, on disk under node_modules/.cache.
 */
export function analyseRegex(source: string, flags: string, workspaceRoot?: string): Promise<RegexVerdict> {
  const key = `${flags}/${source}`;
  let verdict = regexCache.get(key);
  if (!verdict) {
    const file = workspaceRoot ? join(workspaceRoot, RECHECK_CACHE_DIR, `${createHash('sha256').update(`${recheckVersion()}\0${key}`).digest('hex')}.json`) : undefined;
    const cached = file ? readCachedVerdict(file) : undefined;
    // A pattern recheck cannot analyse (or a failure of the checker itself) is no finding: the growth check and the
    // per-call time budget still stand behind it.
    verdict = cached
      ? Promise.resolve(cached)
      : runRecheck(source, flags).then(
          (result) => {
            if (file) writeCachedVerdict(file, result);
            return result;
          },
          (): RegexVerdict => ({ vulnerable: false }),
        );
    regexCache.set(key, verdict);
  }
  return verdict;
}

function recheckVersion(): string {
  try {
    return (JSON.parse(readFileSync(require.resolve('recheck/package.json'), 'utf8')) as { version?: string }).version ?? '?';
  } catch {
    return '?';
  }
}

function readCachedVerdict(file: string): RegexVerdict | undefined {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as RegexVerdict;
    return typeof value.vulnerable === 'boolean' ? value : undefined;
  } catch {
    return undefined;
  }
}

function writeCachedVerdict(file: string, verdict: RegexVerdict): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileAtomic(file, JSON.stringify(verdict));
  } catch {
    // the cache is an optimisation; a read-only node_modules must not fail the run
  }
}

/**
 * Starts the analysis of the candidate's regexes now (recheck runs in a worker thread), so that it overlaps with
 * the sandbox gates that run before the cost gate; the cost gate then finds the verdicts in the cache.
 */
export function prefetchRegexAnalysis(files: ReadonlyMap<string, string>, workspaceRoot?: string): void {
  for (const use of findRegexes(files)) void analyseRegex(use.source, use.flags, workspaceRoot).catch(() => undefined);
}

async function runRecheck(source: string, flags: string): Promise<RegexVerdict> {
  const { check } = await import('recheck');
  // recheck picks its backend from the environment when a check starts: the worker-thread backend is plain
  // JavaScript, so it needs neither the optional native binary nor Java.
  const previous = process.env['RECHECK_BACKEND'];
  process.env['RECHECK_BACKEND'] = 'worker';
  let pending: ReturnType<typeof check>;
  try {
    pending = check(source, flags.replace(/[^dgimsuyv]/g, ''), { timeout: 10_000 });
  } finally {
    if (previous === undefined) delete process.env['RECHECK_BACKEND'];
    else process.env['RECHECK_BACKEND'] = previous;
  }
  const diagnostics = await pending;
  if (diagnostics.status !== 'vulnerable') return { vulnerable: false };
  const complexity = diagnostics.complexity;
  const degree = complexity.type === 'polynomial' ? complexity.degree : Infinity;
  return {
    vulnerable: complexity.type === 'exponential' || degree >= 3,
    complexity: complexity.summary,
    ...(diagnostics.attack ? { attack: diagnostics.attack.pattern } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Growth

type Schema = Record<string, unknown>;

/** `value` with its strings and arrays (top level and one level into objects) grown to size `n`. */
export function grow(value: unknown, schema: JsonSchema, n: number, fill: number): unknown {
  const s = (schema && typeof schema === 'object' ? schema : {}) as Schema;
  if (typeof value === 'string') {
    const max = typeof s['maxLength'] === 'number' ? s['maxLength'] : Infinity;
    const size = Math.min(n, max);
    const unit = FILLS[fill % FILLS.length]!;
    return (value + unit.repeat(Math.ceil(size / unit.length))).slice(0, Math.max(size, value.length));
  }
  if (Array.isArray(value)) {
    const max = typeof s['maxItems'] === 'number' ? s['maxItems'] : Infinity;
    const size = Math.min(n, max);
    if (value.length === 0) return value;
    const items = s['items'] && typeof s['items'] === 'object' && !Array.isArray(s['items']) ? (s['items'] as JsonSchema) : true;
    // Distinct-looking items where the items are small (so sorting and dedup do real work), repeats otherwise.
    return Array.from({ length: Math.max(size, value.length) }, (_, i) => vary(value[i % value.length], items, i, fill));
  }
  if (value && typeof value === 'object') {
    const properties = (s['properties'] ?? {}) as Record<string, JsonSchema>;
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const [key, inner] of Object.entries(out)) {
      if (typeof inner === 'string' || Array.isArray(inner)) out[key] = grow(inner, properties[key] ?? true, n, fill);
    }
    return out;
  }
  return value;
}

const FILLS = ['a', 'ab ', 'a,', 'a\n', '-a'];

/** Even fills make the items distinct (so lookups and dedup do real work), odd fills repeat them. */
function vary(item: unknown, _schema: JsonSchema, i: number, fill: number): unknown {
  if (fill % 2 === 1) return item;
  if (typeof item === 'number' && Number.isInteger(item)) return item + i;
  if (typeof item === 'string') return `${item.slice(0, 4)}${i}`;
  return item;
}

interface GrowthReport {
  sizes: number[];
  ms: number[];
  args: unknown[];
  timedOut?: boolean;
}

async function measureGrowth(
  context: GateContext,
  worker: SandboxWorker,
  exported: ExportSpec,
  schemas: JsonSchema[],
  base: unknown[],
  validators: Array<(value: unknown) => boolean>,
): Promise<GrowthReport | undefined> {
  const maxSize = Math.min(LARGE_SIZE, ...schemas.map(sizeLimit));
  if (maxSize < 256) return undefined; // small contracts cannot grow into a cost problem
  for (let fill = 0; fill < FILLS.length; fill++) {
    const sizes = [maxSize / 8, maxSize / 4, maxSize / 2, maxSize].map(Math.floor);
    const tuples = sizes.map((n) => base.map((value, i) => grow(value, schemas[i]!, n, fill)));
    if (!tuples.every((tuple) => tuple.every((value, i) => validators[i]!(value)))) continue;
    if (show(tuples[0], 100_000) === show(tuples[3], 100_000)) return undefined; // nothing grows
    const first = await timeSizes(context, worker, exported, tuples);
    if (first.timedOut !== undefined) return { sizes, ms: first.ms, args: tuples[first.timedOut]!, timedOut: true };
    if (!first.complete) return undefined;
    let ms = first.ms;
    if (ms[3]! >= MIN_JUDGED_MS / 2) {
      // Slow enough to be judged: measure once more (see seriesToJudge).
      const second = await timeSizes(context, worker, exported, tuples);
      if (second.timedOut !== undefined) return { sizes, ms: second.ms, args: tuples[second.timedOut]!, timedOut: true };
      if (second.complete) ms = seriesToJudge(ms, second.ms);
    }
    return { sizes, ms, args: tuples[3]! };
  }
  return undefined;
}

/**
 * Which of two timed series of the same calls to judge. On a shared machine a run slows down ~1.6× when the other
 * core gets busy, and when that happens between two sizes it bends the curve: a quadratic measured 11.5, 54.4,
 * 239.5, 385.2 ms. Slowing part of a series can hide a quadratic but cannot make linear or n log n code pass
 * SUPERLINEAR_SPAN (4 or 4.7 times 1.6 is still under 8), so a series that grows super-linearly is judged; otherwise
 * the less disturbed one (the smaller total). Whole series, never each size's minimum: that mixes runs too.
 */
export function seriesToJudge(first: readonly number[], second: readonly number[]): number[] {
  if (isSuperLinear(first)) return [...first];
  if (isSuperLinear(second)) return [...second];
  return [...(sum(second) < sum(first) ? second : first)];
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/**
 * One timing of the four sizes, in one message (the child times each call itself; the outcomes stop at a timeout).
 * `complete` is false when a call neither returned nor threw (a crash), which makes the measurement meaningless.
 */
async function timeSizes(context: GateContext, worker: SandboxWorker, exported: ExportSpec, tuples: readonly unknown[][]): Promise<{ ms: number[]; complete: boolean; timedOut?: number }> {
  const ms: number[] = [];
  const outcomes = await worker.callBatch(exported.name, tuples, context.options.callTimeoutMs);
  for (const i of tuples.keys()) {
    const outcome = outcomes[i];
    if (outcome?.kind === 'timeout') return { ms, complete: false, timedOut: i };
    if (!outcome || (outcome.kind !== 'returned' && outcome.kind !== 'threw')) return { ms, complete: false };
    // CPU time when the child reports it: on a busy machine wall time jumps with every preemption.
    ms.push(outcome.kind === 'returned' ? (outcome.cpuMs ?? outcome.ms) : outcome.ms);
  }
  return { ms, complete: true };
}

function sizeLimit(schema: JsonSchema): number {
  if (!schema || typeof schema !== 'object') return LARGE_SIZE;
  const s = schema as Schema;
  const own = [s['maxLength'], s['maxItems']].filter((v): v is number => typeof v === 'number');
  return own.length ? Math.max(...own) : LARGE_SIZE;
}

/**
 * Whether times measured at n/8, n/4, n/2, n grow super-linearly: slow at the largest size, each doubling from n/4
 * on costs more than SUPERLINEAR_RATIO and the whole span n/4 → n more than SUPERLINEAR_SPAN. (n/8 is a warm-up.)
 */
export function isSuperLinear(ms: readonly number[]): boolean {
  if (ms.length < 4 || ms[3]! < MIN_JUDGED_MS) return false;
  const at = (i: number) => Math.max(ms[i]!, 0.05);
  const ratios = [at(2) / at(1), at(3) / at(2)];
  return ratios.every((ratio) => ratio > SUPERLINEAR_RATIO) && at(3) / at(1) > SUPERLINEAR_SPAN;
}

/**
 * An input to grow: among drawn inputs the contracts accept, the one with the most non-empty strings and arrays
 * (an empty list cannot grow).
 */
function growableSample(context: GateContext, input: GateInput, exported: ExportSpec): { base: unknown[]; schemas: JsonSchema[]; validators: Array<(value: unknown) => boolean> } | undefined {
  const prepared = exportInputs(context, input, exported);
  if (!prepared) return undefined;
  const samples = fc.sample(fc.tuple(...prepared.arbitraries), { numRuns: 60, seed: prepared.seed + 2 });
  const valid = samples.filter((tuple) => tuple.every((value, i) => prepared.validators[i]!(value)));
  const score = (value: unknown, depth = 0): number => {
    if (typeof value === 'string') return value.length > 0 ? 1 : 0;
    if (Array.isArray(value)) return value.length > 0 ? 1 : 0;
    if (value && typeof value === 'object' && depth === 0) return Object.values(value).reduce<number>((sum, inner) => sum + score(inner, 1), 0);
    return 0;
  };
  const best = valid.map((tuple) => ({ tuple, score: tuple.reduce<number>((sum, value) => sum + score(value), 0) })).sort((a, b) => b.score - a.score)[0];
  return best && best.score > 0 ? { base: best.tuple, schemas: prepared.schemas, validators: prepared.validators } : undefined;
}

export function createCostGate(context: GateContext): Gate {
  return {
    name: 'cost',
    blocking: false,
    async check(input: GateInput): Promise<GateVerdict> {
      const findings: Finding[] = [];
      for (const use of findRegexes(input.files)) {
        const verdict = await analyseRegex(use.source, use.flags, input.workspaceRoot);
        if (verdict.vulnerable) {
          findings.push({
            file: use.file,
            line: use.line,
            column: use.column,
            message: `${use.file}:${use.line}:${use.column} the regular expression /${use.source}/${use.flags} backtracks catastrophically (${verdict.complexity}${verdict.attack ? `; e.g. on ${verdict.attack}` : ''}); rewrite it without nested or overlapping quantifiers, or parse without a regex`,
          });
        }
      }
      if (context.sandbox.hungOn(input)) return { gate: 'cost', ok: findings.length === 0, findings };
      await context.sandbox.use(input, async (worker) => {
        for (const exported of input.spec.spec.exports) {
          if (input.signal?.aborted || exported.params.length === 0) continue;
          const sample = growableSample(context, input, exported);
          if (!sample) continue;
          const { base, schemas, validators } = sample;
          const growth = await measureGrowth(context, worker, exported, schemas, base, validators);
          if (!growth) continue;
          const times = growth.ms.map((ms, i) => `n=${growth.sizes[i]}: ${ms.toFixed(1)} ms`).join(', ');
          if (growth.timedOut) {
            context.sandbox.markHung(input, `${exported.name} on input of size ${growth.sizes[growth.ms.length]} (cost)`);
            findings.push({
              message: `${exported.name} ran out of its ${context.options.callTimeoutMs} ms budget on an input of size ${growth.sizes[growth.ms.length]}, which its contract allows (${times || 'no smaller size finished'}); input ${show(growth.args, 160)}. Make it linear (or n log n) in the input size`,
            });
          } else if (isSuperLinear(growth.ms)) {
            findings.push({
              message: `${exported.name} takes super-linear time in its input size (${times}; n/4 → n costs more than ${SUPERLINEAR_SPAN}×, about n² or worse), e.g. a nested loop or repeated string concatenation/indexOf over the whole input; input ${show(growth.args, 160)}. Make it linear (or n log n)`,
            });
          }
        }
      });
      return { gate: 'cost', ok: findings.length === 0, findings };
    },
  };
}
