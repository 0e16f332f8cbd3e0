import { addProjectConfiguration, readJson, readNxJson, updateNxJson, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { describe, expect, it } from 'vitest';
import { parseSpec } from '../parse';
import { initGenerator } from './init/generator';
import { projectGenerator } from './project/generator';
import { specGenerator } from './spec/generator';

/** Every file of the tree with its content, to compare whole workspaces before and after a run. */
function snapshot(tree: Tree): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const child of tree.children(dir)) {
      const path = dir ? `${dir}/${child}` : child;
      if (tree.isFile(path)) files.set(path, tree.read(path, 'utf8') ?? '');
      else walk(path);
    }
  };
  walk('');
  return files;
}

const noInstall = { skipInstall: true } as const;

describe('init generator', () => {
  it('sets up a plain workspace: plugin, policy, editor schema, hook, .gitignore, workflow, husky and vitest', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await initGenerator(tree, noInstall);

    const plugins = readNxJson(tree)?.plugins ?? [];
    expect(plugins.filter((entry) => (typeof entry === 'string' ? entry : entry.plugin) === '@specwright/nx')).toHaveLength(1);
    expect(tree.read('specs/policy.yaml', 'utf8')).toMatch(/generated:\n {2}- "libs\/\*\/src\/\*\*"/);
    expect(tree.read('specs/policy.yaml', 'utf8')).toContain('$schema=../node_modules/@specwright/nx/policy.schema.json');
    expect(readJson(tree, '.vscode/settings.json')['yaml.schemas']).toEqual({
      './node_modules/@specwright/nx/spec.schema.json': ['**/*.spec.yaml'],
      './node_modules/@specwright/nx/policy.schema.json': ['specs/policy.yaml'],
    });
    expect(tree.read('.husky/pre-commit', 'utf8')).toMatch(/^node node_modules\/@specwright\/nx\/src\/review\/hook-entry\.cjs pre-commit$/m);
    expect(tree.read('.gitignore', 'utf8')).toContain('.specwright-journal.json');
    const workflow = tree.read('.github/workflows/specwright.yml', 'utf8') ?? '';
    expect(workflow).toContain('actions: read');
    expect(workflow).toMatch(/node: \[20, 22\]/);
    expect(workflow.match(/nx affected -t /g)).toHaveLength(1);
    expect(workflow).toContain('GITHUB_STEP_SUMMARY');
    const pkg = readJson(tree, 'package.json');
    expect(pkg.devDependencies).toMatchObject({ husky: expect.any(String), vitest: expect.any(String) });
    expect(pkg.scripts.prepare).toBe('husky');
  });

  it('running it twice changes nothing', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await initGenerator(tree, noInstall);
    const first = snapshot(tree);
    await initGenerator(tree, noInstall);
    expect(snapshot(tree)).toEqual(first);
  });

  it('keeps what is there: other hook lines, gitignore entries, editor settings, an existing prepare script and versions', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('.husky/pre-commit', 'npx lint-staged');
    tree.write('.gitignore', 'node_modules\n.specwright-tmp-*');
    tree.write('.vscode/settings.json', '{ // comments are allowed\n "editor.tabSize": 2 }');
    tree.write('package.json', JSON.stringify({ name: 'ws', scripts: { prepare: 'node setup.js' }, devDependencies: { vitest: '^3.2.0' } }));
    await initGenerator(tree, noInstall);

    expect(tree.read('.husky/pre-commit', 'utf8')).toMatch(/^npx lint-staged\n\n# Specwright[^]*hook-entry\.cjs pre-commit\n$/);
    const gitignore = tree.read('.gitignore', 'utf8') ?? '';
    expect(gitignore.startsWith('node_modules\n.specwright-tmp-*\n')).toBe(true);
    expect(gitignore.match(/\.specwright-tmp-\*/g)).toHaveLength(1);
    expect(readJson(tree, '.vscode/settings.json')['editor.tabSize']).toBe(2);
    const pkg = readJson(tree, 'package.json');
    expect(pkg.scripts.prepare).toBe('node setup.js && husky');
    expect(pkg.devDependencies.vitest).toBe('^3.2.0');
  });

  it('skips each step on request', async () => {
    const tree = createTreeWithEmptyWorkspace();
    const before = snapshot(tree);
    await initGenerator(tree, { skipNxJson: true, skipPolicy: true, skipEditorSchema: true, skipHook: true, skipGitignore: true, skipCi: true, skipPackageJson: true });
    expect(snapshot(tree)).toEqual(before);
  });

  it('derives the policy from where the projects are', async () => {
    const tree = createTreeWithEmptyWorkspace();
    addProjectConfiguration(tree, 'billing', { root: 'packages/billing' });
    await initGenerator(tree, noInstall);
    expect(tree.read('specs/policy.yaml', 'utf8')).toContain('- "packages/*/src/**"');
  });
});

