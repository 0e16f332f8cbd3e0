import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE_NAME, readLock, serializeLock } from '../src/lock';
import { copyTemplate, nx } from './template';

/** The inferred review-spec target through the real nx CLI, on a copy of the template. */
describe.sequential('review-spec through nx', () => {
  let ws: { root: string; cleanup(): void };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ws.root, encoding: 'utf8' });

  beforeAll(() => {
    ws = copyTemplate();
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 'lead@example.com');
    git('config', 'user.name', 'Lead');
    git('-c', 'core.hooksPath=/dev/null', 'add', '-A');
    git('-c', 'core.hooksPath=/dev/null', 'commit', '-qm', 'template');
  }, 120_000);
  afterAll(() => ws?.cleanup());

  it('is inferred for every project with specs, with a description and help', async () => {
    const result = await nx(ws.root, ['show', 'project', 'text', '--json']);
    expect(result.status, result.output).toBe(0);
    const shown = JSON.parse(result.output.trim().split('\n').find((line) => line.startsWith('{')) as string);
    const target = shown.targets['review-spec'];
    expect(target.executor).toBe('@specwright/nx:review-spec');
    expect(target.cache).toBe(false);
    expect(target.metadata.description).toMatch(/unreviewed generated outputs/);
    expect(target.metadata.help.command).toBe('npx specwright review --help');
    expect(target.inputs).toEqual(expect.arrayContaining(['{projectRoot}/specwright.lock.json', '{workspaceRoot}/specs/policy.yaml']));
  }, 120_000);

  it('--check passes on the reviewed template', async () => {
    const check = await nx(ws.root, ['review-spec', 'text', '--check']);
    expect(check.status, check.output).toBe(0);
  }, 120_000);

  it('--check fails on unreviewed outputs; --approve records the review; --check then passes', async () => {
    // Forget the text project's reviews, as if its outputs had just been generated.
    const lockFile = join(ws.root, 'libs/text', LOCK_FILE_NAME);
    const reviewed = readLock(ws.root, 'libs/text');
    for (const entry of Object.values(reviewed.specs)) for (const output of Object.values(entry.outputs)) delete output.review;
    writeFileSync(lockFile, serializeLock(reviewed));
    const check = await nx(ws.root, ['review-spec', 'text', '--check']);
    expect(check.status).not.toBe(0);
    expect(check.output).toMatch(/unreviewed +libs\/text\/src\/slugify\.ts/);
    expect(check.output).toContain('Specwright ci-check: FAILED');

    const approve = await nx(ws.root, ['review-spec', 'text', '--approve']);
    expect(approve.status, approve.output).toBe(0);
    const lock = readLock(ws.root, 'libs/text');
    for (const entry of Object.values(lock.specs)) for (const output of Object.values(entry.outputs)) expect(output.review).toMatchObject({ by: 'lead@example.com', hash: output.hash });

    const again = await nx(ws.root, ['review-spec', 'text', '--check']);
    expect(again.status, again.output).toBe(0);
    expect(again.output).toContain('Specwright ci-check: ok');
  }, 240_000);
});
