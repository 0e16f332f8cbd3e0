import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportSpec, JsonSchema, ResolvedSpec } from '../types';
import { createFixtureWorkspace, type FixtureWorkspace } from './__fixtures__/workspace';
import { GateContext } from './context';
import type { GateInput } from './gate';
import * as fc from 'fast-check';
import { checkExportProperties, createPropertiesGate, plannedInputs } from './properties';
import type { SandboxWorker } from './sandbox';
import { seedFrom } from './util';

let ws: FixtureWorkspace;
let context: GateContext;

beforeAll(() => {
  ws = createFixtureWorkspace();
  context = new GateContext(ws.root, { callTimeoutMs: 400, numRuns: 100 });
});

afterAll(async () => {
  await context.dispose();
  await ws.cleanup();
});

function messages(verdict: { findings: Array<{ message: string }> }): string[] {
  return verdict.findings.map((f) => f.message);
}

/** A one-export spec `f(x)` in the money project, with `code` as its candidate. */
function singleExport(param: JsonSchema, returns: JsonSchema, code: string, throws: string[] = []): GateInput {
  const base = ws.specs.get('money/core')!;
  const exported: ExportSpec = { name: 'f', params: [{ name: 'x', schema: param }], returns: { schema: returns }, throws };
  const spec: ResolvedSpec = {
    ...base,
    spec: { ...base.spec, id: 'money/custom', exports: [exported], examples: [] },
    contracts: { 'f.params.x': param, 'f.returns': returns },
  };
  return { ...ws.input('money/core', { content: code }), spec };
}

