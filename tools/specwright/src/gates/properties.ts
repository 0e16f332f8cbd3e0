/**
 * The properties gate: generates many inputs from each export's resolved param contracts (fast-check, seeded),
 * keeps the ones ajv accepts, and runs them in the sandbox. The candidate must not throw except errors named in the
 * export's `throws`, must finish within the per-call budget, and every return value must satisfy `returns`.
 * The predicate is evaluated here, in the parent, so fast-check can shrink a failure to a small counterexample;
 * the calls go to the same child process as the examples (one child per spec per attempt), many inputs per
 * message (`PlannedCalls`), each with its own time budget; shrinking calls one input at a time.
 */
import * as fc from 'fast-check';
import type { ExportSpec, Finding, GateVerdict, JsonSchema } from '../types';
import { callChecks, checkProblems } from './call-checks';
import { edgeValues, invalidValues } from './edge-values';
import type { Gate, GateInput } from './gate';
import { type GateContext, describeThrown, errorMatches, paramContract, returnsContract } from './context';
import type { CallOutcome, SandboxWorker } from './sandbox';
import { schemaToArbitrary } from './schema-arbitrary';
import { formatSchemaErrors } from './schema-validator';
import { errorMessage, seedFrom, show } from './util';

/** How many timed-out (or crashed) calls one export may cost before further shrinking is given up. */
const MAX_EXPENSIVE_FAILURES = 5;
/** Edge inputs per export, run before the drawn ones. */
const MAX_EDGE_TUPLES = 150;

class CandidateFailure extends Error {
  override name = 'CandidateFailure';
}

export interface PropertyReport {
  export: string;
  seed: number;
  numRuns: number;
  /** Set when the property failed. */
  failure?: { message: string; counterexample: unknown[]; path: string | null; shrinks: number };
  /** Why the export was not (fully) checked, when it was not. */
  note?: string;
  /** How many edge inputs ran before the drawn ones. */
  edgeInputs?: number;
}

