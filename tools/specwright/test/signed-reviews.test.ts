import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHookRepo, DEMO_LOCK, DEMO_OUTPUT, EMAIL, withDemoLib, type HookRepo } from './hook-repo';

/**
 * Reviews that cannot be forged, for real: a temp git repository, keys made by ssh-keygen, commits signed by git's
 * SSH signing, and `specwright ci-check` verifying them through git (`%G?` with gpg.ssh.allowedSignersFile).
 */

const POLICY = `generated:\n  - "libs/*/src/**"\nhumanOnly:\n  - "**/*.types.ts"\nreviewers:\n  "libs/demo/**": ["${EMAIL}", "bob@example.com"]\nrequireSignedReviews: true\n`;

describe('signed reviews (real git, real ssh-keygen keys)', () => {
  let keys: string;
  let repo: HookRepo;
  const key = (name: string) => join(keys, name);

  beforeAll(() => {
    keys = mkdtempSync(join(tmpdir(), 'specwright-keys-'));
    for (const name of ['reviewer', 'bob', 'mallory']) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', key(name)]);
  });
  afterAll(() => rmSync(keys, { recursive: true, force: true }));

  beforeEach(async () => {
    repo = createHookRepo();
    await withDemoLib(repo);
    const pub = (name: string) => readFileSync(`${key(name)}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
    // reviewer and bob are listed; mallory's key is not.
    repo.write('specs/allowed_signers', `${EMAIL} ${pub('reviewer')}\nbob@example.com ${pub('bob')}\n`);
    repo.write('specs/policy.yaml', POLICY);
    repo.git(['add', 'specs']);
    expect(repo.commit('signers and policy', { env: { HUSKY: '0' } }).status).toBe(0);
  });
  afterEach(() => repo.cleanup());

  const signedCommit = (signer: string | undefined, message: string) => {
    repo.git(['add', '-A']);
    const args = signer ? ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${key(signer)}`, 'commit', '-q', '-S', '-m', message] : ['commit', '-q', '-m', message];
    const result = repo.git(args);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  };

  it('passes when the review is committed signed by the reviewer it names', () => {
    const approve = repo.specwright(['review', '--approve', DEMO_OUTPUT]);
    expect(approve.status).toBe(0);
    expect(approve.output).toContain('git commit -S');
    signedCommit('reviewer', 'reviewed demo');
    const check = repo.specwright(['ci-check']);
    expect(check.output).toContain('1 verified');
    expect(check.status).toBe(0);
  });

  it('fails when the review is committed without a signature', () => {
    expect(repo.specwright(['review', '--approve', DEMO_OUTPUT]).status).toBe(0);
    signedCommit(undefined, 'reviewed demo, unsigned');
    const check = repo.specwright(['ci-check']);
    expect(check.status).toBe(1);
    expect(check.output).toMatch(new RegExp(`${DEMO_OUTPUT}: the review by ${EMAIL} was committed in [0-9a-f]{10} with no signature`));
    expect(check.output).toContain('git commit -S');
  });

  it('fails when the commit is signed by a key that is not in specs/allowed_signers', () => {
    expect(repo.specwright(['review', '--approve', DEMO_OUTPUT]).status).toBe(0);
    signedCommit('mallory', 'reviewed demo, signed by an unknown key');
    const check = repo.specwright(['ci-check']);
    expect(check.status).toBe(1);
    expect(check.output).toContain(`${DEMO_OUTPUT}: the review by ${EMAIL} was committed in`);
    expect(check.output).toMatch(/cannot be checked|bad signature|unknown validity/);
  });

  it('fails when a listed signer commits a review record that names someone else (a forged "by")', () => {
    // bob is an allowed signer, but the record claims the reviewer approved: only the reviewer's key may commit it.
    expect(repo.specwright(['review', '--approve', DEMO_OUTPUT]).status).toBe(0);
    expect(JSON.parse(repo.read(DEMO_LOCK)).specs['demo/round'].outputs['src/round.ts'].review.by).toBe(EMAIL);
    signedCommit('bob', 'reviewed demo on behalf of someone else');
    const check = repo.specwright(['ci-check']);
    expect(check.status).toBe(1);
    expect(check.output).toContain(`the review names ${EMAIL}, but commit`);
    expect(check.output).toContain('is signed by bob@example.com');
  });

  it('--signers-ref: a change that adds its own key to specs/allowed_signers cannot sign its own approval', () => {
    const base = repo.git(['rev-parse', 'HEAD']).output.trim();
    repo.git(['config', 'user.email', 'mallory@example.com']);
    const mallory = readFileSync(`${key('mallory')}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
    repo.write('specs/allowed_signers', `${repo.read('specs/allowed_signers')}mallory@example.com ${mallory}\n`);
    repo.write('specs/policy.yaml', POLICY.replace('"bob@example.com"]', '"bob@example.com", "mallory@example.com"]'));
    expect(repo.specwright(['review', '--approve', DEMO_OUTPUT]).status).toBe(0);
    signedCommit('mallory', 'mallory approves with her own new key');
    // Judged by the keys of the change itself, the approval verifies; judged by the base branch's keys, it does not.
    expect(repo.specwright(['ci-check']).status).toBe(0);
    const check = repo.specwright(['ci-check', '--signers-ref', base]);
    expect(check.status).toBe(1);
    expect(check.output).toContain(`keys in specs/allowed_signers at ${base}`);
    expect(check.output).toContain(`${DEMO_OUTPUT}: the review by mallory@example.com was committed in`);
  });

  it('refuses `review --approve` without paths unless --all is given', () => {
    const bare = repo.specwright(['review', '--approve']);
    expect(bare.status).toBe(2);
    expect(bare.output).toContain('pass --all');
    const all = repo.specwright(['review', '--approve', '--all']);
    expect(all.status).toBe(0);
    // Non-interactive approval still shows the diff and how the code was generated.
    expect(all.output).toContain(`── ${DEMO_OUTPUT}`);
    expect(all.output).toContain('generated by canned-model');
    expect(all.output).toContain('+export function');
  });
});