describe('properties gate', () => {
  it.each([
    ['money/core', 'good'],
    ['money/allocate', 'good'],
    ['shop/price', 'good'],
  ])('passes %s %s (100 runs per export, allowed errors tolerated)', async (spec, candidate) => {
    const verdict = await createPropertiesGate(context).check(ws.input(spec, candidate));
    expect(verdict).toEqual({ gate: 'properties', ok: true, findings: [] });
  });

  it('finds the shrunk counterexample of a function that throws on empty input, with the seed', async () => {
    const verdict = await createPropertiesGate(context).check(ws.input('money/core', 'throws-on-empty'));
    const seed = seedFrom('money/core#sum');
    expect(messages(verdict)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^property of sum: threw TypeError: Reduce of empty array with no initial value \\(at libs/money/src/core\\.ts:7:17\\) \\(the spec allows no errors\\) on input sum\\(\\[\\]\\) \\(seed ${seed}, path "[\\d:]+", shrunk \\d+ times?\\)$`,
        ),
      ),
    ]);
  });

  it('reports return values that violate the returns contract, shrunk', async () => {
    const verdict = await createPropertiesGate(context).check(ws.input('money/allocate', 'float-output'));
    expect(messages(verdict)).toEqual([
      expect.stringMatching(/^property of allocate: returned \[[\d.,]+\], which violates the allocate\.returns contract: \/\d \(#\/items\/type\) must be integer.* on input allocate\(1, \[\d+,\d+\]\) \(seed/),
    ]);
  });

  it('is reproducible from the seed', async () => {
    const seeded = new GateContext(ws.root, { seed: 12345, numRuns: 50 });
    try {
      const input = ws.input('money/core', 'throws-on-empty');
      const exported = input.spec.spec.exports[0]!;
      const first = await seeded.sandbox.use(input, (worker) => checkExportProperties(seeded, input, worker, exported));
      const second = await seeded.sandbox.use(input, (worker) => checkExportProperties(seeded, input, worker, exported));
      expect(first.seed).toBe(12345);
      expect(second.failure).toEqual(first.failure);
      expect(first.failure?.counterexample).toEqual([[]]);
    } finally {
      await seeded.dispose();
    }
  });

  it('kills a call that loops forever, reports it with its input, and bounds the cost of shrinking', async () => {
    const quick = new GateContext(ws.root, { callTimeoutMs: 200 });
    try {
      const started = Date.now();
      const verdict = await createPropertiesGate(quick).check(ws.input('money/core', 'loops-on-negative'));
      const elapsed = Date.now() - started;
      expect(messages(verdict)).toEqual([expect.stringMatching(/^property of sum: timed out after 200 ms on input sum\(\[.*-\d+.*\]\) — an infinite loop\? the call was killed \(seed/)]);
      // at most 5 timed-out calls (200 ms each, plus a restart) before shrinking stops paying for them
      expect(elapsed).toBeLessThan(5 * 200 + 3000);
    } finally {
      await quick.dispose();
    }
  });

  it('only feeds inputs the param contract accepts (ajv post-filter for keywords the generator ignores)', async () => {
    const input = singleExport(
      { type: 'integer', minimum: 0, maximum: 30, not: { const: 13 } },
      { type: 'integer' },
      'export function f(x: number): number { if (x === 13) throw new Error("unlucky"); return x; }',
    );
    expect(await createPropertiesGate(context).check(input)).toMatchObject({ ok: true, findings: [] });
  });

  it('tolerates declared errors and nothing else', async () => {
    const code = 'export function f(x: number): number { if (x > 5) throw new RangeError("too big"); return x; }';
    expect(await createPropertiesGate(context).check(singleExport({ type: 'integer', minimum: 0, maximum: 10 }, { type: 'integer' }, code, ['RangeError']))).toMatchObject({ ok: true });
    const verdict = await createPropertiesGate(context).check(singleExport({ type: 'integer', minimum: 0, maximum: 10 }, { type: 'integer' }, code));
    expect(messages(verdict)).toEqual([expect.stringMatching(/^property of f: threw RangeError: too big .*\(the spec allows no errors\) on input f\(6\) \(seed/)]);
  });

  it('notes (without failing) a contract it cannot generate from', async () => {
    const verdict = await createPropertiesGate(context).check(singleExport(false, true, 'export const f = (x: unknown) => x;'));
    expect(verdict.ok).toBe(true);
    expect(messages(verdict)).toEqual(['note: f: no inputs generated (schema `false` accepts no value)']);
  });
});

describe('property inputs in batches', () => {
  it('plans exactly the inputs fast-check feeds the property, in order', async () => {
    const arbitraries = [fc.integer({ min: -50, max: 50 }), fc.array(fc.string(), { maxLength: 4 })];
    const validators = [(value: unknown) => value !== 13, () => true];
    const examples: Array<[unknown[]]> = [[[0, []]], [[13, ['x']]]];
    const fed: unknown[][] = [];
    await fc.check(
      fc.asyncProperty(fc.tuple(...arbitraries), async (args: unknown[]) => {
        fc.pre(validators.every((validate, i) => validate(args[i])));
        fed.push(args);
        return true;
      }),
      { numRuns: 60, seed: 7, examples },
    );
    expect(plannedInputs(arbitraries, validators, { numRuns: 60, seed: 7, examples })).toEqual(fed);
  });

  it('sends a passing run in batches, and a failing one shrinks call by call to the same report', async () => {
    const calls = { single: 0, batched: 0, batches: 0 };
    const counting = (worker: SandboxWorker): SandboxWorker => {
      const call = worker.call.bind(worker);
      const callMany = worker.callMany.bind(worker);
      worker.call = (...args) => ((calls.single += 1), call(...args));
      worker.callMany = (list, ...rest) => ((calls.batches += 1), (calls.batched += list.length), callMany(list, ...rest));
      return worker;
    };
    const input = ws.input('money/core', 'good');
    const exported = input.spec.spec.exports[0]!;
    const report = await context.sandbox.use(input, (worker) => checkExportProperties(context, input, counting(worker), exported));
    expect(report.failure).toBeUndefined();
    expect(calls.single).toBe(0);
    expect(calls.batched).toBeGreaterThanOrEqual(report.numRuns);
    expect(calls.batches).toBeLessThan(calls.batched / 8);

    const failing = ws.input('money/core', 'throws-on-empty');
    const batched = await context.sandbox.use(failing, (worker) => checkExportProperties(context, failing, counting(worker), exported));
    expect(batched.failure?.counterexample).toEqual([[]]);
    expect(batched.failure?.message).toMatch(/threw TypeError: Reduce of empty array/);
  });
});