export async function checkExportProperties(
  context: GateContext,
  input: GateInput,
  worker: SandboxWorker,
  exported: ExportSpec,
): Promise<PropertyReport> {
  const seed = context.options.seed ?? seedFrom(`${input.spec.spec.id}#${exported.name}`);
  const numRuns = exported.params.length === 0 ? 1 : context.options.numRuns;
  const report: PropertyReport = { export: exported.name, seed, numRuns };
  const paramSchemas = exported.params.map((p) => paramContract(input.spec, exported, p.name));
  let arbitraries: fc.Arbitrary<unknown>[];
  let validators: Array<(value: unknown) => boolean>;
  let returns;
  try {
    arbitraries = paramSchemas.map((schema) => schemaToArbitrary(schema));
    validators = paramSchemas.map((schema) => {
      const validate = context.validator.compile(schema);
      return (value: unknown) => validate(value) === true;
    });
    returns = returnsContract(input.spec, exported);
    context.validator.compile(returns);
  } catch (error) {
    report.note = `${exported.name}: no inputs generated (${errorMessage(error)})`;
    return report;
  }
  const allowed = exported.throws ?? [];
  let expensive = 0;
  const checks = callChecks(input.spec, exported.name);
  const edges = edgeTuples(paramSchemas, arbitraries, validators, seed);
  report.edgeInputs = edges.length;

  const judge = (args: unknown[], outcome: CallOutcome): true => {
    const problems = checkProblems(outcome, `${exported.name}(${args.map((a) => show(a, 60)).join(', ')})`);
    switch (outcome.kind) {
      case 'timeout':
        expensive++;
        context.sandbox.markHung(input, `${exported.name}(${args.map((a) => show(a, 60)).join(', ')}) (properties)`);
        throw new CandidateFailure(`timed out after ${outcome.ms} ms`);
      case 'crashed':
        expensive++;
        throw new CandidateFailure(outcome.message);
      case 'missing':
        throw new CandidateFailure(outcome.message);
      case 'threw':
        if (problems.length > 0) throw new CandidateFailure(problems[0]!);
        if (errorMatches(outcome.error, allowed)) return true;
        throw new CandidateFailure(
          `threw ${describeThrown(outcome.error)}${allowed.length ? ` (the spec allows only ${allowed.join(', ')})` : ' (the spec allows no errors)'}`,
        );
      case 'returned': {
        if (outcome.unserializable !== undefined) throw new CandidateFailure(`returned a value that is not JSON data: ${outcome.unserializable}`);
        const result = context.validator.validate(returns, outcome.value);
        if (!result.ok) {
          throw new CandidateFailure(`returned ${show(outcome.value, 200)}, which violates the ${exported.name}.returns contract: ${formatSchemaErrors(result.errors)}`);
        }
        if (problems.length > 0) throw new CandidateFailure(problems[0]!);
        return true;
      }
    }
  };

  // The inputs the run will try, known before it starts: fast-check's draws do not depend on the predicate's
  // answers, so they are sent to the child in batches. Once an input fails, shrinking asks one input at a time.
  const examples = edges.map((tuple) => [tuple] as [unknown[]]);
  const batches = new PlannedCalls(plannedInputs(arbitraries, validators, { numRuns, seed, examples }), (list) => worker.callBatch(exported.name, list, undefined, checks));
  let shrinking = false;
  const property = fc.asyncProperty(fc.tuple(...arbitraries), async (args: unknown[]) => {
    fc.pre(validators.every((validate, i) => validate(args[i])));
    // After a few timeouts, stop paying the budget for each shrink step: untried inputs count as passing, so the
    // reported counterexample is still one that really failed.
    if (expensive >= MAX_EXPENSIVE_FAILURES) return true;
    const outcome = (shrinking ? undefined : await batches.next(args)) ?? (await worker.call(exported.name, args, undefined, checks));
    try {
      return judge(args, outcome);
    } catch (error) {
      shrinking = true;
      throw error;
    }
  });

  // The edge inputs run first (as fast-check examples, so a failure among them is shrunk like any other), then
  // numRuns drawn inputs.
  const details = await fc.check(property, {
    numRuns,
    seed,
    examples,
    plugins: [fc.interruptAfterTimeLimit(context.options.propertyTimeLimitMs)],
  });
  if (details.failed && details.counterexample) {
    const error = details.errorInstance;
    report.failure = {
      message: error instanceof CandidateFailure ? error.message : `the check itself failed: ${errorMessage(error)}`,
      counterexample: (details.counterexample as unknown as [unknown[]])[0],
      path: details.counterexamplePath,
      shrinks: details.numShrinks,
    };
  } else if (details.failed && details.numSkips > 0 && details.counterexample === null && !details.interrupted) {
    report.note = `${exported.name}: too many generated inputs were rejected by the param contracts (${details.numSkips} skipped); the property ran ${details.numRuns} times`;
  } else if (details.interrupted) {
    report.note = `${exported.name}: the property was interrupted after ${context.options.propertyTimeLimitMs} ms (${details.numRuns} runs)`;
  }
  if (!report.failure && exported.rejectsInvalid && !input.signal?.aborted) {
    const rejection = await checkRejectsInvalid(worker, exported, paramSchemas, validators, edges[0] ?? sampleTuple(arbitraries, validators, seed));
    if (rejection) report.failure = { message: rejection.message, counterexample: rejection.args, path: null, shrinks: 0 };
  }
  return report;
}

/** Inputs per message to the child: small first (an early failure wastes little), then larger. */
const BATCH_SIZES = [8, 32, 64];
/**
 * About how long one batch may run: a slow candidate gets smaller batches (down to one input), so the property's
 * time limit still interrupts it between inputs about as soon as it would one call at a time.
 */
const BATCH_TARGET_MS = 250;

/**
 * The inputs a property run with these settings will try, in order, up to its first failure: the same run with a
 * predicate that accepts everything (fast-check draws from the seed alone). Inputs the param contracts reject are
 * skipped, as in the real run.
 */
export function plannedInputs(
  arbitraries: fc.Arbitrary<unknown>[],
  validators: Array<(value: unknown) => boolean>,
  settings: { numRuns: number; seed: number; examples: Array<[unknown[]]> },
): unknown[][] {
  const planned: unknown[][] = [];
  fc.check(
    fc.property(fc.tuple(...arbitraries), (args: unknown[]) => {
      fc.pre(validators.every((validate, i) => validate(args[i])));
      planned.push(args);
      return true;
    }),
    settings,
  );
  return planned;
}

/**
 * The outcomes of planned inputs, fetched a batch at a time as the run reaches them. `next` answers for the run's
 * next input when it is the planned one (compared by value), otherwise undefined (the caller calls it alone). A
 * batch that ends early (a timeout or crash stops it) leaves the inputs after it unplanned.
 */
export class PlannedCalls {
  private readonly outcomes: CallOutcome[] = [];
  private position = 0;
  private batches = 0;
  private spentMs = 0;
  /** The run left the plan (an input that was not the planned one), or a batch stopped early: nothing more is batched. */
  private done = false;

