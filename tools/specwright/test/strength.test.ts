import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateRunner, type GateRunnerHandle } from '../src/gate-runner';
import { findTestFiles } from '../src/gates/tests';
import { loadSpecs } from '../src/load';
import { normalizeOptions } from '../src/options';
import { measureStrength, STRENGTH_CACHE_DIR, type StrengthRequest } from '../src/strength/strength';
import { copyTemplate } from './template';

// A spec with an obvious unpinned boundary: 17 and 30 are far from 18, so `>=` → `>` passes every gate.
const ADULT_SPEC = `id: text/adult
description: |
  \`isAdult(age)\` is true when age is 18 or more.
outputs: [adult.ts]
exports:
  - name: isAdult
    params:
      - name: age
        schema: { type: integer, minimum: 0, maximum: 150 }
    returns:
      schema: { type: boolean }
constraints:
  pure: true
examples:
  - { export: isAdult, args: [30], expect: true }
  - { export: isAdult, args: [5], expect: false }
`;
const ADULT_CODE = `export function isAdult(age: number): boolean {
  return age >= 18;
}
`;

describe('specwright strength', () => {
  let ws: ReturnType<typeof copyTemplate>;
  let fast: GateRunnerHandle;
  let tests: GateRunnerHandle;
  let request: (ids: string[], maxMutants?: number) => StrengthRequest;

  beforeAll(async () => {
    ws = copyTemplate();
    // The copy links the repository's node_modules/.cache; strength results get a cache of this copy's own, so an
    // earlier run of this test (the other Node version in CI) cannot make the first measurement a cache hit.
    rmSync(join(ws.root, 'node_modules/.cache'), { force: true });
    mkdirSync(join(ws.root, STRENGTH_CACHE_DIR), { recursive: true });
    writeFileSync(join(ws.root, 'libs/text/src/adult.spec.yaml'), ADULT_SPEC);
    writeFileSync(join(ws.root, 'libs/text/src/adult.ts'), ADULT_CODE);
    fast = await createGateRunner(ws.root, { gates: { tests: false }, numRuns: 20 });
    tests = await createGateRunner(ws.root, { gates: { types: false, safety: false, examples: false, properties: false, tests: true } });
    const loaded = loadSpecs(ws.root, [{ name: 'text', root: 'libs/text' }, { name: 'money', root: 'libs/money' }], normalizeOptions({}));
    const byId = new Map(loaded.specs.map((spec) => [spec.spec.id, spec]));
    request = (ids, maxMutants) => ({
      workspaceRoot: ws.root,
      specs: ids.map((id) => byId.get(id) as NonNullable<ReturnType<typeof byId.get>>),
      specsById: byId,
      fastGates: fast.run,
      testGates: tests.run,
      testFilesOf: (spec) => findTestFiles({ workspaceRoot: ws.root, spec, files: new Map() }),
      concurrency: 2,
      ...(maxMutants ? { maxMutants } : {}),
    });
  }, 60_000);

  afterAll(async () => {
    await fast?.dispose();
    await tests?.dispose();
    ws?.cleanup();
  });

  it('shows the unpinned boundary as a survivor, with the example that would pin it, and caches the result', async () => {
    const [result] = await measureStrength(request(['text/adult']));
    expect(result?.total).toBeGreaterThanOrEqual(4);
    const survivors = result?.mutants.filter((mutant) => mutant.status === 'survived') ?? [];
    expect(survivors.map((mutant) => `${mutant.line}: ${mutant.original} → ${mutant.replacement}`)).toEqual(['2: age >= 18 → age > 18']);
    expect(survivors[0]?.hint).toBe('libs/text/src/adult.ts:2: `age >= 18` → `age > 18` survives: add an example at the boundary (the input where the two comparisons differ)');
    // `<` and the constant conditions are killed by the examples; the emptied body does not type-check.
    expect(result?.mutants.filter((mutant) => mutant.status === 'killed').every((mutant) => mutant.killedBy === 'examples')).toBe(true);
    expect(result?.invalid).toBeGreaterThanOrEqual(1);
    expect(result?.score).toBe(Math.round((1000 * (result?.killed ?? 0)) / ((result?.killed ?? 0) + 1)) / 10);
    expect(result?.cached).toBe(false);

    const [again] = await measureStrength(request(['text/adult']));
    expect(again?.cached).toBe(true);
    expect(again?.score).toBe(result?.score);
  }, 120_000);

  it('reports a score for a template spec', async () => {
    const [result] = await measureStrength(request(['money/allocate'], 3));
    expect((result?.killed ?? 0) + (result?.survived ?? 0) + (result?.invalid ?? 0)).toBe(3);
    // Emptied error messages are listed but not run: specs pin the error type, not the wording.
    expect(result?.ignored).toBeGreaterThanOrEqual(1);
    expect(result?.mutants.find((mutant) => mutant.status === 'ignored')?.original).toMatch(/ratio|amount/);
    expect(result?.killed).toBeGreaterThanOrEqual(1);
    expect(result?.score).toBeGreaterThan(0);
  }, 120_000);
});
