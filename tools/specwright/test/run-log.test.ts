import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { normalizeOptions } from '../src/options';
import { runPipeline } from '../src/run';
import { pruneRuns, RunLog } from '../src/runs/log';
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai';
import { PACKAGE_JSON, ROUND_IMPL, ROUND_SPEC } from './fixtures';
import { createHookRepo, DEMO, DEMO_OUTPUT, DEMO_SPEC, type HookRepo } from './hook-repo';

/**
 * The run log, cost and reports through the real pipeline: the real openai SDK against the fake server, a first
 * answer the confinement gate rejects, a second one accepted with notes; then the real CLI reads it all back
 * (`runs`, `explain`, `review --approve`, `report --markdown`, `report --agent-trace`).
 */
describe('run log, cost and provenance reports', () => {
  let repo: HookRepo;
  let server: FakeOpenAI;
  const USAGE = { prompt: 1000, completion: 500, cached: 200 };

  beforeEach(async () => {
    repo = createHookRepo();
    server = await startFakeOpenAI();
    repo.write('libs/demo/package.json', PACKAGE_JSON('demo'));
    repo.write(DEMO_SPEC, ROUND_SPEC);
    server.script(
      { kind: 'answer', files: [{ path: 'rounding.ts', content: ROUND_IMPL }], usage: USAGE },
      { kind: 'answer', files: [{ path: 'round.ts', content: ROUND_IMPL }], notes: 'Used integer division; ties go to the even quotient.', usage: USAGE },
    );
  });
  afterEach(async () => {
    await server.close();
    repo.cleanup();
  });

  const generate = (logs: string[]) =>
    runPipeline({
      workspaceRoot: repo.root,
      projects: [DEMO],
      options: normalizeOptions({ provider: 'openai', maxRetries: 0, timeoutMs: 5_000, model: 'gpt-4.1-mini', maxAttempts: 3 }),
      mode: 'write',
      env: { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'test-key' },
      log: (line) => logs.push(line),
    });

  it('keeps every attempt in full outside the tracked tree, prices it, and the commands read it back', async () => {
    const logs: string[] = [];
    const result = await generate(logs);
    expect(result.ok, logs.join('\n')).toBe(true);

    // One file per run, git-ignored by its own folder's .gitignore.
    const files = readdirSync(join(repo.root, '.specwright/runs'));
    expect(files).toHaveLength(1);
    expect(repo.git(['status', '--porcelain', '--', '.specwright']).output).toBe('');
    const lines = readFileSync(join(repo.root, '.specwright/runs', files[0] as string), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    const attempts = lines.filter((line) => line.type === 'attempt');
    expect(attempts).toHaveLength(2);
    expect(attempts[0]).toMatchObject({ specId: 'demo/round', attempt: 1, accepted: false, model: 'gpt-4.1-mini' });
    expect(attempts[0].requestHash).toMatch(/^sha256:/);
    expect(attempts[1].requestHash).not.toBe(attempts[0].requestHash); // the repair turn asks something else
    const confinement = attempts[0].verdicts.find((v: { gate: string }) => v.gate === 'confinement');
    expect(confinement.ok).toBe(false);
    expect(confinement.findings.length).toBeGreaterThanOrEqual(1);
    expect(attempts[1]).toMatchObject({ accepted: true, notes: 'Used integer division; ties go to the even quotient.' });
    expect(attempts[1].candidateFiles[0].path).toBe(DEMO_OUTPUT);
    expect(attempts[1].candidateFiles[0].content).toContain('export function roundHalfEven');
    // Cost: (800 fresh × 0.40 + 200 cached × 0.10 + 500 out × 1.60) / 1M per attempt, two attempts.
    const perAttempt = (800 * 0.4 + 200 * 0.1 + 500 * 1.6) / 1_000_000;
    expect(attempts[0].cost).toBeCloseTo(perAttempt, 10);
    const spec = lines.find((line) => line.type === 'spec');
    expect(spec).toMatchObject({ specId: 'demo/round', result: 'regenerated', attempts: 2 });
    expect(spec.cost).toBeCloseTo(2 * perAttempt, 10);
    expect(result.summary).toMatch(/cost\s/);
    expect(result.summary).toContain('$0.0023');

    const runs = repo.specwright(['runs', '--json']);
    expect(runs.status, runs.output).toBe(0);
    const listed = JSON.parse(runs.output);
    expect(listed[0]).toMatchObject({ attempts: 2, ok: true, specs: [{ specId: 'demo/round', result: 'regenerated' }] });
    const detail = repo.specwright(['runs', listed[0].runId.slice(0, 8)]);
    expect(detail.output).toContain('attempt 1/3 rejected');
    expect(detail.output).toContain('attempt 2/3 ACCEPTED');
    expect(detail.output).toContain('confinement: ');
    expect(detail.output).toContain('model notes: Used integer division');

    const explain = repo.specwright(['explain', 'demo/round']);
    expect(explain.output).toContain(`${DEMO_OUTPUT}: GENERATED`);
    expect(explain.output).toContain('2 attempt(s)');
    expect(explain.output).toContain('content: UNREVIEWED');
    expect(explain.output).toContain('attempt 1/3 rejected');

    const approve = repo.specwright(['review', '--approve', DEMO_OUTPUT]);
    expect(approve.status, approve.output).toBe(0);
    expect(approve.output).toContain('model notes: Used integer division');
    expect(approve.output).toContain('gates: answer ✔  confinement ✖');
    expect(approve.output).toContain(`spec ${DEMO_SPEC} is new (not in HEAD)`);
    repo.git(['add', '-A']);
    expect(repo.commit('demo').status).toBe(0);

    const markdown = repo.specwright(['report', '--markdown']);
    expect(markdown.status).toBe(0);
    expect(markdown.output).toContain('| `demo/round` | `libs/demo/src/round.ts` | gpt-4.1-mini (openai) | 2 | 3000 | $0.0023 |');
    expect(markdown.output).toContain('✅ reviewer@example.com');
    expect(markdown.output).toContain('Rejected attempts');

    const trace = repo.specwright(['report', '--agent-trace']);
    expect(trace.status).toBe(0);
    const record = JSON.parse(trace.output);
    const head = repo.git(['rev-parse', 'HEAD']).output.trim();
    const content = readFileSync(join(repo.root, DEMO_OUTPUT));
    expect(record).toMatchObject({ version: '0.1.0', vcs: { type: 'git', revision: head }, tool: { name: 'specwright' } });
    expect(record.files).toEqual([
      {
        path: DEMO_OUTPUT,
        conversations: [
          {
            contributor: { type: 'ai', model_id: 'gpt-4.1-mini' },
            ranges: [{ start_line: 1, end_line: content.toString('utf8').split('\n').length - 1, content_hash: `sha256:${createHash('sha256').update(content).digest('hex')}` }],
            related: [{ type: 'spec', url: DEMO_SPEC }],
          },
        ],
      },
    ]);
  });

  it('prunes the oldest runs beyond the limit', () => {
    for (let i = 0; i < 5; i++) new RunLog(repo.root, { runId: `run-${i}`, startedAt: `2026-01-0${i + 1}T00:00:00.000Z`, mode: 'write', provider: 'replay', projects: ['demo'] }, {}, { maxRuns: 3 });
    const left = readdirSync(join(repo.root, '.specwright/runs')).sort();
    expect(left).toHaveLength(3);
    expect(left[0]).toContain('run-2');
    expect(pruneRuns(repo.root, 1)).toHaveLength(2);
    expect(existsSync(join(repo.root, '.specwright/.gitignore'))).toBe(true);
  });
});
