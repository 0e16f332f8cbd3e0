import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { normalizeOptions } from '../src/options';
import { runPipeline } from '../src/run';
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai';
import { PACKAGE_JSON, REPO_ROOT, ROUND_IMPL, ROUND_SPEC, tempWorkspace, type TempWorkspace } from './fixtures';

const START = join(REPO_ROOT, 'tools/specwright/scripts/start.cjs');
const PROJECT = { name: 'demo', root: 'libs/demo' };
const EXTRA_SPEC = `id: demo/shout
description: Upper-case a string.
outputs: [shout.ts]
exports:
  - name: shout
    params:
      - name: input
        schema: { type: string }
    returns:
      schema: { type: string }
`;

function start(cwd: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [START], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (status) => resolve({ status, output }));
  });
}

describe('npm start in a workspace with a spec that has no recording', () => {
  let ws: TempWorkspace;
  let server: FakeOpenAI;

  beforeEach(async () => {
    ws = tempWorkspace({ 'libs/demo/package.json': PACKAGE_JSON('demo'), 'libs/demo/src/round.spec.yaml': ROUND_SPEC });
    server = await startFakeOpenAI();
    // The template's situation: one spec generated and recorded for replay.
    server.script({ kind: 'answer', files: [{ path: 'round.ts', content: ROUND_IMPL }] });
    const recorded = await runPipeline({
      workspaceRoot: ws.root,
      projects: [PROJECT],
      options: normalizeOptions({ provider: 'record', maxRetries: 0, timeoutMs: 5_000 }),
      mode: 'write',
      env: { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'k', SPECWRIGHT_PROVIDER: 'record' },
      log: () => undefined,
    });
    expect(recorded.ok).toBe(true);
  }, 60_000);
  afterEach(async () => {
    await server.close();
    ws.cleanup();
  });

  it('names the spec it cannot replay, with the command that generates it, and still checks and verifies the rest', async () => {
    ws.write('libs/demo/src/shout.spec.yaml', EXTRA_SPEC);
    const before = readFileSync(join(ws.root, 'libs/demo/specwright.lock.json'), 'utf8');
    const result = await start(ws.root);
    expect(result.output).toMatch(/Cannot replay 1 spec\(s\)[^]*demo\/shout\s+libs\/demo\/src\/shout\.spec\.yaml[^]*specwright generate --spec demo\/shout/);
    expect(result.output).toMatch(/== check: the 1 replayed spec\(s\)[^]*Specwright check: 1 fresh/);
    expect(result.output).toMatch(/ok {3}demo\/round/);
    // every gate ran once, in the replay: its verdicts stand for the byte-identical committed code (no second run)
    expect(result.output).toMatch(/1 spec\(s\) passed every gate in the replay, on the very bytes now committed:\nok {3}demo\/round +types pass \(\d+ ms\), safety pass[^\n]*examples pass[^\n]*properties pass[^\n]*tests pass/);
    expect(result.output).not.toContain('Specwright verify:');
    expect(result.output).toContain('npm start: ok — 1 spec(s) replayed, checked and verified; 1 could not be replayed');
    expect(result.status, result.output).toBe(0);
    expect(server.requests).toHaveLength(1);
    expect(readFileSync(join(ws.root, 'libs/demo/specwright.lock.json'), 'utf8')).toBe(before);
  }, 120_000);
});
