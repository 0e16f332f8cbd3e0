import { describe, expect, it } from 'vitest';
import { fingerprintInOrder } from './fingerprint';
import { orderSpecs } from './graph';
import type { LockFile } from './lock';
import { parseSpec } from './parse';
import { planSpecs } from './plan';

const options = { model: 'm', temperature: 0 };
const source = (description: string, extra = '') =>
  `id: p/a\ndescription: ${description}\noutputs: [a.ts]\nexports:\n  - name: f\n    params: []\n    returns: { schema: { type: integer } }\n${extra}`;
const fingerprinted = (text: string, model = options) => {
  const parsed = parseSpec(text, { file: 'libs/p/src/a.spec.yaml', projectRoot: 'libs/p', project: 'p' });
  return fingerprintInOrder([{ ...parsed, contracts: {} }], model)[0]!;
};
const lockFor = (fingerprint: string, hash = 'sha256:gen'): LockFile => ({
  lockVersion: 1,
  specs: { 'p/a': { spec: 'src/a.spec.yaml', fingerprint, outputs: { 'src/a.ts': { hash } }, generation: { provider: 'replay', model: 'm', attempts: 1, usage: { promptTokens: 0, completionTokens: 0, cachedTokens: 0 }, runId: 'r', time: 't', history: [] } } },
});
const flags = { force: false, only: [] };

describe('fingerprints', () => {
  it('are stable and change with the description, the model and the dependencies', () => {
    const base = fingerprinted(source('one')).fingerprint;
    expect(fingerprinted(source('one')).fingerprint).toBe(base);
    expect(fingerprinted(source('two')).fingerprint).not.toBe(base);
    expect(fingerprinted(source('one'), { model: 'other', temperature: 0 }).fingerprint).not.toBe(base);
    expect(fingerprinted(source('one', 'model:\n  maxAttempts: 5\n')).fingerprint).toBe(base);
    expect(fingerprinted(source('one', 'constraints:\n  pure: false\n')).fingerprint).toBe(base);
  });

  it('include the fingerprints of dependencies', () => {
    const make = (depDescription: string) => {
      const dep = parseSpec(source(depDescription).replace('p/a', 'p/dep').replace('a.ts', 'dep.ts'), { file: 'libs/p/src/dep.spec.yaml', projectRoot: 'libs/p', project: 'p' });
      const main = parseSpec(source('main', 'dependsOn: [p/dep]\n'), { file: 'libs/p/src/a.spec.yaml', projectRoot: 'libs/p', project: 'p' });
      return fingerprintInOrder(orderSpecs([main, dep]).map((s) => ({ ...s, contracts: {} })), options).find((s) => s.spec.id === 'p/a')!.fingerprint;
    };
    expect(make('x')).toBe(make('x'));
    expect(make('x')).not.toBe(make('y'));
  });
});

describe('planSpecs', () => {
  const spec = fingerprinted(source('one'));
  const locks = (lock: LockFile) => new Map([['libs/p', lock]]);

  it('knows new, fresh, stale, missing and drifted', () => {
    const state = (lock: LockFile, hash: string | undefined) => planSpecs([spec], locks(lock), () => hash, flags)[0]!;
    expect(state({ lockVersion: 1, specs: {} }, undefined).state).toBe('new');
    expect(state(lockFor(spec.fingerprint), 'sha256:gen').state).toBe('fresh');
    expect(state(lockFor(spec.fingerprint), 'sha256:gen').generate).toBe(false);
    expect(state(lockFor('sha256:old'), 'sha256:gen').state).toBe('stale');
    expect(state(lockFor(spec.fingerprint), undefined).state).toBe('missing');
    const drifted = state(lockFor('sha256:old'), 'sha256:edited');
    expect(drifted.state).toBe('drifted');
    expect(drifted.generate).toBe(false);
    expect(drifted.reason).toMatch(/edited by hand/);
  });

  it('treats a file nobody generated at an output path as drifted, and --force overrides', () => {
    const planned = planSpecs([spec], locks({ lockVersion: 1, specs: {} }), () => 'sha256:handwritten', flags)[0]!;
    expect(planned.state).toBe('drifted');
    expect(planned.reason).toMatch(/not generated from this spec/);
    expect(planSpecs([spec], locks({ lockVersion: 1, specs: {} }), () => 'sha256:handwritten', { force: true, only: [] })[0]!.generate).toBe(true);
  });
});