describe('spec and project generators', () => {
  const parse = (tree: Tree, file: string, project: string, projectRoot: string) => parseSpec(tree.read(file, 'utf8') ?? '', { file, project, projectRoot });

  it('writes a commented skeleton that parses as written, and its test file', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await initGenerator(tree, noInstall);
    await projectGenerator(tree, { name: 'money' });
    await specGenerator(tree, { name: 'money/allocate', project: 'money' });

    const source = tree.read('libs/money/src/allocate.spec.yaml', 'utf8') ?? '';
    expect(source).toMatch(/^# yaml-language-server: \$schema=\.\.\/\.\.\/\.\.\/node_modules\/@specwright\/nx\/spec\.schema\.json$/m);
    expect(source.split('\n').filter((line) => line.trimStart().startsWith('#')).length).toBeGreaterThan(10);
    const parsed = parse(tree, 'libs/money/src/allocate.spec.yaml', 'money', 'libs/money');
    expect(parsed.spec.id).toBe('money/allocate');
    expect(parsed.outputFiles).toEqual(['libs/money/src/allocate.ts']);
    expect(parsed.testFiles).toEqual(['libs/money/src/allocate.test.ts']);
    expect(tree.read('libs/money/src/allocate.test.ts', 'utf8')).toContain("import { allocate } from './allocate';");
    expect(readJson(tree, 'libs/money/project.json')).toMatchObject({ name: 'money', sourceRoot: 'libs/money/src' });
    expect(source).toMatch(/^#   generate: {2}nx generate-from-spec money /m);
  });

  it('names the generate target the workspace configured in the skeleton\'s comments', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await initGenerator(tree, noInstall);
    const nxJson = readNxJson(tree) ?? {};
    for (const entry of nxJson.plugins ?? []) if (typeof entry === 'object' && entry.plugin === '@specwright/nx') entry.options = { ...(entry.options as object), generateTargetName: 'regen' };
    updateNxJson(tree, nxJson);
    await projectGenerator(tree, { name: 'money' });
    await specGenerator(tree, { name: 'money/allocate', project: 'money' });
    expect(tree.read('libs/money/src/allocate.spec.yaml', 'utf8')).toMatch(/^#   generate: {2}nx regen money /m);
  });

  it('names the test *.spec.ts in projects that use that style, and the spec parses with it', async () => {
    const tree = createTreeWithEmptyWorkspace();
    addProjectConfiguration(tree, 'text', { root: 'libs/text', sourceRoot: 'libs/text/src' });
    tree.write('libs/text/src/lib/text.spec.ts', "it('x', () => {});");
    await specGenerator(tree, { name: 'text/slug-of', exportName: undefined, description: 'Turn a title into a URL slug.' });
    const parsed = parse(tree, 'libs/text/src/slug-of.spec.yaml', 'text', 'libs/text');
    expect(parsed.testFiles).toEqual(['libs/text/src/slug-of.spec.ts']);
    expect(parsed.spec.exports[0]?.name).toBe('slugOf');
    expect(parsed.spec.description).toContain('Turn a title into a URL slug.');
  });

  it('refuses to overwrite, to reuse an id, or to guess a project that does not exist', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await projectGenerator(tree, { name: 'money', spec: 'allocate' });
    await expect(specGenerator(tree, { name: 'money/allocate' })).rejects.toThrow(/already exists/);
    await expect(specGenerator(tree, { name: 'money/allocate', directory: 'src/other' })).rejects.toThrow(/already used by libs\/money\/src\/allocate\.spec\.yaml/);
    await expect(specGenerator(tree, { name: 'nowhere/thing' })).rejects.toThrow(/no project named "nowhere"[^]*/);
    await expect(specGenerator(tree, { name: '!!!', project: 'money' })).rejects.toThrow(/is not a spec id/);
    // Names in other casings become ids: PascalCase and spaces turn into hyphens.
    await specGenerator(tree, { name: 'Round Half', project: 'money' });
    expect(tree.read('libs/money/src/round-half.spec.yaml', 'utf8')).toMatch(/^id: money\/round-half$/m);
    await expect(projectGenerator(tree, { name: 'money' })).rejects.toThrow(/already exists/);
  });
});
