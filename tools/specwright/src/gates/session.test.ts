import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GateName, GateVerdict } from '../types';
import { createFixtureWorkspace, type FixtureWorkspace } from './__fixtures__/workspace';
import { createGateSession, formatFeedback, runGates, type SpecwrightGateSession } from './session';

let ws: FixtureWorkspace;
let session: SpecwrightGateSession;

beforeAll(() => {
  ws = createFixtureWorkspace();
  session = createGateSession(ws.root, { callTimeoutMs: 500, numRuns: 100, testsTimeoutMs: 30_000 });
});

const timings: string[] = [];
function record(label: string, verdicts: GateVerdict[]): GateVerdict[] {
  timings.push(`${label.padEnd(32)} ${verdicts.map((v) => `${v.gate}=${v.skipped ? 'skip' : `${v.ok ? 'pass' : 'FAIL'}:${v.ms}ms`}`).join(' ')}`);
  return verdicts;
}

afterAll(async () => {
  if (process.env['SPECWRIGHT_GATE_TIMINGS']) console.log(timings.join('\n'));
  await session.dispose();
  await ws.cleanup();
});

function byGate(verdicts: GateVerdict[]): Record<string, GateVerdict> {
  return Object.fromEntries(verdicts.map((v) => [v.gate, v]));
}

