/**
 * Confinement before any write: an output whose folder leads out of the project through a symlink is refused
 * before anything is created — not the folder outside, not the file, not a lock entry.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeOptions } from '../src/options';
import { runPipeline } from '../src/run';
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai';
import { PACKAGE_JSON, ROUND_IMPL, ROUND_SPEC, tempWorkspace, type TempWorkspace } from './fixtures';

const SPEC = ROUND_SPEC.replace('outputs: [round.ts]', 'outputs: [gen/nested/round.ts]');

describe('confinement before any write', () => {
  let server: FakeOpenAI;
  let outside: string;

  beforeAll(async () => {
    server = await startFakeOpenAI();
    outside = mkdtempSync(join(tmpdir(), 'specwright-outside-'));
  });
  afterAll(async () => {
    await server.close();
    rmSync(outside, { recursive: true, force: true });
  });

  const run = (ws: TempWorkspace) => {
    server.script({ kind: 'answer', files: [{ path: 'gen/nested/round.ts', content: ROUND_IMPL }] });
    return runPipeline({
      workspaceRoot: ws.root,
      projects: [{ name: 'demo', root: 'libs/demo' }],
      options: normalizeOptions({ provider: 'openai', maxRetries: 0, timeoutMs: 20_000, maxAttempts: 1 }),
      mode: 'write',
      env: { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'k' },
      log: () => undefined,
    });
  };

  it.each([
    ['a symlinked folder pointing outside', (target: string) => target],
    ['a dangling symlink pointing outside', (target: string) => join(target, 'missing', 'deeper')],
  ])('refuses %s and creates nothing there', async (_name, linkTarget) => {
    const ws = tempWorkspace({ 'libs/demo/package.json': PACKAGE_JSON('demo'), 'libs/demo/src/round.spec.yaml': SPEC });
    try {
      symlinkSync(linkTarget(outside), join(ws.root, 'libs/demo/src/gen'), 'dir');
      const result = await run(ws);
      expect(result.ok).toBe(false);
      expect(result.outcomes[0]?.message).toMatch(/refusing to write libs\/demo\/src\/gen\/nested\/round\.ts: its folder resolves to .*outside project demo/);
      expect(readdirSync(outside)).toEqual([]);
      expect(existsSync(join(ws.root, 'libs/demo/specwright.lock.json'))).toBe(false);
    } finally {
      ws.cleanup();
    }
  });

  it('still creates missing folders inside the project', async () => {
    const ws = tempWorkspace({ 'libs/demo/package.json': PACKAGE_JSON('demo'), 'libs/demo/src/round.spec.yaml': SPEC });
    try {
      const result = await run(ws);
      expect(result.outcomes[0]?.message).toBeUndefined();
      expect(existsSync(join(ws.root, 'libs/demo/src/gen/nested/round.ts'))).toBe(true);
    } finally {
      ws.cleanup();
    }
  });
});
