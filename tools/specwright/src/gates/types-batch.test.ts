import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixtureWorkspace, type FixtureWorkspace } from './__fixtures__/workspace';
import { GateContext } from './context';
import type { Gate, GateInput } from './gate';
import { createTypesGate } from './types';
import { TypesBatch } from './types-batch';

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
