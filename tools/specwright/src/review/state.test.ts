import { describe, expect, it } from 'vitest';
import { ROUND_IMPL, ROUND_SPEC } from '../../test/fixtures';
import { sha256 } from '../fs-utils';
import { loadSpecs } from '../load';
import { serializeLock, type LockFile } from '../lock';
import { normalizeOptions } from '../options';
import { MemoryTree } from '../source-tree';
import { defaultPolicy } from './policy';
import { collectReviewState } from './state';

/** Review state (what `specwright review` lists and ci-check enforces) over a tree in memory: judge.ts's verdicts. */

const PROJECT = { root: 'libs/demo', name: 'demo' };
const OPTIONS = normalizeOptions({ generateTargetName: 'regen' });
const USER_SPEC = `${ROUND_SPEC.replace('demo/round', 'demo/user').replace('[round.ts]', '[user.ts]')}dependsOn: [demo/round]\n`;
const GENERATION = { provider: 'replay', model: 'test', attempts: 1, usage: { promptTokens: 0, completionTokens: 0, cachedTokens: 0 }, runId: 'run', time: '2026-01-01T00:00:00.000Z', history: [] };

function workspace(): MemoryTree {
  const tree = new MemoryTree({
    'libs/demo/project.json': JSON.stringify({ name: 'demo' }),
    'libs/demo/src/round.spec.yaml': ROUND_SPEC,
    'libs/demo/src/round.ts': ROUND_IMPL,
    'libs/demo/src/user.spec.yaml': USER_SPEC,
    'libs/demo/src/user.ts': ROUND_IMPL.replace('roundHalfEven', 'roundUser'),
  });
  const lock: LockFile = { lockVersion: 1, specs: {} };
  for (const spec of loadSpecs(tree, [PROJECT], OPTIONS).specs) {
    const key = spec.outputFiles[0]?.slice('libs/demo/'.length) ?? '';
    const hash = sha256(tree.bytes(spec.outputFiles[0] ?? '') ?? '');
    // round.ts is reviewed, user.ts is not.
    const review = spec.spec.id === 'demo/round' ? { review: { by: 'dev@example.com', at: GENERATION.time, hash } } : {};
    lock.specs[spec.spec.id] = { spec: spec.file.slice('libs/demo/'.length), fingerprint: spec.fingerprint, outputs: { [key]: { hash, ...review } }, generation: GENERATION };
  }
  return tree.write('libs/demo/specwright.lock.json', serializeLock(lock));
}

const statuses = (tree: MemoryTree, policy = defaultPolicy()) =>
  collectReviewState({ workspaceRoot: '/nonexistent', tree, projects: [PROJECT], options: OPTIONS, policy }).items.map((item) => `${item.file} ${item.status}`);

describe('review state over a source tree', () => {
  it('lists each recorded output with its state', () => {
    expect(statuses(workspace())).toEqual(['libs/demo/src/round.ts reviewed', 'libs/demo/src/user.ts unreviewed']);
  });

  it('finds hand edits, missing outputs, stale dependents, orphans and forbidden paths', () => {
    expect(statuses(workspace().write('libs/demo/src/round.ts', `${ROUND_IMPL}// edit\n`))).toEqual(['libs/demo/src/round.ts drifted', 'libs/demo/src/user.ts unreviewed']);
    expect(statuses(workspace().remove('libs/demo/src/user.ts'))).toEqual(['libs/demo/src/round.ts reviewed', 'libs/demo/src/user.ts missing']);
    // A dependency's change makes its dependent stale too (the fingerprint covers dependencies).
    expect(statuses(workspace().write('libs/demo/src/round.spec.yaml', ROUND_SPEC.replace('ties to even.', 'ties to odd.')))).toEqual(['libs/demo/src/round.ts stale', 'libs/demo/src/user.ts stale']);
    expect(statuses(workspace().remove('libs/demo/src/user.spec.yaml'))).toEqual(['libs/demo/src/round.ts reviewed', 'libs/demo/src/user.ts orphaned']);
    expect(statuses(workspace(), { ...defaultPolicy(), humanOnly: ['**/round.ts'] })).toEqual(['libs/demo/src/round.ts forbidden', 'libs/demo/src/user.ts unreviewed']);
  });

  it('gives the fix with the configured target name', () => {
    const tree = workspace().remove('libs/demo/src/user.ts');
    const missing = collectReviewState({ workspaceRoot: '/nonexistent', tree, projects: [PROJECT], options: OPTIONS }).items.find((item) => item.status === 'missing');
    expect(missing?.fix).toMatch(/^nx regen demo --spec demo\/user /);
  });
});
