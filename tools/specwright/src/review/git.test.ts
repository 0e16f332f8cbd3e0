import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitBlobSha, indexEntries, parseRawDiff, readObjects, stagedChanges, ZERO_SHA } from './git';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('git plumbing', () => {
  it('parses `git diff --cached --raw -z -M` records, renames included', () => {
    const raw = [`:000000 100644 ${ZERO_SHA} ${A} A`, 'new file.ts', `:100644 100644 ${A} ${A} R100`, 'old/name.spec.yaml', 'new/name.spec.yaml', `:100644 000000 ${B} ${ZERO_SHA} D`, 'gone.ts', ''].join('\0');
    expect(parseRawDiff(raw)).toEqual([
      { status: 'A', path: 'new file.ts', oldSha: ZERO_SHA, newSha: A, newMode: '100644' },
      { status: 'R', path: 'new/name.spec.yaml', oldPath: 'old/name.spec.yaml', oldSha: A, newSha: A, newMode: '100644' },
      { status: 'D', path: 'gone.ts', oldSha: B, newSha: ZERO_SHA, newMode: '000000' },
    ]);
  });

  it('reads the index of a real repository (first commit included) and hashes like git', () => {
    const root = mkdtempSync(join(tmpdir(), 'specwright-git-'));
    const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', env: { ...process.env, GIT_DIR: undefined, GIT_INDEX_FILE: undefined } });
    try {
      git('init', '-q');
      writeFileSync(join(root, 'a.ts'), 'export const a = 1;\n');
      git('add', 'a.ts');
      const changes = stagedChanges(root);
      expect(changes).toHaveLength(1);
      expect(changes[0]?.status).toBe('A');
      const sha = indexEntries(root).get('a.ts')?.sha as string;
      expect(sha).toBe(gitBlobSha('export const a = 1;\n'));
      expect(sha).toBe(git('hash-object', 'a.ts').trim());
      const blobs = readObjects(root, [sha, ':a.ts', ':missing.ts']);
      expect(blobs.get(sha)?.toString()).toBe('export const a = 1;\n');
      expect(blobs.get(':a.ts')?.toString()).toBe('export const a = 1;\n');
      expect(blobs.get(':missing.ts')).toBeUndefined();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
