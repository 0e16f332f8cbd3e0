import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripGeneratedHeader } from '../src/header';
import { readLock } from '../src/lock';
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai';
import { REPO_ROOT } from './fixtures';
import { copyTemplate, nx } from './template';

const SPEC = 'libs/text/src/slugify.spec.yaml';
const OUTPUT = 'libs/text/src/slugify.ts';
const PROJECT = 'text';

/**
 * The template as a user gets it, driven through the real nx CLI: plugin loading, inferred targets, the executor,
 * the cache, and a model server over HTTP. Sequential: each step builds on the one before.
 */
describe.sequential('the template, end to end through nx', () => {
  let ws: { root: string; cleanup(): void };
  let server: FakeOpenAI;
  const read = (path: string) => readFileSync(join(ws.root, path), 'utf8');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ws.root, encoding: 'utf8' });

  beforeAll(async () => {
    ws = copyTemplate();
    git('init', '-q', '-b', 'main');
    git('-c', 'user.email=e2e@example.com', '-c', 'user.name=e2e', '-c', 'core.hooksPath=/dev/null', 'add', '-A');
    git('-c', 'user.email=e2e@example.com', '-c', 'user.name=e2e', '-c', 'core.hooksPath=/dev/null', 'commit', '-qm', 'template');
    server = await startFakeOpenAI();
    // The model answers with the template's own implementation of whatever spec it is asked for.
    server.fallback = (request) => {
      const user = request.body.messages[1]?.content ?? '';
      const path = /^Write: (.+)$/m.exec(user)?.[1] ?? '';
      return { kind: 'answer', files: [{ path, content: stripGeneratedHeader(readFileSync(join(REPO_ROOT, 'libs/text/src', path), 'utf8')) }] };
    };
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    ws?.cleanup();
  });

  it('infers generate-from-spec for every project holding specs', async () => {
    const result = await nx(ws.root, ['show', 'projects', '--with-target', 'generate-from-spec']);
    expect(result.status, result.output).toBe(0);
    const projects = result.output.split('\n').map((line) => line.trim()).filter((line) => /^(money|text|rate-limit|invoice-cli)$/.test(line));
    expect(projects.length).toBeGreaterThanOrEqual(3);
    expect(projects).toEqual(expect.arrayContaining(['money', 'text', 'invoice-cli']));

    const shown = JSON.parse((await nx(ws.root, ['show', 'project', PROJECT, '--json'])).output.trim().split('\n').find((line) => line.startsWith('{')) as string);
    const target = shown.targets['generate-from-spec'];
    expect(target.cache).toBe(true);
    expect(target.metadata.description).toMatch(/Regenerates the stale specs/);
    expect(target.metadata.help.command).toBeTruthy();
    expect(target.outputs).toEqual(expect.arrayContaining(['{projectRoot}/src/slugify.ts', '{projectRoot}/specwright.lock.json']));
    expect(target.inputs).toEqual(expect.arrayContaining(['{projectRoot}/**/*.spec.yaml', '{projectRoot}/src/slugify.ts']));
    expect(JSON.stringify(target.inputs)).toMatch(/tools\/specwright\/src|@specwright\/nx/);
  });

  it('--check passes on the clean template, across projects', async () => {
    const result = await nx(ws.root, ['run-many', '-t', 'generate-from-spec', '--check', '--output-style=static']);
    expect(result.output).toMatch(/Specwright check: \d+ fresh, 0 out of date, 0 drifted, 0 invalid/);
    expect(result.status, result.output).toBe(0);
  });

  it('--check from inside a project folder picks that project', async () => {
    const result = await nx(join(ws.root, 'libs/text'), ['generate-from-spec', '--check']);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toContain('nx run text:generate-from-spec --check');
  });

  it('editing a spec\'s description makes --check fail naming that spec, and nx affected finds it', async () => {
    writeFileSync(join(ws.root, SPEC), read(SPEC).replace(/^description: \|\n/m, 'description: |\n  Also used for URL paths of product pages.\n'));
    const result = await nx(ws.root, ['run-many', '-t', 'generate-from-spec', '--check', '--output-style=static']);
    expect(result.status, result.output).not.toBe(0);
    expect(result.output).toMatch(/text\/slugify\s+stale\s+out-of-date/);
    expect(result.output).toContain('nx generate-from-spec text --spec text/slugify');

    const affected = await nx(ws.root, ['show', 'projects', '--affected', '--base=HEAD', '--with-target', 'generate-from-spec']);
    expect(affected.output).toMatch(/^text$/m);
    expect(affected.output).not.toContain('rate-limit');
    expect(server.requests).toHaveLength(0);
  });

  it('pointed at a model server, regenerates exactly the stale spec, then sends nothing', async () => {
    const lockBefore = readLock(ws.root, 'libs/text');
    const env = { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'e2e-key' };
    const result = await nx(ws.root, ['generate-from-spec', PROJECT], env);
    expect(result.output).toMatch(/text\/slugify\s+regenerated/);
    expect(result.status, result.output).toBe(0);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.body.messages[1]?.content).toContain('Also used for URL paths of product pages.');

    const lockAfter = readLock(ws.root, 'libs/text');
    const entry = lockAfter.specs['text/slugify'];
    expect(entry?.fingerprint).not.toBe(lockBefore.specs['text/slugify']?.fingerprint);
    expect(entry?.generation.provider).toBe('openai');
    expect(read(OUTPUT)).toContain(`// fingerprint: ${entry?.fingerprint}`);
    expect(lockAfter.specs['text/csv-line']).toEqual(lockBefore.specs['text/csv-line']);

    const again = await nx(ws.root, ['generate-from-spec', PROJECT], env);
    expect(again.status, again.output).toBe(0);
    expect(server.requests).toHaveLength(1);
    expect((await nx(ws.root, ['run-many', '-t', 'generate-from-spec', '--check', '--output-style=static'])).status).toBe(0);
  });

  it('reports a hand-edited output as drifted and leaves it alone', async () => {
    const edited = `${read(OUTPUT)}export const handEdit = true;\n`;
    writeFileSync(join(ws.root, OUTPUT), edited);
    const check = await nx(ws.root, ['generate-from-spec', PROJECT, '--check']);
    expect(check.status, check.output).not.toBe(0);
    expect(check.output).toMatch(/text\/slugify\s+fresh\s+drifted|text\/slugify\s+drifted/);
    expect(check.output).toContain('edited by hand');
    const generate = await nx(ws.root, ['generate-from-spec', PROJECT], { OPENAI_BASE_URL: server.url });
    expect(generate.status, generate.output).not.toBe(0);
    expect(read(OUTPUT)).toBe(edited);
    expect(server.requests).toHaveLength(1);
    writeFileSync(join(ws.root, OUTPUT), edited.replace('export const handEdit = true;\n', ''));
  });

  it('reports a broken spec with file:line:column and touches nothing', async () => {
    const broken = 'libs/text/src/broken.spec.yaml';
    writeFileSync(join(ws.root, broken), 'id: text/broken\ndescription: x\noutputs: [broken.ts]\nexports:\n  - name: f\n    params: []\n    returns: { schema: { type: integer } }\n    colour: blue\n');
    const result = await nx(ws.root, ['generate-from-spec', PROJECT, '--check']);
    expect(result.status, result.output).not.toBe(0);
    expect(result.output).toContain('libs/text/src/broken.spec.yaml:8:5: exports[0]: unknown field `colour`');
    expect(git('status', '--porcelain')).not.toContain('broken.ts');
  });
});
