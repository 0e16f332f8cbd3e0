import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedSpec } from '../types';
import { createFixtureWorkspace, type FixtureWorkspace } from './__fixtures__/workspace';
import { GateContext } from './context';
import { createExamplesGate } from './examples';
import type { Gate, GateInput } from './gate';

let ws: FixtureWorkspace;
let context: GateContext;
let gate: Gate;

beforeAll(() => {
  ws = createFixtureWorkspace();
  context = new GateContext(ws.root, { callTimeoutMs: 400 });
  gate = createExamplesGate(context);
});

afterAll(async () => {
  await context.dispose();
  await ws.cleanup();
});

const GOOD = (): string => ws.candidateText('money/allocate', 'good');

function messages(verdict: { findings: Array<{ message: string }> }): string[] {
  return verdict.findings.map((f) => f.message);
}

describe('examples gate', () => {
  it.each([
    ['money/core', 'good'],
    ['money/allocate', 'good'],
    ['shop/price', 'good'],
  ])('passes %s %s', async (spec, candidate) => {
    expect(await gate.check(ws.input(spec, candidate))).toEqual({ gate: 'examples', ok: true, findings: [] });
  });

  it('reports expected vs actual as JSON', async () => {
    const verdict = await gate.check(ws.input('money/allocate', 'wrong-rounding'));
    expect(verdict.ok).toBe(false);
    expect(messages(verdict)).toEqual([
      'example #1 allocate(100, [1,1,1]): expected [34,33,33], got [33,33,33]',
      'example #2 allocate(10, [1,2]): expected [4,6], got [3,7]',
    ]);
  });

  it('validates outputs against the returns contract (instancePath, schemaPath)', async () => {
    const verdict = await gate.check(ws.input('money/allocate', 'float-output'));
    expect(messages(verdict)).toContain(
      'example #1 allocate(100, [1,1,1]): returned [33.333333333333336,33.333333333333336,33.333333333333336], which violates the allocate.returns contract: ' +
        '/0 (#/items/type) must be integer; /1 (#/items/type) must be integer; /2 (#/items/type) must be integer',
    );
  });

  it('checks expected errors by name or constructor chain', async () => {
    const noThrow = GOOD().replace("if (ratios.length === 0) throw new RangeError('ratios must not be empty');", 'if (ratios.length === 0) return [];');
    expect(messages(await gate.check(ws.input('money/allocate', { content: noThrow })))).toEqual([
      'example #4 allocate(100, []): expected to throw RangeError, returned []',
    ]);
    const wrongError = GOOD().replace("throw new RangeError('ratios must not be empty')", "throw new TypeError('ratios must not be empty')");
    expect(messages(await gate.check(ws.input('money/allocate', { content: wrongError })))).toEqual([
      'example #4 allocate(100, []): expected to throw RangeError, threw TypeError: ratios must not be empty (at libs/money/src/allocate.ts:10:34)',
    ]);
    const subclass = `class AllocationError extends RangeError {}\n${GOOD().replace("throw new RangeError('ratios must not be empty')", "throw new AllocationError('empty')")}`;
    expect(await gate.check(ws.input('money/allocate', { content: subclass }))).toMatchObject({ ok: true });
  });

  it('reports an unexpected error with its location', async () => {
    const broken = GOOD().replace('const total = sum(ratios);', 'const total = sum(ratios);\n  if (amount === 10) throw new Error(`unexpected ${amount}`);');
    expect(messages(await gate.check(ws.input('money/allocate', { content: broken })))).toEqual([
      'example #2 allocate(10, [1,2]): expected [4,6], threw Error: unexpected 10 (at libs/money/src/allocate.ts:12:28)',
    ]);
  });

  it('reports an infinite loop as timed out on its input, and stops there: one timeout per attempt', async () => {
    const started = Date.now();
    const verdict = await gate.check(ws.input('money/allocate', 'infinite-loop'));
    expect(Date.now() - started).toBeLessThan(3000);
    const found = messages(verdict);
    expect(found[0]).toBe('example #1 allocate(100, [1,1,1]): timed out after 400 ms on input [100,[1,1,1]] (infinite loop?); the sandbox was killed');
    expect(found[1]).toMatch(/^\d+ later example\(s\) not run: the candidate did not terminate on allocate\(100, \[1,1,1\]\); fix that first$/);
    expect(found).toHaveLength(2);
  });

  it('reports a missing export and an example naming an unknown export', async () => {
    const spec = ws.specs.get('money/allocate')!;
    const withStray: ResolvedSpec = { ...spec, spec: { ...spec.spec, examples: [...spec.spec.examples, { export: 'split', args: [1], expect: 1 }] } };
    const input: GateInput = { ...ws.input('money/allocate', { content: 'export const allocateParts = () => [];' }), spec: withStray };
    const found = messages(await gate.check(input));
    expect(found[0]).toBe("example #1 allocate(100, [1,1,1]): the candidate does not export a function 'allocate' (it exports: allocateParts)");
    expect(found.at(-1)).toBe("example #5 split(1): the spec has no export 'split' (fix the spec's example)");
  });
});
