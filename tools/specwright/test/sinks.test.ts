import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli';
import { readLock } from '../src/lock';
import { normalizeOptions } from '../src/options';
import { runPipeline, type RunMode, type RunRequest } from '../src/run';
import { startFakeOpenAI, type FakeOpenAI, type RecordedRequest, type Reply } from './fake-openai';
import { DEMO_PROJECT, demoWriteRequest, PACKAGE_JSON, ROUND_IMPL, ROUND_SPEC, tempWorkspace, type TempWorkspace } from './fixtures';

/**
 * The sink owns the mode: the same pipeline checks, dry-runs and writes, and each sink decides its own policy. These
 * tests pin the decisions that used to be scattered over the pipeline: the one refusal rule, the problems only the
 * reading sinks report (orphaned lock entries), and an unreadable policy that is reported instead of thrown.
 */

const PROJECT = DEMO_PROJECT;
const SPEC_FILE = 'libs/demo/src/round.spec.yaml';
const MODES: RunMode[] = ['check', 'dry-run', 'write'];
/** A second spec, so the project still has specs (and is selected by the CLI) once round.spec.yaml is gone. */
const HALVE_SPEC = ROUND_SPEC.replace('id: demo/round', 'id: demo/halve').replace('[round.ts]', '[halve.ts]');

