import * as fc from 'fast-check';
import { SchemaValidator, formatSchemaErrors } from '../gates/schema-validator';
import { schemaToArbitrary } from '../gates/schema-arbitrary';
import type { FingerprintedSpec, JsonSchema } from '../types';

/**
 * The static half of the boundary verdict: along every `dependsOn` edge (A uses B), the values that may cross must
 * fit both contracts. Which contracts meet is read from the specs: a parameter of A passed on to a parameter of B
 * with the same name or the same `type:`; a result of one passed to the other (a `returns` and a `params` or
 * `returns` naming the same `type:`); and, without an edge, a result and a parameter naming the same `type:`.
 * Containment is checked by drawing values from the producing schema and validating them against the consuming
 * one (ajv) — a counterexample is a concrete value one spec allows and the other refuses.
 */

export interface BoundaryFinding {
  /** The spec whose contract produces the value. */
  from: string;
  /** The spec whose contract refuses it. */
  to: string;
  /** e.g. `money/x params.amount → money/y params.amount`. */
  edge: string;
  /** A value the producer allows and the consumer refuses. */
  counterexample: unknown;
  message: string;
}

export interface BoundaryReport {
  /** Pairs of contracts compared. */
  checked: number;
  findings: BoundaryFinding[];
  /** Pairs that could not be sampled (schema features the sampler does not draw from). */
  skipped: string[];
}

interface Contract {
  spec: FingerprintedSpec;
  key: string;
  /** What it is called in messages: `money/round roundHalfEven.params.value`. */
  label: string;
  name: string;
  type?: string;
  schema: JsonSchema;
}

function params(spec: FingerprintedSpec): Contract[] {
  return spec.spec.exports.flatMap((entry) =>
    entry.params.map((param) => {
      const key = `${entry.name}.params.${param.name}`;
      return { spec, key, label: `${spec.spec.id} ${key}`, name: param.name, ...(param.type ? { type: param.type } : {}), schema: spec.contracts[key] as JsonSchema };
    }),
  );
}

function returns(spec: FingerprintedSpec): Contract[] {
  return spec.spec.exports.map((entry) => {
    const key = `${entry.name}.returns`;
    return { spec, key, label: `${spec.spec.id} ${key}`, name: entry.name, ...(entry.returns.type ? { type: entry.returns.type } : {}), schema: spec.contracts[key] as JsonSchema };
  });
}

function render(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 160 ? `${text.slice(0, 159)}…` : text;
}

/** The pairs (producer → consumer) that meet on the edge `user` dependsOn `used`. */
export function meetingContracts(user: FingerprintedSpec, used: FingerprintedSpec): [Contract, Contract][] {
  const pairs: [Contract, Contract][] = [];
  for (const produced of params(user)) {
    for (const consumed of params(used)) {
      const sameType = produced.type !== undefined && produced.type === consumed.type;
      const sameName = produced.type === undefined && consumed.type === undefined && produced.name === consumed.name;
      if (sameType || sameName) pairs.push([produced, consumed]);
    }
  }
  for (const produced of returns(used)) {
    for (const consumed of [...returns(user), ...params(user)]) {
      if (produced.type !== undefined && produced.type === consumed.type) pairs.push([produced, consumed]);
    }
  }
  for (const produced of returns(user)) {
    for (const consumed of params(used)) {
      if (produced.type !== undefined && produced.type === consumed.type) pairs.push([produced, consumed]);
    }
  }
  return pairs;
}

/**
 * Specs with no dependsOn edge still meet where hand-written glue passes one's result to the other (`computeTotals(
 * parseInvoiceLines(csv))`): a `returns` and a `params` that name the same `type:`.
 */
export function sharedTypeContracts(specs: readonly FingerprintedSpec[]): [Contract, Contract][] {
  const pairs: [Contract, Contract][] = [];
  for (const producer of specs) {
    for (const consumer of specs) {
      if (producer === consumer || producer.spec.dependsOn.includes(consumer.spec.id) || consumer.spec.dependsOn.includes(producer.spec.id)) continue;
      for (const produced of returns(producer)) {
        for (const consumed of params(consumer)) {
          if (produced.type !== undefined && produced.type === consumed.type) pairs.push([produced, consumed]);
        }
      }
    }
  }
  return pairs;
}

export function checkBoundaries(specs: readonly FingerprintedSpec[], samples = 200, seed = 1): BoundaryReport {
  const byId = new Map(specs.map((spec) => [spec.spec.id, spec]));
  const validator = new SchemaValidator();
  const report: BoundaryReport = { checked: 0, findings: [], skipped: [] };
  const pairs: [Contract, Contract][] = [];
  for (const user of specs) {
    for (const id of user.spec.dependsOn) {
      const used = byId.get(id);
      if (used) pairs.push(...meetingContracts(user, used));
    }
  }
  pairs.push(...sharedTypeContracts(specs));
  for (const [producer, consumer] of pairs) {
    report.checked++;
    if (JSON.stringify(producer.schema) === JSON.stringify(consumer.schema)) continue; // the same schema: contained
    let values: unknown[];
    try {
      values = fc.sample(schemaToArbitrary(producer.schema), { numRuns: samples, seed });
    } catch (error) {
      report.skipped.push(`${producer.label} → ${consumer.label}: ${(error as Error).message}`);
      continue;
    }
    const bad = values.find((value) => validator.validate(producer.schema, value).ok && !validator.validate(consumer.schema, value).ok);
    if (bad === undefined) continue;
    const result = validator.validate(consumer.schema, bad);
    const why = result.ok ? '' : formatSchemaErrors(result.errors, 2);
    report.findings.push({
      from: producer.spec.spec.id,
      to: consumer.spec.spec.id,
      edge: `${producer.label} → ${consumer.label}`,
      counterexample: bad,
      message: `${producer.label} allows ${render(bad)}, which ${consumer.label} refuses (${why}): the two specs disagree at this boundary; narrow ${producer.spec.file} or widen ${consumer.spec.file}`,
    });
  }
  return report;
}
