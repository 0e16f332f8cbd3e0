import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import reviewSpecExecutor from '../src/executors/review-spec/executor';
import { normalizeOptions, type SpecwrightPluginOptions } from '../src/options';
import { runReview, type ReviewRequest } from '../src/review/review';
import { readPluginOptions } from '../src/workspace';
import { ROUND_IMPL, ROUND_SPEC } from './fixtures';
import { createHookRepo, DEMO, DEMO_LOCK, DEMO_OUTPUT, DEMO_SPEC, EMAIL, withDemoLib, type HookRepo } from './hook-repo';

const V2 = ROUND_IMPL.replace('  if (twice < denominator) return quotient;\n', '  if (twice < denominator) {\n    return quotient;\n  }\n');

describe('specwright review', () => {
  let repo: HookRepo;
  let logs: string[];

  beforeEach(async () => {
    repo = createHookRepo();
    await withDemoLib(repo);
    logs = [];
  });
  afterEach(() => repo.cleanup());

  const review = (overrides: Partial<ReviewRequest> & { answers?: string } = {}) => {
    const { answers, ...rest } = overrides;
    const input = new PassThrough();
    input.end(answers ?? '');
    return runReview({
      workspaceRoot: repo.root,
      cwd: repo.root,
      projects: [DEMO],
      options: normalizeOptions(readPluginOptions(repo.root) as SpecwrightPluginOptions),
      mode: 'auto',
      interactive: true,
      input,
      output: new PassThrough(),
      log: (line) => logs.push(line),
      ...rest,
    });
  };
  const text = () => logs.join('\n');
  const output = () => repo.lock(DEMO.root).specs['demo/round']?.outputs['src/round.ts'];

  /** v1 approved and committed, then the spec changes and v2 is generated: unreviewed, with a review on record. */
  const approveCommitAndRegenerate = async () => {
    expect(await review({ mode: 'approve' })).toBe(0);
    repo.git(['add', '-A']);
    expect(repo.commit('v1').status).toBe(0);
    repo.write(DEMO_SPEC, ROUND_SPEC.replace('ties to even.', 'ties to even; keep branches explicit.'));
    await repo.generate(DEMO, { 'demo/round': [{ path: 'round.ts', content: V2 }] });
    logs = [];
  };

  it('shows a never-reviewed file whole, and records an approval with who, when and which content', async () => {
    const before = Date.now();
    expect(await review({ answers: 'y\n' })).toBe(0);
    expect(text()).toContain('never reviewed: the whole file');
    expect(text()).toContain('+export function roundHalfEven');
    expect(text()).toContain(`approved as ${EMAIL}`);
    expect(text()).toContain(`git add ${DEMO_LOCK}`);
    const recorded = output();
    expect(recorded?.review).toEqual({ by: EMAIL, at: expect.any(String), hash: recorded?.hash, body: recorded?.body });
    expect(recorded?.body).toMatch(/^sha256:/);
    expect(Date.parse(recorded?.review?.at ?? '')).toBeGreaterThanOrEqual(before - 1000);
    logs = [];
    expect(await review()).toBe(0);
    expect(text()).toContain('all 1 generated output(s) are reviewed');
  });

  it('diffs against the approved version found in git history by its hash', async () => {
    await approveCommitAndRegenerate();
    const approvedHash = output()?.review?.hash;
    expect(await review({ answers: 'n\n' })).toBe(1);
    const commit = repo.git(['rev-parse', 'HEAD']).output.trim().slice(0, 10);
    expect(text()).toContain(`diff since the approved version (${EMAIL}`);
    expect(text()).toContain(`as committed in ${commit}`);
    expect(text()).toMatch(/^-  if \(twice < denominator\) return quotient;$/m);
    expect(text()).toMatch(/^\+  if \(twice < denominator\) \{$/m);
    // Rejecting leaves it unreviewed and says how to send the problem back to the spec.
    expect(output()?.review?.hash).toBe(approvedHash);
    expect(output()?.review?.hash).not.toBe(output()?.hash);
    expect(text()).toContain(`left unreviewed: ${DEMO_OUTPUT}`);
    expect(text()).toContain(`describe what is wrong in ${DEMO_SPEC} — the description, a constraints rule,`);
    expect(text()).toContain('nx generate-from-spec demo --spec demo/round');

    logs = [];
    expect(await review({ answers: 'q\n' })).toBe(1);
    expect(output()?.review?.hash).toBe(approvedHash);
    expect(await review({ answers: 'maybe\ny\n' })).toBe(0);
    expect(output()?.review?.hash).toBe(output()?.hash);
  });

  it('refuses to approve a drifted or a stale output, with the reason and the fix', async () => {
    const generated = repo.read(DEMO_OUTPUT);
    repo.write(DEMO_OUTPUT, `${generated}// by hand\n`);
    expect(await review({ mode: 'approve' })).toBe(1);
    expect(text()).toContain(`cannot approve ${DEMO_OUTPUT}: drifted`);
    expect(text()).toContain('run `nx generate-from-spec demo --spec demo/round --force`');
    expect(output()?.review).toBeUndefined();

    repo.write(DEMO_OUTPUT, generated);
    repo.write(DEMO_SPEC, ROUND_SPEC.replace('ties to even.', 'ties to odd.'));
    logs = [];
    expect(await review({ mode: 'approve' })).toBe(1);
    expect(text()).toContain(`cannot approve ${DEMO_OUTPUT}: stale`);
    expect(text()).toContain('fix: nx generate-from-spec demo --spec demo/round');
    // Interactive mode refuses the same way, without asking.
    logs = [];
    expect(await review({ answers: 'y\n' })).toBe(1);
    expect(text()).toContain(`cannot approve ${DEMO_OUTPUT}: stale`);
    expect(output()?.review).toBeUndefined();
  });

  it('enforces the required reviewers of specs/policy.yaml', async () => {
    repo.write('specs/policy.yaml', 'generated: ["libs/*/src/**"]\nreviewers:\n  "libs/demo/**": ["@money.example.org"]\n');
    expect(await review({ mode: 'approve' })).toBe(1);
    expect(text()).toContain(`must be reviewed by one of @money.example.org`);
    expect(output()?.review).toBeUndefined();
    logs = [];
    expect(await review({ mode: 'approve', reviewer: 'cfo@money.example.org' })).toBe(0);
    expect(output()?.review?.by).toBe('cfo@money.example.org');
  });

  it('filters by path (relative to the current folder or the workspace root), and lists without a TTY', async () => {
    expect(await review({ mode: 'check', paths: ['libs/other'] })).toBe(2);
    logs = [];
    expect(await review({ interactive: false, cwd: `${repo.root}/libs/demo`, paths: ['src'] })).toBe(1);
    expect(text()).toContain(`unreviewed ${DEMO_OUTPUT}`);
    expect(text()).toContain('npx specwright review --approve');
  });

  it('runs as the review-spec executor: --check is the CI backstop, --approve approves', async () => {
    const context = {
      root: repo.root,
      cwd: repo.root,
      projectName: 'demo',
      isVerbose: false,
      projectsConfigurations: { version: 2, projects: { demo: { root: DEMO.root } } },
      projectGraph: { nodes: {}, dependencies: { demo: [] } },
    } as unknown as Parameters<typeof reviewSpecExecutor>[1];
    const quiet = { log: console.log, error: console.error };
    console.log = () => undefined;
    console.error = () => undefined;
    try {
      expect((await reviewSpecExecutor({ check: true }, context)).success).toBe(false);
      expect((await reviewSpecExecutor({ approve: true }, context)).success).toBe(true);
      expect((await reviewSpecExecutor({ check: true }, context)).success).toBe(true);
    } finally {
      console.log = quiet.log;
      console.error = quiet.error;
    }
    expect(output()?.review?.by).toBe(EMAIL);
  });
});
