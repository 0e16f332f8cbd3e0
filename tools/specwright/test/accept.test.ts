import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { acceptSpecs } from '../src/accept';
import { createGateRunner, type GateRunnerHandle } from '../src/gate-runner';
import { stripGeneratedHeader } from '../src/header';
import { isReviewed, readLock, writeLock } from '../src/lock';
import { normalizeOptions } from '../src/options';
import { runPipeline } from '../src/run';
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai';
import { PACKAGE_JSON, ROUND_IMPL, ROUND_SPEC, tempWorkspace, type TempWorkspace } from './fixtures';

const PROJECT = { name: 'demo', root: 'libs/demo' };
const SPEC_FILE = 'libs/demo/src/round.spec.yaml';
const OUTPUT = 'libs/demo/src/round.ts';
const options = normalizeOptions({ provider: 'openai', maxRetries: 0, timeoutMs: 5_000, model: 'test-model' });

describe('specwright accept: a prose-only edit without a model call', () => {
  let ws: TempWorkspace;
  let server: FakeOpenAI;
  let gates: GateRunnerHandle;
  const read = (path: string) => readFileSync(join(ws.root, path), 'utf8');
  const accept = (...targets: string[]) => acceptSpecs({ workspaceRoot: ws.root, cwd: ws.root, projects: [PROJECT], targets, options, gates: gates.run, log: () => undefined });
  const check = () => runPipeline({ workspaceRoot: ws.root, projects: [PROJECT], options, mode: 'check', log: () => undefined });

  beforeAll(async () => {
    server = await startFakeOpenAI();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(async () => {
    ws = tempWorkspace({ 'libs/demo/package.json': PACKAGE_JSON('demo'), [SPEC_FILE]: ROUND_SPEC });
    gates = await createGateRunner(ws.root);
    server.script({ kind: 'answer', files: [{ path: 'round.ts', content: ROUND_IMPL }] });
    const generated = await runPipeline({ workspaceRoot: ws.root, projects: [PROJECT], options, mode: 'write', env: { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'k' }, log: () => undefined });
    expect(generated.ok).toBe(true);
    // Reviewed, as a person would have done before editing the spec.
    const lock = readLock(ws.root, PROJECT.root);
    const output = lock.specs['demo/round']?.outputs['src/round.ts'];
    if (!output) throw new Error('no lock entry');
    output.review = { by: 'ada@example.com', at: '2026-01-01T00:00:00.000Z', hash: output.hash, ...(output.body ? { body: output.body } : {}) };
    writeLock(ws.root, PROJECT.root, lock);
  }, 60_000);
  afterEach(async () => {
    await gates.dispose();
    ws.cleanup();
  });

  it('records the new fingerprint in the header and the lock, keeps the body and the review, and calls no model', async () => {
    const before = read(OUTPUT);
    const requests = server.requests.length;
    writeFileSync(join(ws.root, SPEC_FILE), ROUND_SPEC.replace('ties to even.', 'ties to even (banker\'s rounding).'));
    expect((await check()).ok).toBe(false);

    const result = await accept(SPEC_FILE);
    expect(result.outcomes).toEqual([{ id: 'demo/round', file: SPEC_FILE, result: 'accepted' }]);
    expect(server.requests.length).toBe(requests);
    const after = read(OUTPUT);
    expect(after).not.toBe(before);
    expect(stripGeneratedHeader(after)).toBe(stripGeneratedHeader(before));
    expect((await check()).ok).toBe(true);
    const output = readLock(ws.root, PROJECT.root).specs['demo/round']?.outputs['src/round.ts'];
    expect(isReviewed(output)).toBe(true);
    expect(output?.review?.by).toBe('ada@example.com');

    expect((await accept('demo/round')).outcomes[0]?.result).toBe('fresh');
  }, 60_000);

  it('refuses when the current code fails a gate of the edited spec, and writes nothing', async () => {
    writeFileSync(join(ws.root, SPEC_FILE), ROUND_SPEC.replace('    expect: 4\n', '    expect: 3\n'));
    const before = read(OUTPUT);
    const lockBefore = read('libs/demo/specwright.lock.json');
    const result = await accept('demo/round');
    expect(result.ok).toBe(false);
    expect(result.outcomes[0]).toMatchObject({ result: 'refused', fix: expect.stringContaining('nx generate-from-spec demo --spec demo/round') });
    expect(result.outcomes[0]?.reason).toMatch(/examples/);
    expect(read(OUTPUT)).toBe(before);
    expect(read('libs/demo/specwright.lock.json')).toBe(lockBefore);
  }, 60_000);

  it('a regeneration that returns the same code keeps the review, also one recorded before body hashes', async () => {
    // An old-style record: no body hashes anywhere, the review matched by whole-file hash.
    const lock = readLock(ws.root, PROJECT.root);
    const output = lock.specs['demo/round']?.outputs['src/round.ts'];
    if (!output?.review) throw new Error('no review');
    delete output.body;
    delete output.review.body;
    writeLock(ws.root, PROJECT.root, lock);
    expect(isReviewed(output)).toBe(true);

    writeFileSync(join(ws.root, SPEC_FILE), ROUND_SPEC.replace('ties to even.', 'ties to even, as in IEEE 754.'));
    server.script({ kind: 'answer', files: [{ path: 'round.ts', content: ROUND_IMPL }] });
    const env = { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'k' };
    expect((await runPipeline({ workspaceRoot: ws.root, projects: [PROJECT], options, mode: 'write', env, log: () => undefined })).ok).toBe(true);
    expect(isReviewed(readLock(ws.root, PROJECT.root).specs['demo/round']?.outputs['src/round.ts'])).toBe(true);

    // New code is a new review, as before.
    writeFileSync(join(ws.root, SPEC_FILE), ROUND_SPEC.replace('ties to even.', 'ties to even (again).'));
    server.script({ kind: 'answer', files: [{ path: 'round.ts', content: ROUND_IMPL.replace('const twice', 'const doubled').replace(/twice/g, 'doubled') }] });
    expect((await runPipeline({ workspaceRoot: ws.root, projects: [PROJECT], options, mode: 'write', env, log: () => undefined })).ok).toBe(true);
    expect(isReviewed(readLock(ws.root, PROJECT.root).specs['demo/round']?.outputs['src/round.ts'])).toBe(false);
  }, 60_000);

  it('refuses hand-edited outputs and unknown specs', async () => {
    writeFileSync(join(ws.root, SPEC_FILE), ROUND_SPEC.replace('ties to even.', 'ties to even, always.'));
    writeFileSync(join(ws.root, OUTPUT), `${read(OUTPUT)}// tweak\n`);
    expect((await accept('demo/round')).outcomes[0]).toMatchObject({ result: 'refused', reason: expect.stringMatching(/differs from what was generated/) });
    expect((await accept('demo/nothing')).outcomes[0]).toMatchObject({ result: 'refused', reason: 'no such spec id or spec file' });
  }, 60_000);
});

describe('reviews cover the body, not the header', () => {
  it('a review on record stays valid when only the header changes, and old records still count by their hash', () => {
    expect(isReviewed({ hash: 'h2', body: 'b', review: { by: 'a', at: 't', hash: 'h1', body: 'b' } })).toBe(true);
    expect(isReviewed({ hash: 'h2', body: 'b2', review: { by: 'a', at: 't', hash: 'h1', body: 'b' } })).toBe(false);
    expect(isReviewed({ hash: 'h1', review: { by: 'a', at: 't', hash: 'h1' } })).toBe(true);
    expect(isReviewed({ hash: 'h2', body: 'b', review: { by: 'a', at: 't', hash: 'h1' } })).toBe(false);
    expect(isReviewed({ hash: 'h1' })).toBe(false);
  });
});
