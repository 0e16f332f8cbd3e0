import { describe, expect, it } from 'vitest';
import { INDEX_WORDS, judgeOutput, judgeSpec, type OutputFacts } from './judge';
import type { LockEntry } from './lock';
import { normalizeOptions } from './options';
import type { Policy } from './review/policy';

const names = normalizeOptions({ generateTargetName: 'gen' });
const ref = { id: 'demo/round', specFile: 'libs/demo/src/round.spec.yaml', project: 'demo', lockPath: 'libs/demo/specwright.lock.json' };
const review = { by: 'dev@example.com', at: '2026-01-01T00:00:00.000Z', hash: 'sha256:a' };
const entry: LockEntry = {
  spec: 'src/round.spec.yaml',
  fingerprint: 'fp-1',
  outputs: { 'src/round.ts': { hash: 'sha256:a', review } },
  generation: { provider: 'replay', model: 'm', attempts: 1, usage: { promptTokens: 0, completionTokens: 0, cachedTokens: 0 }, runId: 'r', time: review.at, history: [] },
};
const output = (facts: Partial<OutputFacts> = {}): OutputFacts => ({ ...ref, file: 'libs/demo/src/round.ts', output: { hash: 'sha256:a', review }, currentHash: 'sha256:a', spec: { fingerprint: 'fp-1', lockedFingerprint: 'fp-1' }, ...facts });
const states = (facts: OutputFacts) => judgeOutput(facts, names).map((verdict) => verdict.state);
const policy = (extra: Partial<Policy>): Policy => ({ generated: ['libs/*/src/**'], humanOnly: [], reviewers: {}, ...extra });

describe('judge: one vocabulary for every caller', () => {
  it('decides a spec: a hand edit wins, then never generated, missing, stale, fresh', () => {
    const spec = { ...ref, projectRoot: 'libs/demo', fingerprint: 'fp-1' };
    const out = { file: 'libs/demo/src/round.ts', exists: true, drifted: false };
    expect(judgeSpec({ ...spec, entry, outputs: [{ ...out, drifted: true }] }, names).state).toBe('drifted');
    expect(judgeSpec({ ...spec, outputs: [{ ...out, exists: false }] }, names).state).toBe('new');
    expect(judgeSpec({ ...spec, entry, outputs: [{ ...out, exists: false }] }, names).state).toBe('missing');
    const stale = judgeSpec({ ...spec, entry, fingerprint: 'fp-2', outputs: [out] }, names, INDEX_WORDS);
    expect(stale).toMatchObject({ state: 'stale', fix: 'nx gen demo --spec demo/round && npx specwright review libs/demo/src/round.ts && git add libs/demo/specwright.lock.json libs/demo/src/round.ts' });
    expect(judgeSpec({ ...spec, entry, outputs: [out] }, names).state).toBe('fresh');
  });

  it('decides an output, most decisive verdict first', () => {
    expect(states(output())).toEqual(['reviewed']);
    expect(states(output({ output: { hash: 'sha256:a' } }))).toEqual(['unreviewed']);
    expect(states(output({ currentHash: 'sha256:edited' }))).toEqual(['drifted']);
    expect(states(output({ currentHash: undefined }))).toEqual(['missing']);
    expect(states(output({ spec: { fingerprint: 'fp-2', lockedFingerprint: 'fp-1' } }))).toEqual(['stale', 'reviewed']);
    expect(states(output({ spec: { orphaned: true } }))).toEqual(['orphaned']);
    expect(states(output({ spec: { invalid: { message: 'bad yaml' } } }))).toEqual(['invalid']);
    expect(states(output({ policy: policy({ humanOnly: ['**/round.ts'] }) }))).toEqual(['forbidden', 'reviewed']);
    // A review by someone the policy does not accept is no review.
    const wrongReviewer = judgeOutput(output({ policy: policy({ reviewers: { 'libs/**': ['@other.example.com'] } }) }), names);
    expect(wrongReviewer.map((verdict) => verdict.state)).toEqual(['unreviewed']);
    expect(wrongReviewer[0]?.reason).toContain('@other.example.com');
  });

  it('builds every fix with the configured target names', () => {
    const [drifted] = judgeOutput(output({ currentHash: 'sha256:edited', restore: 'git checkout -- libs/demo/src/round.ts' }), names);
    expect(drifted.fix).toBe('move the change into libs/demo/src/round.spec.yaml and run `nx gen demo --spec demo/round --force` (keeps a backup of the edit), or drop the edit: git checkout -- libs/demo/src/round.ts');
    expect(judgeOutput(output({ currentHash: undefined }), names)[0].fix).toMatch(/^nx gen demo --spec demo\/round /);
  });
});