  constructor(
    private readonly planned: readonly unknown[][],
    private readonly run: (list: unknown[][]) => Promise<CallOutcome[]>,
  ) {}

  async next(args: unknown[]): Promise<CallOutcome | undefined> {
    const index = this.position++;
    const expected = this.planned[index];
    if (expected === undefined || show(expected, 100_000) !== show(args, 100_000)) {
      this.done = true;
      return undefined;
    }
    if (index >= this.outcomes.length) {
      if (this.done) return undefined;
      const list = this.planned.slice(index, index + this.batchSize());
      const outcomes = await this.run(list);
      for (const outcome of outcomes) this.spentMs += 'ms' in outcome ? outcome.ms : 0;
      this.outcomes.push(...outcomes);
      // stopped at a timeout or crash (its outcome is the last one): the run fails there, nothing after it runs
      if (outcomes.length < list.length) this.done = true;
    }
    return this.outcomes[index];
  }

  private batchSize(): number {
    const size = BATCH_SIZES[Math.min(this.batches++, BATCH_SIZES.length - 1)]!;
    if (this.outcomes.length === 0) return size;
    const perCall = Math.max(this.spentMs / this.outcomes.length, 0.01);
    return Math.max(1, Math.min(size, Math.floor(BATCH_TARGET_MS / perCall)));
  }
}

/**
 * Inputs at the edges of each param's contract: every edge value of one param with the others at an ordinary
 * value, then the "diagonals" (all params at their k-th edge). Only tuples every contract accepts are kept.
 */
export function edgeTuples(
  schemas: JsonSchema[],
  arbitraries: fc.Arbitrary<unknown>[],
  validators: Array<(value: unknown) => boolean>,
  seed: number,
  max = MAX_EDGE_TUPLES,
): unknown[][] {
  if (schemas.length === 0) return [];
  const edges = schemas.map((schema, i) => edgeValues(schema).filter((value) => validators[i]!(value)));
  const base = sampleTuple(arbitraries, validators, seed);
  if (!base) return [];
  const tuples: unknown[][] = [];
  const seen = new Set<string>();
  const add = (tuple: unknown[]): void => {
    const key = show(tuple, 100_000);
    if (seen.has(key) || !tuple.every((value, i) => validators[i]!(value))) return;
    seen.add(key);
    tuples.push(tuple);
  };
  const width = Math.max(...edges.map((e) => e.length));
  for (let k = 0; k < Math.min(width, 12); k++) {
    if (edges.every((e) => e.length > 0)) add(edges.map((e) => e[k % e.length]));
  }
  edges.forEach((values, i) => {
    for (const value of values) add(base.map((b, j) => (j === i ? value : b)));
  });
  return tuples.slice(0, max);
}

/** One ordinary input: the first drawn tuple every contract accepts. */
export function sampleTuple(arbitraries: fc.Arbitrary<unknown>[], validators: Array<(value: unknown) => boolean>, seed: number): unknown[] | undefined {
  const samples = fc.sample(fc.tuple(...arbitraries), { numRuns: 30, seed });
  return samples.find((tuple) => tuple.every((value, i) => validators[i]!(value)));
}

/**
 * For an export that promises to reject invalid arguments (`rejectsInvalid`): one param at a time gets a value its
 * contract rejects, the others stay valid; the call must throw that error. Returns the first call that did not.
 */
