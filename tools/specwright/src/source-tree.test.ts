import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUND_SPEC } from '../test/fixtures';
import { discoverSpecProjects } from './discover';
import { loadSpecs } from './load';
import { IndexTree, MemoryTree, WorkingTree, type SourceTree } from './source-tree';

/** The same files as a tree in memory, on disk and in a git index: every question must get the same answer. */
const FILES: Record<string, string> = {
  'nx.json': JSON.stringify({ plugins: ['@nx/js', { plugin: '@specwright/nx', options: { generateTargetName: 'regen', model: 'm-1' } }] }),
  'libs/a/project.json': JSON.stringify({ name: 'alpha' }),
  'libs/a/src/one.spec.yaml': ROUND_SPEC.replace('demo/round', 'a/one'),
  'libs/a/nested/package.json': JSON.stringify({ name: 'pkg', nx: { name: 'nested' } }),
  'libs/a/nested/two.spec.yaml': ROUND_SPEC.replace('demo/round', 'a/two'),
  'libs/a/node_modules/x/three.spec.yaml': ROUND_SPEC,
  'libs/a/.hidden/four.spec.yaml': ROUND_SPEC,
  'libs/plain/src/five.spec.yaml': ROUND_SPEC.replace('demo/round', 'plain/five'),
  'root.spec.yaml': ROUND_SPEC.replace('demo/round', 'top/six'),
};

describe('source trees', () => {
  let dir: string;
  const trees: [string, () => SourceTree][] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'specwright-tree-test-'));
    for (const [path, content] of Object.entries(FILES)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    execFileSync('git', ['init', '-q'], { cwd: dir });
    // -f: the index holds the node_modules and dot-folder specs too, so discovery itself must skip them.
    execFileSync('git', ['add', '-f', '.'], { cwd: dir });
    trees.push(['memory', () => new MemoryTree(FILES)], ['working tree', () => new WorkingTree(dir)], ['index', () => new IndexTree(dir, '', dir)]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('discovers the same spec files, project roots and names over each tree, the Nx way', () => {
    for (const [, make] of trees) {
      const tree = make();
      expect(tree.specFiles()).toEqual(['libs/a/nested/two.spec.yaml', 'libs/a/src/one.spec.yaml', 'libs/plain/src/five.spec.yaml', 'root.spec.yaml']);
      expect(tree.specFiles('libs/a')).toEqual(['libs/a/src/one.spec.yaml']);
      // A folder Nx does not know as a project (no marker) still lists its own specs, like the disk walk.
      expect(tree.specFiles('libs/plain')).toEqual(['libs/plain/src/five.spec.yaml']);
      expect(tree.specFiles('.')).toEqual(['libs/plain/src/five.spec.yaml', 'root.spec.yaml']);
      expect([...discoverSpecProjects(tree).keys()].sort()).toEqual(['.', 'libs/a', 'libs/a/nested']);
      expect(tree.ownerRoot('libs/a/nested/deep/x.ts')).toBe('libs/a/nested');
      expect(tree.ownerRoot('libs/plain/src/five.spec.yaml')).toBe('.');
      expect([tree.projectName('libs/a'), tree.projectName('libs/a/nested'), tree.projectName('libs/plain'), tree.projectName('.')]).toEqual(['alpha', 'nested', 'plain', 'workspace']);
      expect(tree.pluginOptions()).toMatchObject({ generateTargetName: 'regen', model: 'm-1' });
      expect(tree.blobId('libs/a/project.json')).toBe(execFileSync('git', ['hash-object', 'libs/a/project.json'], { cwd: dir, encoding: 'utf8' }).trim());
      tree.dispose();
    }
  });

  it('loads the same fingerprints over each tree (one parse → contracts → fingerprint path)', () => {
    const fingerprints = trees.map(([, make]) => {
      const tree = make();
      const loaded = loadSpecs(tree, [{ root: 'libs/a', name: 'alpha' }, { root: 'libs/a/nested', name: 'nested' }], tree.pluginOptions());
      tree.dispose();
      expect(loaded.failures).toEqual([]);
      return loaded.specs.map((spec) => `${spec.spec.id} ${spec.fingerprint}`);
    });
    expect(fingerprints[0]).toHaveLength(2);
    expect(fingerprints[1]).toEqual(fingerprints[0]);
    expect(fingerprints[2]).toEqual(fingerprints[0]);
  });

  it('puts a copy on disk only when asked, and removes it on dispose', () => {
    const index = new IndexTree(dir, '', dir);
    // Staged content equal to the disk's: the workspace itself.
    expect(index.onDisk(['libs/a/src/one.spec.yaml'], ['libs/a'])).toBe(dir);
    writeFileSync(join(dir, 'libs/a/src/one.spec.yaml'), 'changed on disk only\n');
    const copy = index.onDisk(['libs/a/src/one.spec.yaml'], ['libs/a']);
    expect(copy).not.toBe(dir);
    expect(existsSync(join(copy, 'libs/a/src/one.spec.yaml'))).toBe(true);
    index.dispose();
    expect(existsSync(copy)).toBe(false);

    const memory = new MemoryTree(FILES);
    const written = memory.onDisk(['libs/a/src/one.spec.yaml'], []);
    expect(new WorkingTree(written).text('libs/a/src/one.spec.yaml')).toBe(FILES['libs/a/src/one.spec.yaml']);
    memory.dispose();
    expect(existsSync(written)).toBe(false);
  });
});