/** Seeded defects: candidate → the gate that must catch it. */
const DEFECTS: Array<{ spec: string; candidate: string; gate: GateName; expect: RegExp }> = [
  { spec: 'money/allocate', candidate: 'wrong-rounding', gate: 'examples', expect: /expected \[34,33,33\], got \[33,33,33\]/ },
  { spec: 'money/allocate', candidate: 'float-output', gate: 'examples', expect: /violates the allocate\.returns contract: \/0 \(#\/items\/type\) must be integer/ },
  { spec: 'money/allocate', candidate: 'float-output', gate: 'properties', expect: /violates the allocate\.returns contract/ },
  { spec: 'money/core', candidate: 'throws-on-empty', gate: 'properties', expect: /property of sum: threw TypeError: Reduce of empty array.* on input sum\(\[\]\) \(seed -?\d+/ },
  { spec: 'money/allocate', candidate: 'type-error', gate: 'types', expect: /^libs\/money\/src\/allocate\.ts:\d+:\d+ TS2322 Type 'string' is not assignable to type 'number'/ },
  { spec: 'money/allocate', candidate: 'child-process', gate: 'safety', expect: /\[forbidden-module\] import of 'node:child_process' needs capability 'child_process'/ },
  { spec: 'money/allocate', candidate: 'reads-env', gate: 'safety', expect: /\[no-process-env\] process\.env reads the environment/ },
  { spec: 'money/allocate', candidate: 'hardcoded-key', gate: 'safety', expect: /\[no-hardcoded-secret\]/ },
  { spec: 'money/allocate', candidate: 'uses-eval', gate: 'safety', expect: /\[no-eval\]/ },
  { spec: 'money/allocate', candidate: 'infinite-loop', gate: 'examples', expect: /timed out after 500 ms on input \[100,\[1,1,1\]\]/ },
  { spec: 'money/core', candidate: 'loops-on-negative', gate: 'properties', expect: /property of sum: timed out after 500 ms on input sum\(\[(-?\d+,)*-\d+(,-?\d+)*\]\) — an infinite loop\? the call was killed \(seed -?\d+, path "[\d:]+", shrunk \d+ times?\)/ },
  { spec: 'money/allocate', candidate: 'accepts-negative', gate: 'tests', expect: /test failed: libs\/money\/src\/allocate\.test\.ts › allocate rejects negative amounts: .*to throw/ },
];

describe('runGates', () => {
  it.each([
    ['money/core', 'good'],
    ['money/allocate', 'good'],
    ['shop/price', 'good'],
  ])('passes the correct candidate of %s through every gate', async (spec, candidate) => {
    const verdicts = record(`${spec} ${candidate}`, await runGates(session, ws.input(spec, candidate)));
    expect(verdicts.map((v) => v.gate)).toEqual(['types', 'safety', 'examples', 'properties', 'purity', 'cost', 'tests', 'differential']);
    for (const verdict of verdicts) {
      expect(verdict, `${verdict.gate}: ${formatFeedback([verdict])}`).toMatchObject({ ok: true });
      expect(typeof verdict.ms).toBe('number');
    }
    expect(formatFeedback(verdicts)).toBe('All gates passed.');
  });

  it.each(DEFECTS.map((d) => [`${d.spec} ${d.candidate}`, d.gate, d] as const))('catches %s in the %s gate', async (_label, _gate, defect) => {
    const verdicts = byGate(record(`${defect.spec} ${defect.candidate}`, await runGates(session, ws.input(defect.spec, defect.candidate))));
    const verdict = verdicts[defect.gate]!;
    expect(verdict.ok).toBe(false);
    expect(verdict.skipped).toBeFalsy();
    expect(verdict.findings.map((f) => f.message).join('\n')).toMatch(defect.expect);
  });

  it('skips every later gate after a blocking gate fails', async () => {
    const verdicts = await runGates(session, ws.input('money/allocate', 'uses-eval'));
    expect(verdicts.map((v) => [v.gate, v.ok, !!v.skipped])).toEqual([
      ['types', true, false],
      ['safety', false, false],
      ['examples', false, true],
      ['properties', false, true],
      ['purity', false, true],
      ['cost', false, true],
      ['tests', false, true],
      ['differential', false, true],
    ]);
    const feedback = formatFeedback(verdicts);
    expect(feedback).toMatch(/^Gates failed: safety\. Passed: types\. Not run: examples, properties, purity, cost, tests, differential/);
    expect(feedback).toMatch(/## safety \(1 problem\)\n- libs\/money\/src\/allocate\.ts:\d+:\d+ \[no-eval\] eval evaluates strings as code/);
  });

  it('kills an infinite loop within the call budget: one timeout rejects the attempt, the later gates say why they did not run', async () => {
    const started = Date.now();
    const verdicts = byGate(await runGates(session, ws.input('money/allocate', 'infinite-loop')));
    const examples = verdicts['examples']!;
    // the first example loops and is killed; the attempt is rejected on that one timeout, not one per example
    expect(examples.findings[0]!.message).toMatch(/^example #1 allocate\(100, \[1,1,1\]\): timed out after 500 ms/);
    expect(examples.findings[1]!.message).toMatch(/^\d+ later example\(s\) not run: the candidate did not terminate on allocate\(100, \[1,1,1\]\)/);
    expect(examples.findings).toHaveLength(2);
    expect(verdicts['properties']).toMatchObject({ skipped: true });
    expect(verdicts['tests']).toMatchObject({ skipped: true });
    expect(examples.ms!).toBeLessThan(3000);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('formats feedback per failed gate, deduplicated', () => {
    const feedback = formatFeedback([
      { gate: 'types', ok: false, findings: [{ message: 'a.ts:1:1 TS2322 x', file: 'a.ts', line: 1, column: 1 }, { message: 'a.ts:1:1 TS2322 x', file: 'a.ts', line: 1, column: 1 }] },
      { gate: 'safety', ok: true, findings: [] },
      { gate: 'properties', ok: false, findings: [{ message: 'property of f: threw (seed 1)' }, { message: 'note: f: something' }] },
      { gate: 'tests', ok: false, skipped: true, findings: [{ message: 'skipped' }] },
    ]);
    expect(feedback).toBe(
      [
        'Gates failed: types, properties. Passed: safety. Not run: tests (fix the failures above them first).',
        '',
        '## types (1 problem)',
        '- a.ts:1:1 TS2322 x',
        '',
        '## properties (1 problem)',
        '- property of f: threw (seed 1)',
      ].join('\n'),
    );
  });

  it('lets options turn gates off', async () => {
    const light = createGateSession(ws.root, { gates: { tests: false, properties: false, purity: false, cost: false, differential: false } });
    try {
      expect(light.gates.map((g) => g.name)).toEqual(['types', 'safety', 'examples']);
    } finally {
      await light.dispose();
    }
  });
});
