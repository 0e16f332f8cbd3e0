import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as fingerprint from '../src/fingerprint';
import type { ProjectRef } from '../src/load';
import { normalizeOptions } from '../src/options';
import * as parse from '../src/parse';
import * as policy from '../src/review/policy';
import { runCiCheck, type CiCheckResult } from '../src/review/ci-check';
import { runPipeline } from '../src/run';
import { startFakeOpenAI, type FakeOpenAI, type RecordedRequest, type Reply } from './fake-openai';
import { PACKAGE_JSON, ROUND_IMPL, ROUND_SPEC, tempWorkspace, type TempWorkspace } from './fixtures';

// The real parser, fingerprinter and policy reader, wrapped to count their calls: "each spec is parsed and
// fingerprinted once, the policy read once" is a count, and only the real functions can be counted honestly.
vi.mock('../src/parse', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/parse')>();
  return { ...actual, parseSpec: vi.fn(actual.parseSpec) };
});
vi.mock('../src/fingerprint', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/fingerprint')>();
  return { ...actual, fingerprintInOrder: vi.fn(actual.fingerprintInOrder) };
});
vi.mock('../src/review/policy', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/review/policy')>();
  return { ...actual, parsePolicy: vi.fn(actual.parsePolicy), loadPolicy: vi.fn(actual.loadPolicy) };
});

const DEMO = { name: 'demo', root: 'libs/demo' };
const UTIL = { name: 'util', root: 'libs/util' };
const specOf = (id: string, output: string) => ROUND_SPEC.replace('id: demo/round', `id: ${id}`).replace('[round.ts]', `[${output}]`);
const OPTIONS = normalizeOptions({ provider: 'openai', maxRetries: 0, timeoutMs: 5_000, model: 'test-model' });

describe('ci-check loads once', () => {
  let ws: TempWorkspace;
  let server: FakeOpenAI;

  beforeEach(async () => {
    ws = tempWorkspace({
      'libs/demo/package.json': PACKAGE_JSON('demo'),
      'libs/demo/src/round.spec.yaml': ROUND_SPEC,
      'libs/demo/src/halve.spec.yaml': specOf('demo/halve', 'halve.ts').replace('constraints:', 'dependsOn: [util/third]\nconstraints:'),
      'libs/util/package.json': PACKAGE_JSON('util'),
      'libs/util/src/third.spec.yaml': specOf('util/third', 'third.ts'),
    });
    server = await startFakeOpenAI();
    server.fallback = (request: RecordedRequest): Reply => ({ kind: 'answer', files: [{ path: /Write: (\S+)/.exec(request.body.messages[1]?.content ?? '')?.[1] ?? 'x.ts', content: ROUND_IMPL }] });
    const env = { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'k' };
    const runs: [ProjectRef[], ProjectRef[]][] = [
      [[UTIL], []],
      [[DEMO], [UTIL]],
    ];
    for (const [projects, dependencyProjects] of runs) {
      const generated = await runPipeline({ workspaceRoot: ws.root, projects, dependencyProjects, options: OPTIONS, mode: 'write', env, log: () => undefined });
      expect(generated.ok).toBe(true);
    }
    vi.clearAllMocks();
  });
  afterEach(async () => {
    await server.close();
    ws.cleanup();
  });

  const ciCheck = async (): Promise<{ result: CiCheckResult; output: string }> => {
    const lines: string[] = [];
    const result = await runCiCheck({ workspaceRoot: ws.root, projects: [DEMO], dependencyProjects: [UTIL], options: OPTIONS, log: (line) => lines.push(line) });
    return { result, output: lines.join('\n') };
  };

  it('parses and fingerprints each spec once (projects and dependencies) and reads the policy once, for generation and review', async () => {
    ws.write('specs/policy.yaml', 'generated: ["libs/*/src/**"]\n');
    const { result, output } = await ciCheck();
    expect(output).toContain('── review and policy');
    expect(result.generationOk).toBe(true);
    expect(result.notReviewed).toBe(2); // generated, never reviewed: the review state was judged from the same specs
    const parsedFiles = vi.mocked(parse.parseSpec).mock.calls.map(([, location]) => location.file).sort();
    expect(parsedFiles).toEqual(['libs/demo/src/halve.spec.yaml', 'libs/demo/src/round.spec.yaml', 'libs/util/src/third.spec.yaml']);
    expect(vi.mocked(fingerprint.fingerprintInOrder)).toHaveBeenCalledTimes(1);
    expect(vi.mocked(policy.parsePolicy)).toHaveBeenCalledTimes(1);
    expect(vi.mocked(policy.loadPolicy)).not.toHaveBeenCalled();
  });

  it('reports an invalid policy by its own handling — file:line:column, what is wrong, the fix — and fails without throwing', async () => {
    ws.write('specs/policy.yaml', 'generated: ["libs/*/src/**"]\nhumanOnly: "**/round.ts"\n');
    const { result, output } = await ciCheck();
    expect(result).toMatchObject({ ok: false, policyInvalid: true, generationOk: true, policyFindings: 0 });
    const review = output.slice(output.indexOf('── review and policy'));
    expect(review).toMatch(/ {2}invalid {4}specs\/policy\.yaml:2:\d+: humanOnly[^\n]*must be array[^\n]*policy and reviewer checks are skipped until it is fixed\n\s+fix: edit specs\/policy\.yaml/);
    expect(output).toMatch(/Specwright ci-check: FAILED — generation up to date; 0\/2 output\(s\) reviewed, 2 not; specs\/policy\.yaml is invalid$/);
    expect(vi.mocked(policy.parsePolicy)).toHaveBeenCalledTimes(1);
  });
});
