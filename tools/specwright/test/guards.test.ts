import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './fixtures';
import { copyTemplate } from './template';

/**
 * The contract guards on the template itself, in a temp copy: the template is broken the ways code really breaks
 * (a human caller passes out-of-contract input; generated code returns out-of-contract output; two specs disagree
 * at a dependsOn boundary; a test expects what the spec does not pin), the real vitest runs the tests with
 * SPECWRIGHT_GUARDS=1 through the workspace's own vitest configs, and each failure must name the right party.
 * Then `specwright explain --stack` reads that same vitest output.
 */

interface Run {
  status: number;
  output: string;
}

const ENV = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST') && key !== 'NODE_OPTIONS' && key !== 'SPECWRIGHT_GUARDS'));

function vitest(cwd: string, files: string[], guards: boolean): Run {
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--root', cwd, ...files], {
    cwd,
    env: { ...ENV, NO_COLOR: '1', FORCE_COLOR: '0', CI: '1', ...(guards ? { SPECWRIGHT_GUARDS: '1' } : {}) },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

function replaceIn(path: string, from: string | RegExp, to: string): void {
  const text = readFileSync(path, 'utf8');
  const next = text.replace(from, to);
  if (next === text) throw new Error(`fixture: ${String(from)} not found in ${path}`);
  writeFileSync(path, next);
}

describe('contract guards on the template (real vitest, SPECWRIGHT_GUARDS=1)', () => {
  let ws: { root: string; cleanup(): void };
  let money: Run;
  let invoice: Run;

  beforeAll(() => {
    ws = copyTemplate();
    const lib = (path: string) => join(ws.root, 'libs/money/src', path);
    // A human helper that passes out-of-contract ratios (a share of 0 becomes the ratio -1).
    writeFileSync(lib('split-bill.ts'), "import { allocate } from './allocate';\n\n/** Hand-written. */\nexport function splitBill(amount: number, shares: number[]): number[] {\n  return allocate(amount, shares.map((share) => share - 1));\n}\n");
    writeFileSync(lib('caller.test.ts'), "import { expect, it } from 'vitest';\nimport { splitBill } from './split-bill';\n\nit('splits a bill', () => {\n  expect(splitBill(100, [1, 2, 0])).toEqual([0, 100, 0]);\n});\n");
    // A test that expects what the spec never says (and the generated code, within contract, does differently).
    writeFileSync(lib('gap.test.ts'), "import { expect, it } from 'vitest';\nimport { allocate } from './allocate';\n\nit('gives the leftover unit to the first part', () => {\n  expect(allocate(10, [1, 2])).toEqual([4, 6]);\n});\n");
    // Generated code that returns a value outside its `returns` contract (a non-integer) for a valid input.
    replaceIn(lib('round.ts'), "  return divideRounded(numerator, denominator, 'half-even');", "  if (numerator < 0) throw new RangeError(`numerator must not be negative, got ${numerator}`);\n  return divideRounded(numerator, denominator, 'half-even') + (denominator === 7 ? 0.5 : 0);");
    writeFileSync(lib('generated.test.ts'), "import { expect, it } from 'vitest';\nimport { roundHalfEven } from './round';\n\nit('rounds 10/7', () => {\n  expect(roundHalfEven(10, 7)).toBe(1);\n});\n");
    // Generated code broken by hand within its contract (a string is still a string): the drift is to blame.
    replaceIn(lib('format.ts'), "GBP: { digits: 2, symbol: '£' }", "GBP: { digits: 2, symbol: '€' }");
    writeFileSync(lib('within.test.ts'), "import { expect, it } from 'vitest';\nimport { formatMoney } from './format';\n\nit('formats a small negative amount', () => {\n  expect(formatMoney({ amount: -5, currency: 'GBP' })).toBe('-£0.05');\n});\n");
    // Two specs that disagree: money/round now refuses negative numerators, invoice/totals passes negative nets.
    replaceIn(lib('round.spec.yaml'), /(- name: roundHalfEven[\s\S]*?- name: numerator\n\s+schema: \{ type: integer, minimum: )-9007199254740991/, '$10');
    money = vitest(join(ws.root, 'libs/money'), ['src/caller.test.ts', 'src/gap.test.ts', 'src/generated.test.ts', 'src/within.test.ts'], true);
    invoice = vitest(join(ws.root, 'apps/invoice-cli'), ['src/totals.test.ts'], true);
  }, 240_000);
  afterAll(() => ws?.cleanup());

  const block = (output: string, test: string) => {
    const start = output.indexOf(`> ${test}`);
    expect(start, `no failure block for "${test}" in:\n${output}`).toBeGreaterThanOrEqual(0);
    return output.slice(start, start + 3000);
  };

  it('caller broke the contract: names the human file:line, the value, the spec, the param and the keyword', () => {
    expect(money.status).toBe(1);
    const text = block(money.output, 'splits a bill');
    expect(text).toContain('CALLER BROKE THE CONTRACT');
    expect(text).toContain('libs/money/src/split-bill.ts:5:10 (human) called allocate(100, [0, 1, -1])');
    expect(text).toContain('ratios[2] = -1 violates money/allocate params.ratios items.minimum 0');
  });

  it('generated code broke its contract: a result outside `returns` for arguments within it', () => {
    const text = block(money.output, 'rounds 10/7');
    expect(text).toContain('GENERATED CODE BROKE ITS CONTRACT — responsible: the generated code of money/round (libs/money/src/round.ts)');
    expect(text).toContain('roundHalfEven(10, 7) (arguments within contract) returned a value outside `returns`');
    expect(text).toContain('(result) = 1.5 violates money/round returns type "integer"');
  });

  it('generated code edited by hand: within contract but not the reviewed content, so the edit is blamed', () => {
    const text = block(money.output, 'formats a small negative amount');
    expect(text).toContain('GENERATED CODE BROKE ITS CONTRACT — responsible: the generated code of money/format (libs/money/src/format.ts), edited by hand since it was generated');
    expect(text).toContain('git checkout -- libs/money/src/format.ts');
    expect(text).toContain('- { export: formatMoney, args: [{"amount":-5,"currency":"GBP"}], expect: "-£0.05" }');
  });

  it('spec gap: every call within contract, the example to add comes from the call and the test', () => {
    const text = block(money.output, 'gives the leftover unit to the first part');
    expect(text).toContain('SPEC GAP — responsible: the spec money/allocate (libs/money/src/allocate.spec.yaml)');
    expect(text).toContain('allocate(10, [1, 2]) returned [3, 7]');
    expect(text).toContain('- { export: allocate, args: [10,[1,2]], expect: [4,6] }');
  });

  it('boundary: generated code of one spec passes another spec values its contract refuses', () => {
    expect(invoice.status).toBe(1);
    const text = block(invoice.output, 'handles discount lines symmetrically');
    expect(text).toContain('BOUNDARY: TWO SPECS DISAGREE — responsible: specs invoice/totals and money/round');
    expect(text).toMatch(/generated code of invoice\/totals \(apps\/invoice-cli\/src\/totals\.ts:\d+:\d+\) called roundHalfEven\(-\d+, 1000\)/);
    expect(text).toContain('numerator = ');
    expect(text).toContain('violates money/round params.numerator minimum 0');
  });

  it('explain --stack on that vitest output labels each frame and marks the human→generated boundary', () => {
    const result = spawnSync(process.execPath, [join(ws.root, 'tools/specwright/bin/specwright.js'), 'explain', '--stack', '--json'], { cwd: join(ws.root, 'libs/money'), input: money.output, encoding: 'utf8', env: ENV });
    expect(result.status, result.stderr).toBe(0);
    const explained = JSON.parse(result.stdout) as { frames: { file?: string; kind: string; boundary: boolean; provenance?: { specId: string; state: string; model?: string } }[]; boundaries: { direction: string; text: string }[]; guardVerdicts: string[] };
    const allocateFrame = explained.frames.find((frame) => frame.file === 'libs/money/src/allocate.ts');
    expect(allocateFrame?.kind).toBe('generated');
    expect(allocateFrame?.provenance?.specId).toBe('money/allocate');
    expect(allocateFrame?.provenance?.state).toBe('reviewed');
    expect(allocateFrame?.provenance?.model).toBe('gpt-4.1-mini');
    expect(explained.frames.find((frame) => frame.file === 'libs/money/src/split-bill.ts')).toMatchObject({ kind: 'human', boundary: true });
    expect(explained.boundaries.map((b) => b.text)).toContain('human libs/money/src/split-bill.ts:5:10 calls generated money/allocate (libs/money/src/allocate.ts:19:13)');
    expect(explained.guardVerdicts.some((line) => line.includes('CALLER BROKE THE CONTRACT'))).toBe(true);
  });

  it('explain <file:line> tells a hand-edited generated file from the reviewed one', () => {
    const cli = (args: string[]) => spawnSync(process.execPath, [join(ws.root, 'tools/specwright/bin/specwright.js'), 'explain', ...args], { cwd: ws.root, encoding: 'utf8', env: ENV });
    // round.ts was changed by hand in this copy: still generated (spec money/round), but drifted from what was reviewed.
    const roundLines = readFileSync(join(ws.root, 'libs/money/src/round.ts'), 'utf8').split('\n');
    const insideRoundHalfEven = roundLines.findIndex((line) => line.startsWith('export function roundHalfEven')) + 2;
    const round = cli([`libs/money/src/round.ts:${insideRoundHalfEven}`, '--json']);
    expect(round.status, round.stderr).toBe(0);
    expect(JSON.parse(round.stdout).files[0]).toMatchObject({ kind: 'generated', specId: 'money/round', state: 'drifted', exportAtLine: 'roundHalfEven' });
    const human = cli(['libs/money/src/split-bill.ts']);
    expect(human.stdout).toContain('libs/money/src/split-bill.ts: HUMAN');
    const spec = cli(['money/allocate']);
    expect(spec.stdout).toContain('libs/money/src/allocate.ts: GENERATED');
    expect(spec.stdout).toContain('content: REVIEWED');
  });

  it('explain --guards lists the verdicts the guards recorded in .specwright/guards', () => {
    const result = spawnSync(process.execPath, [join(ws.root, 'tools/specwright/bin/specwright.js'), 'explain', '--guards', '--json'], { cwd: ws.root, encoding: 'utf8', env: ENV });
    expect(result.status, result.stderr).toBe(0);
    const entries = JSON.parse(result.stdout) as { test: string; file: string; verdict: { kind: string } }[];
    expect(entries.find((entry) => entry.test === 'splits a bill')).toMatchObject({ file: 'libs/money/src/caller.test.ts', verdict: { kind: 'caller' } });
    expect(new Set(entries.map((entry) => entry.verdict.kind))).toEqual(new Set(['caller', 'generated', 'spec-gap', 'boundary']));
  });

  it('costs nothing when off: the same tests fail without any wrapping or verdict', () => {
    const off = vitest(join(ws.root, 'libs/money'), ['src/caller.test.ts'], false);
    expect(off.status).toBe(1);
    expect(off.output).not.toContain('[specwright guards]');
    expect(off.output).not.toContain('guards/runtime');
  }, 60_000);
});
