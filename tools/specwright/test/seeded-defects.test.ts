import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGateRunner, type GateRunnerHandle } from '../src/gate-runner';
import { readLock } from '../src/lock';
import { normalizeOptions } from '../src/options';
import { runPipeline } from '../src/run';
import { startFakeOpenAI, type FakeOpenAI, type Reply } from './fake-openai';
import { PACKAGE_JSON, ROUND_IMPL, ROUND_SPEC, tempWorkspace, type TempWorkspace } from './fixtures';

const SPEC_FILE = 'libs/demo/src/round.spec.yaml';
const OUTPUT = 'libs/demo/src/round.ts';
const TEST_FILE = `import { describe, expect, it } from 'vitest';
import { roundHalfEven } from './round';

describe('roundHalfEven', () => {
  it('rounds ties to even', () => {
    expect(roundHalfEven(5, 2)).toBe(2);
    expect(roundHalfEven(-5, 2)).toBe(-2);
  });
  it('rounds 1/3 down', () => {
    expect(roundHalfEven(1, 3)).toBe(0);
  });
});
`;
const SPEC = `${ROUND_SPEC}tests: [round.test.ts]\n`;

interface Defect {
  name: string;
  code: string;
  /** The gate that must catch it. */
  gate: string;
  /** What the feedback must say. */
  feedback: RegExp;
  path?: string;
}

const body = (implementation: string) => `export function roundHalfEven(numerator: number, denominator: number): number {\n${implementation}\n}\n`;

/** One defect each, in an otherwise plausible implementation. */
const DEFECTS: Defect[] = [
  { name: 'wrong rounding (half up)', gate: 'examples', feedback: /roundHalfEven\(5, 2\).*expected 2.*(got|actual).*3/is, code: body('  return Math.round(numerator / denominator);') },
  { name: 'output breaks the returns schema', gate: 'examples', feedback: /must be integer|returns/i, code: body('  return numerator / denominator;') },
  { name: 'throws on zero numerator', gate: 'properties', feedback: /threw|throws|Error/i, code: `${ROUND_IMPL.replace('{\n', "{\n  if (numerator === 0) throw new Error('empty input');\n")}` },
  { name: 'type error', gate: 'types', feedback: /TS2322/, code: body("  const result: number = 'half';\n  return result;") },
  { name: 'imports child_process', gate: 'safety', feedback: /child_process/, code: `import { execSync } from 'node:child_process';\n${ROUND_IMPL}export const who = () => execSync('whoami').toString();\n` },
  { name: 'writes outside the project', gate: 'confinement', feedback: /outside the project/, code: ROUND_IMPL, path: '../../../outside.ts' },
  { name: 'infinite loop', gate: 'examples', feedback: /timed out|time/i, code: body('  for (;;) {}') },
  { name: 'reads process.env', gate: 'safety', feedback: /process\.env/, code: `${ROUND_IMPL}export const region = () => process.env.REGION ?? 'eu';\n` },
  { name: 'hard-coded API key', gate: 'safety', feedback: /secret|key/i, code: `const apiKey = 'sk-proj-9fQ2mZr7XkT4vLp8Wn3bYc6Hd1Js5Ga0';\n${ROUND_IMPL}export const client = () => apiKey.length;\n` },
  { name: 'uses eval', gate: 'safety', feedback: /eval/, code: body('  return eval(`${numerator}/${denominator}`) | 0;') },
  { name: 'fails the declared vitest test only', gate: 'tests', feedback: /rounds 1\/3 down/, code: body('  if (numerator === 1 && denominator === 3) return 1;\n' + ROUND_IMPL.split('\n').slice(1, -2).join('\n')) },
];

describe('seeded defects: every gate catches its defect and the repair loop lands the fix', () => {
  let ws: TempWorkspace;
  let server: FakeOpenAI;
  let gates: GateRunnerHandle;

  beforeAll(async () => {
    ws = tempWorkspace({ 'libs/demo/package.json': PACKAGE_JSON('demo'), [SPEC_FILE]: SPEC, 'libs/demo/src/round.test.ts': TEST_FILE });
    server = await startFakeOpenAI();
    gates = await createGateRunner(ws.root, { callTimeoutMs: 1_000, numRuns: 60 });
  });
  afterAll(async () => {
    await gates?.dispose();
    await server?.close();
    ws?.cleanup();
  });
  beforeEach(() => {
    server.requests.length = 0;
  });

  const run = (force = true) =>
    runPipeline({
      workspaceRoot: ws.root,
      projects: [{ name: 'demo', root: 'libs/demo' }],
      options: normalizeOptions({ provider: 'openai', maxRetries: 0, timeoutMs: 20_000, maxAttempts: 2 }),
      mode: 'write',
      force,
      env: { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'k' },
      log: () => undefined,
      gates: gates.run,
    });
  const reply = (code: string, path = 'round.ts'): Reply => ({ kind: 'answer', files: [{ path, content: code }] });

  it('accepts the correct implementation', async () => {
    server.script(reply(ROUND_IMPL));
    const result = await run(false);
    expect(result.outcomes[0]?.message).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(readLock(ws.root, 'libs/demo').specs['demo/round']?.generation.history[0]?.gates).toMatchObject({ types: 'pass', safety: 'pass', examples: 'pass', properties: 'pass', tests: 'pass' });
  });

  const caught: string[] = [];
  for (const defect of DEFECTS) {
    it(`catches: ${defect.name} (gate ${defect.gate}), lands the fix on attempt 2`, async () => {
      // The fix differs from the file in place (a comment), so the write and its lock record are new.
      server.script(reply(defect.code, defect.path), reply(`${ROUND_IMPL}// fixed after: ${defect.name}\n`));
      const result = await run();
      expect(result.ok, result.outcomes[0]?.message).toBe(true);
      expect(server.requests).toHaveLength(2);
      const feedback = server.requests[1]?.body.messages.at(-1)?.content ?? '';
      expect(feedback).toMatch(new RegExp(`\\b${defect.gate}\\b`));
      expect(feedback).toMatch(defect.feedback);
      const history = readLock(ws.root, 'libs/demo').specs['demo/round']?.generation.history ?? [];
      expect(history.map((h) => h.attempt)).toEqual([1, 2]);
      expect(history[0]?.gates[defect.gate as keyof (typeof history)[0]['gates']]).toBe('fail');
      expect(history[0]?.failure).toMatch(new RegExp(`^${defect.gate}:`));
      caught.push(defect.name);
    });
  }

  it('with only defective answers the spec fails naming the gate, and the old file is byte-identical', async () => {
    const before = readFileSync(join(ws.root, OUTPUT));
    const lockBefore = readFileSync(join(ws.root, 'libs/demo/specwright.lock.json'));
    server.script(reply(DEFECTS[0]!.code), reply(DEFECTS[0]!.code));
    const result = await run();
    expect(result.ok).toBe(false);
    expect(result.outcomes[0]?.message).toMatch(/rejected after 2 attempt\(s\); last failure in gate "examples"/);
    expect(readFileSync(join(ws.root, OUTPUT))).toEqual(before);
    expect(readFileSync(join(ws.root, 'libs/demo/specwright.lock.json'))).toEqual(lockBefore);
    expect(existsSync(join(ws.root, 'outside.ts'))).toBe(false);
  });

  it('reports the catch rate', () => {
    // Printed for the record (the issue asks for it); each defect's own test asserts the catch.
    console.log(`seeded-defect catch rate: ${caught.length}/${DEFECTS.length}`);
    expect(caught.length).toBe(DEFECTS.length);
  });
});
