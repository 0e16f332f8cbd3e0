import * as fs from 'node:fs';
import * as path from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixtureWorkspace, type FixtureWorkspace } from './__fixtures__/workspace';
import { GateContext } from './context';
import { createTypesGate, WorkspaceTypeService } from './types';
import { InProcessTypeChecks } from './type-worker-main';
import { TypesBatch } from './types-batch';
import type { Gate, GateInput } from './gate';

let ws: FixtureWorkspace;
let context: GateContext;
let gate: Gate;

beforeAll(() => {
  ws = createFixtureWorkspace();
  context = new GateContext(ws.root);
  gate = createTypesGate(() => context.types());
});

afterAll(async () => {
  await context.dispose();
  await ws.cleanup();
});

const GOOD = (): string => ws.candidateText('money/allocate', 'good');

describe('types gate', () => {
  it.each([
    ['money/core', 'good'],
    ['money/allocate', 'good'],
    // price.ts exists only as the candidate; its test imports it, and it imports @acme/money through node_modules
    ['shop/price', 'good'],
  ])('passes %s %s', async (spec, candidate) => {
    const verdict = await gate.check(ws.input(spec, candidate));
    expect(verdict.findings).toEqual([]);
    expect(verdict.ok).toBe(true);
  });

  it('reports compiler errors as path:line:col TSxxxx message', async () => {
    const verdict = await gate.check(ws.input('money/allocate', 'type-error'));
    expect(verdict.ok).toBe(false);
    expect(verdict.findings).toEqual([
      {
        file: 'libs/money/src/allocate.ts',
        line: 14,
        column: 7,
        message: "libs/money/src/allocate.ts:14:7 TS2322 Type 'string' is not assignable to type 'number'.",
      },
    ]);
  });

  it("reports errors in the spec's tests caused by the candidate, and missing exports", async () => {
    const renamed = GOOD().replace('export function allocate(', 'export function allocateParts(');
    const verdict = await gate.check(ws.input('money/allocate', { content: renamed }));
    const messages = verdict.findings.map((f) => f.message);
    expect(messages).toContainEqual(`libs/money/src/allocate.test.ts:2:10 TS2305 Module '"./allocate"' has no exported member 'allocate'.`);
    expect(messages).toContainEqual(
      "export 'allocate' named in the spec is not exported by libs/money/src/allocate.ts (exports found: allocateParts); add `export function allocate(…)`",
    );
  });

  it('checks that each export is a function with the declared parameters', async () => {
    const notFunction = await gate.check(ws.input('money/allocate', { content: 'export const allocate = 42;\n' }));
    expect(notFunction.findings.map((f) => f.message)).toContainEqual(
      "libs/money/src/allocate.ts:1:14 export 'allocate' is not a function (its type is 42); the spec needs a function",
    );
    const arity = await gate.check(ws.input('money/allocate', { content: 'export function allocate(amount: number, ratios: number[], mode: string): number[] { return [amount, ratios.length, mode.length]; }\n' }));
    // the spec's tests call it with two arguments: the compiler says so too
    expect(arity.findings.map((f) => f.message)).toContain('libs/money/src/allocate.test.ts:8:18 TS2554 Expected 3 arguments, but got 2.');
    expect(arity.findings.map((f) => f.message)).toContainEqual(
      "libs/money/src/allocate.ts:1:1 export 'allocate' has signature (amount: number, ratios: number[], mode: string): number[] but the spec declares 2 parameter(s): amount, ratios",
    );
  });

  it('rejects @ts-nocheck / @ts-ignore', async () => {
    const verdict = await gate.check(ws.input('money/allocate', { content: `// @ts-nocheck\n${GOOD()}` }));
    expect(verdict.findings.map((f) => f.message)).toEqual([
      'libs/money/src/allocate.ts:1:1 @ts-nocheck is not allowed in generated code; fix the type error instead of suppressing it',
    ]);
  });

  it('reuses one language service, never writes the candidate, and forgets it after the check', async () => {
    const service = context.types();
    const onDisk = fs.readFileSync(path.join(ws.root, 'libs/money/src/allocate.ts'), 'utf8');
    await gate.check(ws.input('money/allocate', 'type-error'));
    expect(fs.readFileSync(path.join(ws.root, 'libs/money/src/allocate.ts'), 'utf8')).toBe(onDisk);
    expect(fs.existsSync(path.join(ws.root, 'apps/shop/src/price.ts'))).toBe(false);
    const started = performance.now();
    const again = await gate.check(ws.input('money/allocate', 'good'));
    const warmMs = performance.now() - started;
    expect(again.ok).toBe(true);
    expect(context.types()).toBe(service);
    expect(warmMs).toBeLessThan(2000);
  });
});

