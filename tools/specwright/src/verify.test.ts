import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_JSON, ROUND_IMPL, ROUND_SPEC, tempWorkspace, type TempWorkspace } from '../test/fixtures';
import type { GateRunner } from './generate';
import { createGateRunner, type GateRunnerHandle } from './gate-runner';
import { TestsBatch } from './gates/tests';
import { normalizeOptions } from './options';
import { verifySpecs } from './verify';

const TWICE_SPEC = `id: demo/twice
description: Twice an integer.
outputs: [twice.ts]
exports:
  - name: twice
    params:
      - name: value
        schema: { type: integer, minimum: -1000, maximum: 1000 }
    returns:
      schema: { type: integer }
constraints:
  pure: true
`;

/**
 * verify-spec on a project of two specs with committed outputs: the tests of both run in one vitest run, and each
 * spec gets the verdict of its own test files. Only the tests gate is on (the others have tests of their own).
 */
describe('verifySpecs: one vitest run per project', () => {
  let ws: TempWorkspace;
  let gates: GateRunnerHandle;

  beforeAll(async () => {
    ws = tempWorkspace({
      'libs/demo/package.json': PACKAGE_JSON('demo'),
      'libs/demo/src/round.spec.yaml': ROUND_SPEC,
      'libs/demo/src/round.ts': ROUND_IMPL,
      'libs/demo/src/round.test.ts': "import { expect, it } from 'vitest';\nimport { roundHalfEven } from './round';\n\nit('rounds ties to even', () => {\n  expect(roundHalfEven(5, 2)).toBe(2);\n});\n",
      'libs/demo/src/twice.spec.yaml': TWICE_SPEC,
      // the committed output is wrong: its test fails, round's must not
      'libs/demo/src/twice.ts': 'export function twice(value: number): number {\n  return value * 3;\n}\n',
      'libs/demo/src/twice.test.ts': "import { expect, it } from 'vitest';\nimport { twice } from './twice';\n\nit('doubles', () => {\n  expect(twice(4)).toBe(8);\n});\n",
    });
    gates = await createGateRunner(ws.root, { gates: { types: false, safety: false, examples: false, properties: false, purity: false, cost: false, differential: false }, testsTimeoutMs: 60_000 });
  });

  afterAll(async () => {
    await gates.dispose();
    ws.cleanup();
  });

  it("gives each spec the findings of its own test files from a single run of the project's tests", async () => {
    const batches = new Set<TestsBatch>();
    const runner: GateRunner = (input) => {
      // verify hands every spec the one batch it made (a TestsBatch; the gate input only names its interface)
      if (input.testsBatch instanceof TestsBatch) batches.add(input.testsBatch);
      return gates.run(input);
    };
    const lines: string[] = [];
    const result = await verifySpecs({ workspaceRoot: ws.root, projects: [{ name: 'demo', root: 'libs/demo' }], options: normalizeOptions({}), gates: runner, log: (line) => lines.push(line) });
    expect(result.ok).toBe(false);
    const byId = new Map(result.specs.map((spec) => [spec.id, spec]));
    expect(byId.get('demo/round')).toMatchObject({ ok: true, verdicts: [{ gate: 'tests', ok: true, findings: [] }] });
    const twice = byId.get('demo/twice');
    expect(twice?.ok).toBe(false);
    expect(twice?.verdicts[0]?.findings.map((finding) => finding.file)).toEqual(['libs/demo/src/twice.test.ts']);
    expect(twice?.verdicts[0]?.findings[0]?.message).toMatch(/twice\.test\.ts › doubles: AssertionError: expected 12 to be 8/);
    // one batch for the run, one vitest run for the project
    expect(batches.size).toBe(1);
    expect([...batches][0]!.runsStarted).toBe(1);
    expect(lines.join('\n')).toContain('1 passed, 1 failed');
  }, 120_000);
});