async function checkRejectsInvalid(
  worker: SandboxWorker,
  exported: ExportSpec,
  schemas: JsonSchema[],
  validators: Array<(value: unknown) => boolean>,
  base: unknown[] | undefined,
): Promise<{ message: string; args: unknown[] } | undefined> {
  if (!base) return undefined;
  const expected = exported.rejectsInvalid!;
  // The other params at several valid values: a check that only runs on some paths (an inexact division, a
  // non-empty list) is the defect this looks for.
  const probes: Array<{ args: unknown[]; invalid: unknown; param: number }> = [];
  for (const [i, schema] of schemas.entries()) {
    const others = [base];
    const neighbour = schemas.length > 1 ? (i === 0 ? 1 : 0) : -1;
    if (neighbour >= 0) {
      for (const value of edgeValues(schemas[neighbour]!).filter((v) => validators[neighbour]!(v)).slice(0, 8)) {
        others.push(base.map((b, j) => (j === neighbour ? value : b)));
      }
    }
    for (const invalid of invalidValues(schema).filter((value) => !validators[i]!(value))) {
      for (const tuple of others) {
        if (!tuple.every((value, j) => j === i || validators[j]!(value))) continue;
        probes.push({ args: tuple.map((b, j) => (j === i ? invalid : b)), invalid, param: i });
      }
    }
  }
  // in batches, judged in order: the first probe that is not rejected is the finding
  for (let start = 0; start < probes.length; start += 64) {
    const chunk = probes.slice(start, start + 64);
    const outcomes = await worker.callBatch(exported.name, chunk.map((probe) => probe.args));
    for (const [k, outcome] of outcomes.entries()) {
      const { args, invalid, param: i } = chunk[k]!;
      const call = `${exported.name}(${args.map((a) => show(a, 60)).join(', ')})`;
      const param = exported.params[i]?.name ?? `#${i + 1}`;
      if (outcome.kind === 'threw' && errorMatches(outcome.error, [expected])) continue;
      if (outcome.kind === 'timeout' || outcome.kind === 'crashed' || outcome.kind === 'missing') return undefined;
      const what = outcome.kind === 'threw' ? `threw ${describeThrown(outcome.error)}` : `returned ${outcome.unserializable ?? show(outcome.value, 120)}`;
      return {
        message: `${call} ${what}, but ${show(invalid)} is not a valid ${param} (outside its contract) and the spec says ${exported.name} rejects invalid arguments with ${expected} (rejectsInvalid); reject it on every path, before any other work`,
        args,
      };
    }
  }
  return undefined;
}

export interface ExportInputs {
  schemas: JsonSchema[];
  validators: Array<(value: unknown) => boolean>;
  arbitraries: fc.Arbitrary<unknown>[];
  seed: number;
}

/** The param contracts of an export as validators and generators (the other gates draw the same inputs). */
export function exportInputs(context: GateContext, input: GateInput, exported: ExportSpec): ExportInputs | undefined {
  const seed = context.options.seed ?? seedFrom(`${input.spec.spec.id}#${exported.name}`);
  const schemas = exported.params.map((p) => paramContract(input.spec, exported, p.name));
  try {
    const validators = schemas.map((schema) => {
      const validate = context.validator.compile(schema);
      return (value: unknown) => validate(value) === true;
    });
    return { schemas, validators, arbitraries: schemas.map((schema) => schemaToArbitrary(schema)), seed };
  } catch {
    return undefined;
  }
}

/** The inputs the gates that compare runs use: the examples' args, the edge inputs, and `drawn` drawn inputs. */
export function comparisonInputs(context: GateContext, input: GateInput, exported: ExportSpec, drawn: number, maxEdges = 80): unknown[][] {
  const fromExamples = input.spec.spec.examples.filter((e) => e.export === exported.name).map((e) => e.args);
  const prepared = exportInputs(context, input, exported);
  if (!prepared) return fromExamples;
  if (exported.params.length === 0) return [[]];
  const edges = edgeTuples(prepared.schemas, prepared.arbitraries, prepared.validators, prepared.seed, maxEdges);
  const samples = drawn > 0 ? fc.sample(fc.tuple(...prepared.arbitraries), { numRuns: drawn * 2, seed: prepared.seed + 1 }) : [];
  const valid = samples.filter((tuple) => tuple.every((value, i) => prepared.validators[i]!(value))).slice(0, drawn);
  return [...fromExamples, ...edges, ...valid];
}

export function formatPropertyFailure(report: PropertyReport): string {
  const failure = report.failure!;
  const args = failure.counterexample.map((a) => show(a, 200)).join(', ');
  const hint = failure.message.startsWith('timed out') ? ' — an infinite loop? the call was killed' : '';
  return (
    `property of ${report.export}: ${failure.message} on input ${report.export}(${args})${hint} ` +
    `(seed ${report.seed}${failure.path ? `, path "${failure.path}"` : ''}, shrunk ${failure.shrinks} time${failure.shrinks === 1 ? '' : 's'})`
  );
}

export function createPropertiesGate(context: GateContext): Gate {
  return {
    name: 'properties',
    blocking: false,
    async check(input: GateInput): Promise<GateVerdict> {
      const findings: Finding[] = [];
      const notes: Finding[] = [];
      await context.sandbox.use(input, async (worker) => {
        for (const exported of input.spec.spec.exports) {
          if (input.signal?.aborted) break;
          const report = await checkExportProperties(context, input, worker, exported);
          if (report.failure) findings.push({ message: formatPropertyFailure(report) });
          if (report.note) notes.push({ message: `note: ${report.note}` });
        }
      });
      // Notes (contracts the generator cannot use, interrupted runs) do not fail the gate.
      return { gate: 'properties', ok: findings.length === 0, findings: [...findings, ...notes] };
    },
  };
}
