import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripGeneratedHeader } from '../src/header';
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai';
import { REPO_ROOT } from './fixtures';
import { startNxRemoteCache, type NxRemoteCache } from './nx-remote-cache';
import { copyTemplate, nx } from './template';

const SPEC = 'libs/text/src/slugify.spec.yaml';
const OUTPUT = 'libs/text/src/slugify.ts';
const LOCK = 'libs/text/specwright.lock.json';

/**
 * Scaling out on Nx's own remote cache, nothing home-made: a generation done in one clone is restored in a second
 * clone from a shared self-hosted cache (Nx's HTTP remote-cache API) without a model call, byte for byte, and a
 * hand-edited output is never overwritten by a restore (outputs are inputs of the target, so the edit changes
 * the task hash).
 */
describe.sequential('two clones sharing an Nx remote cache', () => {
  let first: { root: string; cleanup(): void };
  let second: { root: string; cleanup(): void };
  let model: FakeOpenAI;
  let cache: NxRemoteCache;
  let env: NodeJS.ProcessEnv;
  const read = (ws: { root: string }, path: string) => readFileSync(join(ws.root, path), 'utf8');
  const editSpec = (ws: { root: string }) => writeFileSync(join(ws.root, SPEC), read(ws, SPEC).replace(/^description: \|\n/m, 'description: |\n  Also used for URL paths of product pages.\n'));

  beforeAll(async () => {
    first = copyTemplate();
    second = copyTemplate();
    model = await startFakeOpenAI();
    model.fallback = () => ({ kind: 'answer', files: [{ path: 'slugify.ts', content: stripGeneratedHeader(readFileSync(join(REPO_ROOT, OUTPUT), 'utf8')) }] });
    cache = await startNxRemoteCache();
    env = {
      OPENAI_BASE_URL: model.url,
      OPENAI_API_KEY: 'remote-cache-test',
      NX_SKIP_NX_CACHE: 'false',
      NX_SELF_HOSTED_REMOTE_CACHE_SERVER: cache.url,
      NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: cache.token,
    };
  }, 120_000);
  afterAll(async () => {
    await model?.close();
    await cache?.close();
    first?.cleanup();
    second?.cleanup();
  });

  it('the first clone generates through the model and uploads the result', async () => {
    editSpec(first);
    const result = await nx(first.root, ['generate-from-spec', 'text', '--output-style=static'], env);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toMatch(/text\/slugify\s+regenerated/);
    expect(model.requests).toHaveLength(1);
    expect(cache.requests.filter((r) => r.method === 'PUT' && r.status === 200).length).toBeGreaterThanOrEqual(1);
  });

  it('the second clone, with the same spec edit, restores outputs and lock from the cache: no model call, byte-identical', async () => {
    editSpec(second);
    const result = await nx(second.root, ['generate-from-spec', 'text', '--output-style=static'], env);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toContain('[remote cache]');
    expect(model.requests).toHaveLength(1);
    expect(read(second, OUTPUT)).toBe(read(first, OUTPUT));
    expect(read(second, LOCK)).toBe(read(first, LOCK));
    const check = await nx(second.root, ['generate-from-spec', 'text', '--check', '--output-style=static'], { NX_SKIP_NX_CACHE: 'true' });
    expect(check.status, check.output).toBe(0);
  });

  it('a hand-edited output in the second clone is never overwritten by a restore', async () => {
    const edited = `${read(second, OUTPUT)}export const handEdit = true;\n`;
    writeFileSync(join(second.root, OUTPUT), edited);
    const result = await nx(second.root, ['generate-from-spec', 'text', '--output-style=static'], env);
    expect(result.output).not.toContain('[remote cache]');
    expect(result.status, result.output).not.toBe(0);
    expect(result.output).toContain('edited by hand');
    expect(read(second, OUTPUT)).toBe(edited);
    expect(model.requests).toHaveLength(1);
  });
});