describe('type checker garbage', () => {
  it('is collected past the budget above what is live: each new candidate leaves the previous checker behind', async () => {
    // a tight budget, so that a dozen small checks cross it (the default allows 64 MB or half the live heap)
    const service = new WorkspaceTypeService(ws.root, { heap: { minSlackBytes: 8 * 1024 * 1024, slackRatio: 0 } });
    const tight = createTypesGate(() => new InProcessTypeChecks(service));
    try {
      for (let attempt = 0; attempt < 12; attempt++) {
        // a new candidate each time (as repair attempts are): a new program and checker per check
        const verdict = await tight.check(ws.input('money/allocate', { content: `${GOOD()}\n// attempt ${attempt}\n` }));
        expect(verdict.ok).toBe(true);
        // after the check, the heap in use is within the budget: what was left above it has been collected
        expect(getHeapStatistics().used_heap_size).toBeLessThanOrEqual(service.heap.limitBytes);
      }
      expect(service.heap.stats().collections).toBeGreaterThan(0);
    } finally {
      service.dispose();
    }
  });
});

async function batched(batch: TypesBatch, inputs: GateInput[]) {
  const verdicts = [];
  for (const input of inputs) verdicts.push(await gate.check({ ...input, typesBatch: batch }));
  return verdicts;
}

describe('types batch (verify-spec: one program per project)', () => {
  it('checks the specs of a project in one program and gives each the findings a check of its own gives', async () => {
    const renamed = GOOD().replace('export function allocate(', 'export function allocateParts(');
    const inputs = [ws.input('money/allocate', { content: renamed }), ws.input('money/core', 'good'), ws.input('shop/price', 'good')];
    const batch = new TypesBatch(inputs);
    const verdicts = await batched(batch, inputs);
    // two projects: two programs, not three
    expect(batch.projectsChecked).toBe(2);
    for (const [index, input] of inputs.entries()) expect(verdicts[index]).toEqual(await gate.check(input));
    // the renamed export breaks allocate's own test and its export check, and nothing of core's
    const messages = verdicts[0]!.findings.map((f) => f.message);
    expect(messages).toContainEqual(`libs/money/src/allocate.test.ts:2:10 TS2305 Module '"./allocate"' has no exported member 'allocate'.`);
    expect(messages.some((message) => message.startsWith("export 'allocate' named in the spec is not exported"))).toBe(true);
    expect(verdicts[1]).toEqual({ gate: 'types', ok: true, findings: [] });
  });

  it('keeps a compiler error in the file of the spec it belongs to', async () => {
    const inputs = [ws.input('money/allocate', 'type-error'), ws.input('money/core', 'good')];
    const batch = new TypesBatch(inputs);
    const [allocate, core] = await batched(batch, inputs);
    expect(batch.projectsChecked).toBe(1);
    expect(allocate!.findings.map((f) => f.message)).toEqual(["libs/money/src/allocate.ts:14:7 TS2322 Type 'string' is not assignable to type 'number'."]);
    expect(core!.ok).toBe(true);
  });

  it('checks a candidate that is not the one the batch was made with on its own', async () => {
    const batch = new TypesBatch([ws.input('money/allocate', 'good')]);
    const [verdict] = await batched(batch, [ws.input('money/allocate', 'type-error')]);
    expect(batch.projectsChecked).toBe(0);
    expect(verdict!.ok).toBe(false);
  });

  it.each([
    ['a script (its declarations are global)', 'const allocate = (amount: number): number[] => [amount];\n'],
    ['a global declaration', `${'declare global {\n  interface Array<T> { allocate(): T[] }\n}\n'}${'GOOD'}`],
    ['a triple-slash type reference', `/// <reference types="node" />\n${'GOOD'}`],
  ])('checks every spec of the project alone when a root is %s', async (_what, content) => {
    const allocate = ws.input('money/allocate', { content: content.replace('GOOD', GOOD()) });
    const inputs = [allocate, ws.input('money/core', 'good')];
    const batch = new TypesBatch(inputs);
    expect(await batch.findingsFor(allocate, context.types())).toBeUndefined();
    expect(batch.projectsChecked).toBe(1);
    // the gate still answers for each spec, from checks of their own
    const verdicts = await batched(batch, inputs);
    for (const [index, input] of inputs.entries()) expect(verdicts[index]).toEqual(await gate.check(input));
    expect(batch.projectsChecked).toBe(1);
  });
});
