/**
 * The properties gate: generates many inputs from each export's resolved param contracts (fast-check, seeded),
 * keeps the ones ajv accepts, and runs them in the sandbox. The candidate must not throw except errors named in the
 * export's `throws`, must finish within the per-call budget, and every return value must satisfy `returns`.
 * The predicate is evaluated here, in the parent, so fast-check can shrink a failure to a small counterexample;
 * the calls go to the same child process as the examples (one child per spec per attempt).
 */
import * as fc from 'fast-check';
import type { ExportSpec, Finding, GateVerdict } from '../types';
import type { Gate, GateInput } from './gate';
import { type GateContext, describeThrown, errorMatches, paramContract, returnsContract } from './context';
import type { SandboxWorker } from './sandbox';
import { schemaToArbitrary } from './schema-arbitrary';
import { formatSchemaErrors } from './schema-validator';
import { errorMessage, seedFrom, show } from './util';

/** How many timed-out (or crashed) calls one export may cost before further shrinking is given up. */
const MAX_EXPENSIVE_FAILURES = 5;

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

  const property = fc.asyncProperty(fc.tuple(...arbitraries), async (args: unknown[]) => {
    fc.pre(validators.every((validate, i) => validate(args[i])));
    // After a few timeouts, stop paying the budget for each shrink step: untried inputs count as passing, so the
    // reported counterexample is still one that really failed.
    if (expensive >= MAX_EXPENSIVE_FAILURES) return true;
    const outcome = await worker.call(exported.name, args);
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
        return true;
      }
    }
  });

  const details = await fc.check(property, {
    numRuns,
    seed,
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
  return report;
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
