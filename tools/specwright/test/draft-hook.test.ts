import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROUND_IMPL, ROUND_SPEC } from './fixtures';
import { createHookRepo, DEMO_SPEC, withDemoLib, type HookRepo } from './hook-repo';

const DRAFT_SPEC = 'libs/demo/src/halve.spec.yaml';
const DRAFT_OUTPUT = 'libs/demo/src/halve.ts';

/** Drafts in a real repository: the hook refuses them and their outputs; review shows the proposed tree. */
describe('draft specs in the pre-commit hook and review', () => {
  let repo: HookRepo;

  beforeEach(async () => {
    repo = createHookRepo();
    await withDemoLib(repo);
    expect(repo.specwright(['review', '--approve', '--all']).status).toBe(0);
    repo.git(['add', '-A']);
    expect(repo.commit('demo lib').status).toBe(0);
  });
  afterEach(() => repo.cleanup());

  it('refuses a draft spec and a file at its output path, naming the way to accept it', () => {
    repo.write(DRAFT_SPEC, `draft: true\n${ROUND_SPEC.replace('id: demo/round', 'id: demo/halve').replace('[round.ts]', '[halve.ts]')}dependsOn: [demo/round]\n`);
    repo.write(DRAFT_OUTPUT, ROUND_IMPL);
    repo.git(['add', '-A']);
    const refused = repo.commit('add a draft');
    expect(refused.status).not.toBe(0);
    expect(refused.output).toContain(`${DRAFT_SPEC}: draft`);
    expect(refused.output).toContain('spec "demo/halve" is a draft (draft: true)');
    expect(refused.output).toContain(`${DRAFT_OUTPUT}: draft`);
    expect(refused.output).toContain(`npx specwright decompose --accept ${DRAFT_SPEC}`);

    // review lists the proposed set first, as a tree in dependency order.
    const review = repo.specwright(['review', '--check']);
    expect(review.output).toContain('Proposed specs (1 draft), in dependency order:');
    expect(review.output).toMatch(/demo\/halve\s+libs\/demo\/src\/halve\.spec\.yaml\s+← demo\/round \(accepted\)/);
    expect(review.output).toContain('└── demo/round (accepted)');

    // Generation refuses the draft; accepted, the refusal is gone (it is then an ordinary new spec).
    const check = repo.specwright(['check', '--project', 'demo']);
    expect(check.output).toContain('spec "demo/halve" is a draft');
    expect(repo.specwright(['decompose', '--accept', DRAFT_SPEC]).status).toBe(0);
    expect(repo.read(DRAFT_SPEC)).not.toContain('draft: true');
    expect(repo.specwright(['check', '--project', 'demo']).output).not.toContain('is a draft');
    expect(repo.read(DEMO_SPEC)).toBe(ROUND_SPEC);
  }, 120_000);
});