describe('the sinks own the mode', () => {
  let ws: TempWorkspace;
  let server: FakeOpenAI;

  beforeEach(async () => {
    ws = tempWorkspace({ 'libs/demo/package.json': PACKAGE_JSON('demo'), [SPEC_FILE]: ROUND_SPEC });
    server = await startFakeOpenAI();
  });
  afterEach(async () => {
    await server.close();
    ws.cleanup();
  });

  const run = (overrides: Partial<RunRequest> = {}) => runPipeline({ ...demoWriteRequest(ws.root, server.url, () => undefined), ...overrides });
  /** Generates every spec of the workspace, answering each request with a file at the path its prompt asks for. */
  const generate = async (specs = 1) => {
    const answer = (request: RecordedRequest): Reply => ({ kind: 'answer', files: [{ path: /Write: (\S+)/.exec(request.body.messages[1]?.content ?? '')?.[1] ?? 'round.ts', content: ROUND_IMPL }] });
    server.fallback = answer;
    const result = await run();
    server.fallback = undefined;
    expect(result.ok).toBe(true);
    expect(server.requests).toHaveLength(specs);
  };

  /** The CLI in-process, from inside the workspace: exit code and what it printed. */
  async function cli(...argv: string[]): Promise<{ code: number; out: string }> {
    const out: string[] = [];
    const spies = [
      vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void out.push(args.join(' '))),
      vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void out.push(args.join(' '))),
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => out.push(String(chunk)) > 0),
      vi.spyOn(process, 'cwd').mockReturnValue(ws.root),
    ];
    try {
      return { code: await main(argv), out: out.join('\n') };
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  }

  it('check reports a lock entry whose spec file was deleted, with the fix, in text and JSON; writing is not blocked by it', async () => {
    ws.write('libs/demo/src/halve.spec.yaml', HALVE_SPEC);
    await generate(2);
    rmSync(join(ws.root, SPEC_FILE));

    const check = await run({ mode: 'check' });
    expect(check.ok).toBe(false);
    expect(check.failures.map((failure) => failure.error.code)).toEqual(['ORPHANED_LOCK_ENTRY']);
    const orphan = check.failures[0]!.error;
    expect(orphan.file).toBe('libs/demo/specwright.lock.json');
    expect(orphan.message).toBe('orphaned lock entry "demo/round": its spec file libs/demo/src/round.spec.yaml no longer exists, but the entry and its output (libs/demo/src/round.ts) remain');
    expect(orphan.fix).toContain('npx specwright review --prune');
    expect(check.summary).toMatch(/libs\/demo\/specwright\.lock\.json\s+orphaned\s+failed/);
    expect(check.summary).toContain('Specwright check: 1 fresh, 0 out of date, 0 drifted, 0 invalid, 1 orphaned lock entry');

    const text = await cli('check');
    expect(text.code).toBe(1);
    expect(text.out).toContain('libs/demo/specwright.lock.json: orphaned lock entry "demo/round"');
    expect(text.out).toContain('fix: `npx specwright review --prune`');
    const json = await cli('check', '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out).problems).toEqual([
      expect.objectContaining({ file: 'libs/demo/specwright.lock.json', code: 'ORPHANED_LOCK_ENTRY', fix: expect.stringContaining('npx specwright review --prune') }),
    ]);

    // Only the check reports it: a run that writes or prints prompts has nothing to do for a deleted spec.
    expect((await run()).ok).toBe(true);
    expect((await run({ mode: 'dry-run' })).ok).toBe(true);

    // The fix it names clears it.
    expect((await cli('review', '--prune')).code).toBe(0);
    expect(readLock(ws.root, PROJECT.root).specs['demo/round']).toBeUndefined();
    expect((await run({ mode: 'check' })).ok).toBe(true);
  });

  it('check names a changed id as the reason, and does not call an unloadable spec orphaned', async () => {
    await generate();
    ws.write(SPEC_FILE, ROUND_SPEC.replace('id: demo/round', 'id: demo/rounding'));
    const renamed = await run({ mode: 'check' });
    expect(renamed.outcomes.map((o) => `${o.id} ${o.result}`)).toEqual(['demo/rounding drifted']);
    expect(renamed.failures.map((failure) => failure.error.message)).toEqual([
      expect.stringContaining('orphaned lock entry "demo/round": its spec file libs/demo/src/round.spec.yaml now has the id "demo/rounding"'),
    ]);

    // Broken, not gone: reported as invalid (its own error), and the lock entry is not called orphaned.
    ws.write(SPEC_FILE, `${ROUND_SPEC}outputz: []\n`);
    const broken = await run({ mode: 'check' });
    expect(broken.failures.map((failure) => failure.error.code)).not.toContain('ORPHANED_LOCK_ENTRY');
    expect(broken.failures.map((failure) => failure.file)).toEqual([SPEC_FILE]);
  });

  it('applies one refusal rule in every sink: a fresh spec the policy now refuses stays fresh, a stale one fails without a model', async () => {
    await generate();
    ws.write('specs/policy.yaml', 'generated: ["libs/*/src/**"]\nhumanOnly: ["**/round.ts"]\n');
    for (const mode of MODES) {
      const fresh = await run({ mode });
      expect(fresh.outcomes.map((o) => o.result), mode).toEqual(['fresh']);
      expect(fresh.ok, mode).toBe(true);
    }

    ws.write(SPEC_FILE, ROUND_SPEC.replace('ties to even.', 'ties to the even neighbour.'));
    const messages = new Set<string | undefined>();
    for (const mode of MODES) {
      const stale = await run({ mode });
      expect(stale.outcomes.map((o) => `${o.state} ${o.result}`), mode).toEqual(['stale failed']);
      expect(stale.ok, mode).toBe(false);
      messages.add(stale.outcomes[0]?.message);
    }
    expect([...messages]).toEqual([expect.stringMatching(/libs\/demo\/src\/round\.ts is human-only code/)]);
    expect(server.requests).toHaveLength(1);
  });

  it('reports an invalid policy as a problem of the run, with its position and fix, instead of throwing; nothing is generated past it', async () => {
    ws.write('specs/policy.yaml', 'generated: 5\n');
    for (const mode of MODES) {
      const result = await run({ mode });
      expect(result.ok, mode).toBe(false);
      expect(result.failures.map((failure) => failure.error.code), mode).toEqual(['POLICY_INVALID']);
      expect(result.failures[0]?.error.format(), mode).toMatch(/^specs\/policy\.yaml:1:\d+: [^\n]*generated[^]*fix: edit specs\/policy\.yaml/);
      expect(result.outcomes.map((o) => `${o.state} ${o.result}`), mode).toEqual(['new failed']);
      expect(result.outcomes[0]?.message, mode).toContain('the policy is invalid (specs/policy.yaml:1:');
    }
    expect(server.requests).toHaveLength(0);
  });

  it('writing skips the dependents of a failed spec; checking still looks at them', async () => {
    ws.write('libs/demo/src/double.spec.yaml', ROUND_SPEC.replace('id: demo/round', 'id: demo/double').replace('[round.ts]', '[double.ts]').replace('constraints:', 'dependsOn: [demo/round]\nconstraints:'));
    server.script({ kind: 'status', status: 400, body: { error: { message: 'bad request' } } });
    const written = await run();
    expect(written.outcomes.map((o) => `${o.id} ${o.result}`)).toEqual(['demo/round failed', 'demo/double skipped']);
    expect(written.outcomes[1]?.message).toBe('dependency demo/round failed; fix it first');
    const checked = await run({ mode: 'check' });
    expect(checked.outcomes.map((o) => `${o.id} ${o.result}`)).toEqual(['demo/round out-of-date', 'demo/double out-of-date']);
  });

  it('names the configured generate target in its fixes, and only the writing sink finishes an interrupted write', async () => {
    const options = normalizeOptions({ provider: 'openai', model: 'test-model', generateTargetName: 'codegen' });
    ws.write('libs/demo/.specwright-journal.json', '{}');
    for (const mode of ['check', 'dry-run'] as const) {
      const result = await run({ mode, options });
      expect(result.failures.map((failure) => `${failure.file} ${failure.error.code} ${failure.error.fix}`), mode).toEqual(['libs/demo/.specwright-journal.json JOURNAL_PENDING run `nx codegen demo` to finish it']);
      expect(result.summary, mode).toMatch(/libs\/demo\/\.specwright-journal\.json\s+interrupted\s+failed/);
    }
    expect((await run({ mode: 'check', options })).outcomes[0]?.message).toMatch(/^new: .*; run `nx codegen demo --spec demo\/round`$/);
  });
});
