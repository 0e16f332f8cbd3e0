import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai';
import { REPO_ROOT } from './fixtures';
import { networkEnv, startLocalRegistry, type LocalRegistry } from './local-registry';

interface Run {
  status: number | null;
  output: string;
}

/** A child process with a clean environment; asynchronous, so the fake model server in this process can answer. */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 300_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...networkEnv(),
        // The user's npm cache: packages proxied through the local registry keep their integrity, so they hit it.
        npm_config_cache: process.env.npm_config_cache ?? join(process.env.HOME ?? tmpdir(), '.npm'),
        npm_config_audit: 'false',
        npm_config_fund: 'false',
        npm_config_update_notifier: 'false',
        npm_config_loglevel: 'warn',
        NX_DAEMON: 'false',
        NX_NO_CLOUD: 'true',
        NX_TUI: 'false',
        NX_SKIP_NX_CACHE: 'true',
        NX_INTERACTIVE: 'false',
        CI: 'true',
        FORCE_COLOR: '0',
        NO_COLOR: '1',
        GIT_AUTHOR_NAME: 'Ada',
        GIT_AUTHOR_EMAIL: 'ada@example.com',
        GIT_COMMITTER_NAME: 'Ada',
        GIT_COMMITTER_EMAIL: 'ada@example.com',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

/** One step may install packages (nx add) on a busy machine. */
const STEP_TIMEOUT = 300_000;
const SPEC = 'libs/money/src/allocate.spec.yaml';
const OUTPUT = 'libs/money/src/allocate.ts';
// Nx's test-file style, so the tests gate, discovery and the hook are exercised with *.spec.ts (the template uses *.test.ts).
const TEST = 'libs/money/src/allocate.spec.ts';
const IMPLEMENTATION = `/** Upper-cases its input (what the fake model answers for the skeleton's string → string contract). */
export function allocate(input: string): string {
  return input.toUpperCase();
}
`;

/**
 * A user's first five minutes, for real: a fresh Nx workspace written from nothing, the plugin packed and published
 * to a local registry (verdaccio), `nx add @specwright/nx`, `nx g @specwright/nx:project` and `:spec`, a generation
 * against a model server over HTTP, the pre-commit hook refusing the unreviewed output, a review, a commit through
 * the hook, and `nx affected -t generate-from-spec --check`. Every step builds on the one before.
 */
describe.sequential('nx add @specwright/nx in a fresh workspace', () => {
  let temp: string;
  let ws: string;
  let registry: LocalRegistry;
  let model: FakeOpenAI;
  const read = (path: string) => readFileSync(join(ws, path), 'utf8');
  const nx = (args: string[], env: NodeJS.ProcessEnv = {}) => run(process.execPath, [join(ws, 'node_modules/nx/dist/bin/nx.js'), ...args], ws, env);
  const git = (...args: string[]) => run('git', args, ws);

  beforeAll(async () => {
    temp = mkdtempSync(join(tmpdir(), 'specwright-adoption-'));
    ws = join(temp, 'workspace');
    registry = await startLocalRegistry(join(temp, 'registry'));
    model = await startFakeOpenAI();
    model.fallback = () => ({ kind: 'answer', files: [{ path: 'allocate.ts', content: IMPLEMENTATION }] });

    // Pack exactly what `npm publish` would ship (prepack builds dist/), and publish it to the local registry.
    const packed = await run('npm', ['pack', '--pack-destination', temp, '--json'], join(REPO_ROOT, 'tools/specwright'));
    expect(packed.status, packed.output).toBe(0);
    const tarball = readdirSync(temp).find((name) => name.endsWith('.tgz')) as string;
    writeFileSync(join(temp, '.npmrc'), registry.npmrc);
    const published = await run('npm', ['publish', join(temp, tarball), '--registry', registry.url, '--userconfig', join(temp, '.npmrc')], temp);
    expect(published.status, published.output).toBe(0);

    // A workspace from nothing: package.json, nx.json, .gitignore, and the registry.
    mkdirSync(ws);
    writeFileSync(join(ws, 'package.json'), `${JSON.stringify({ name: 'fresh', version: '0.0.0', private: true, devDependencies: { nx: '23.3.1' } }, null, 2)}\n`);
    writeFileSync(join(ws, 'nx.json'), `${JSON.stringify({ $schema: './node_modules/nx/schemas/nx-schema.json', defaultBase: 'main' }, null, 2)}\n`);
    writeFileSync(join(ws, '.gitignore'), 'node_modules\n.nx\n');
    writeFileSync(join(ws, '.npmrc'), registry.npmrc);
    const installed = await run('npm', ['install'], ws);
    expect(installed.status, installed.output).toBe(0);
    for (const args of [['init', '-q', '-b', 'main'], ['add', '-A'], ['commit', '-qm', 'empty workspace']]) {
      const result = await git(...args);
      expect(result.status, result.output).toBe(0);
    }
  }, 600_000);

  afterAll(async () => {
    await model?.close();
    await registry?.stop();
    if (temp) rmSync(temp, { recursive: true, force: true });
  }, STEP_TIMEOUT);

  it('nx add installs the built plugin and runs init: nx.json, policy, editor schema, hook, .gitignore, workflow', async () => {
    const added = await nx(['add', '@specwright/nx']);
    expect(added.status, added.output).toBe(0);

    const plugin = join(ws, 'node_modules/@specwright/nx');
    expect(existsSync(join(plugin, 'dist/cli.js'))).toBe(true);
    // Built JavaScript only: no TypeScript sources, tests or fixtures in the package, and no swc at the user's site.
    expect(existsSync(join(plugin, 'src/cli.ts'))).toBe(false);
    expect(existsSync(join(plugin, 'test'))).toBe(false);
    expect(existsSync(join(ws, 'node_modules/@swc/core'))).toBe(false);

    const nxJson = JSON.parse(read('nx.json'));
    expect(nxJson.plugins).toEqual([expect.objectContaining({ plugin: '@specwright/nx' })]);
    expect(read('specs/policy.yaml')).toContain('libs/*/src/**');
    expect(JSON.parse(read('.vscode/settings.json'))['yaml.schemas']).toHaveProperty(['./node_modules/@specwright/nx/spec.schema.json']);
    expect(read('.husky/pre-commit')).toContain('node node_modules/@specwright/nx/src/review/hook-entry.cjs pre-commit');
    expect(read('.gitignore')).toContain('.specwright-journal.json');
    expect(read('.github/workflows/specwright.yml')).toContain('actions: read');
    const pkg = JSON.parse(read('package.json'));
    expect(pkg.devDependencies).toHaveProperty('husky');
    expect(pkg.devDependencies).toHaveProperty('vitest');
    // husky's prepare ran during the install: git now runs .husky hooks.
    expect((await git('config', 'core.hooksPath')).output.trim()).toBe('.husky/_');

    // Running init again changes nothing.
    const written = ['nx.json', 'package.json', 'specs/policy.yaml', '.vscode/settings.json', '.vscode/extensions.json', '.husky/pre-commit', '.gitignore', '.github/workflows/specwright.yml'];
    const before = written.map(read);
    const again = await nx(['g', '@specwright/nx:init', '--skipInstall']);
    expect(again.status, again.output).toBe(0);
    expect(again.output).toMatch(/already set up, nothing to change/);
    expect(written.map(read)).toEqual(before);
  }, STEP_TIMEOUT);

  it('nx g @specwright/nx:project and :spec write a library and a spec skeleton that --check sees', async () => {
    const project = await nx(['g', '@specwright/nx:project', 'money']);
    expect(project.status, project.output).toBe(0);
    const spec = await nx(['g', '@specwright/nx:spec', 'money/allocate', '--project', 'money', '--testSuffix', 'spec', '--description', 'Upper-case the input string.']);
    expect(spec.status, spec.output).toBe(0);
    expect(read(SPEC)).toMatch(/^id: money\/allocate$/m);
    expect(read(TEST)).toContain("from './allocate'");
    expect(read(SPEC)).toMatch(/^tests: \[allocate\.spec\.ts\]$/m);
    // What a user does next: state the behaviour in the test.
    writeFileSync(join(ws, TEST), "import { expect, it } from 'vitest';\nimport { allocate } from './allocate';\n\nit('upper-cases', () => {\n  expect(allocate('abc')).toBe('ABC');\n});\n");

    const check = await nx(['generate-from-spec', 'money', '--check']);
    expect(check.status).not.toBe(0);
    expect(check.output).toMatch(/money\/allocate\s+new/);
  }, STEP_TIMEOUT);

  it('generates through the model server, and the hook refuses the unreviewed output', async () => {
    // The first answer type-checks but fails the *.spec.ts test; the tests gate sends that back and the repair passes.
    model.script({ kind: 'answer', files: [{ path: 'allocate.ts', content: 'export function allocate(input: string): string {\n  return input;\n}\n' }] });
    const generated = await nx(['generate-from-spec', 'money'], { OPENAI_BASE_URL: model.url, OPENAI_API_KEY: 'test-key', SPECWRIGHT_PROVIDER: 'openai' });
    expect(generated.status, generated.output).toBe(0);
    expect(model.requests).toHaveLength(2);
    const feedback = model.requests[1]?.body.messages.at(-1)?.content ?? '';
    expect(feedback).toMatch(/tests/);
    expect(feedback).toContain('allocate.spec.ts');
    expect(read(OUTPUT)).toMatch(/^\/\/ @generated by Specwright from spec "money\/allocate"/);
    expect(read(OUTPUT)).toContain('return input.toUpperCase();');
    expect(existsSync(join(ws, 'libs/money/specwright.lock.json'))).toBe(true);

    expect((await git('add', '-A')).status).toBe(0);
    const refused = await git('commit', '-m', 'allocate');
    expect(refused.status, refused.output).not.toBe(0);
    expect(refused.output).toContain(OUTPUT);
    expect(refused.output).toMatch(/review/);
  }, STEP_TIMEOUT);

  it('after a review the commit goes through the real hook, and nx affected --check passes', async () => {
    const reviewed = await run(process.execPath, [join(ws, 'node_modules/.bin/specwright'), 'review', '--approve', OUTPUT], ws, { GIT_CONFIG_PARAMETERS: "'user.email=ada@example.com' 'user.name=Ada'" });
    expect(reviewed.status, reviewed.output).toBe(0);
    expect((await git('add', '-A')).status).toBe(0);
    const committed = await git('commit', '-m', 'allocate, generated and reviewed');
    expect(committed.status, committed.output).toBe(0);

    const affected = await nx(['affected', '-t', 'generate-from-spec', '--check', '--base=HEAD~1', '--head=HEAD', '--output-style=static']);
    expect(affected.status, affected.output).toBe(0);
    expect(affected.output).toMatch(/money\/allocate\s+fresh/);
  }, STEP_TIMEOUT);

  it('a prose-only edit is accepted without a model call, keeps its review, and commits through the hook', async () => {
    const specwright = (...args: string[]) => run(process.execPath, [join(ws, 'node_modules/.bin/specwright'), ...args], ws);
    const help = await specwright('--help');
    expect(help.status).toBe(0);
    for (const command of ['generate', 'check', 'verify', 'review', 'ci-check', 'accept']) expect(help.output).toMatch(new RegExp(`^  ${command} `, 'm'));

    writeFileSync(join(ws, SPEC), read(SPEC).replace('Upper-case the input string.', 'Upper-case the input string (every letter, any script).'));
    const stale = await specwright('check', '--json');
    expect(stale.status).toBe(1);
    expect(JSON.parse(stale.output).specs).toEqual([expect.objectContaining({ id: 'money/allocate', state: 'stale' })]);

    const requests = model.requests.length;
    const accepted = await specwright('accept', 'money/allocate');
    expect(accepted.status, accepted.output).toBe(0);
    expect(model.requests.length).toBe(requests);
    expect(JSON.parse((await specwright('review', '--json')).output)).toMatchObject({ ok: true, outputs: [{ file: OUTPUT, status: 'reviewed' }] });

    expect((await git('add', '-A')).status).toBe(0);
    const committed = await git('commit', '-m', 'allocate: clearer description');
    expect(committed.status, committed.output).toBe(0);
    const affected = await nx(['affected', '-t', 'generate-from-spec', '--check', '--base=HEAD~1', '--head=HEAD', '--output-style=static']);
    expect(affected.status, affected.output).toBe(0);
  }, STEP_TIMEOUT);
});
