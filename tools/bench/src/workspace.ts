/**
 * The synthetic workspace: the template's layout (package.json with workspaces, the repository's nx.json with the
 * @specwright/nx plugin registered exactly as there, tsconfig.base.json, specs/, a copy of tools/specwright) and N
 * specs across P projects, whose outputs and locks are produced by the real pipeline (runPipeline, write mode,
 * an in-process model answering the known-correct implementation, no gates). Every spec has a vitest file beside
 * its output (the spec's examples as assertions), so the tests gate and verify-spec run real tests.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { normalizeOptions } from '../../specwright/src/options';
import type { Provider } from '../../specwright/src/providers';
import { runPipeline } from '../../specwright/src/run';
import { projectName, syntheticSpecs, type SyntheticSpec } from './synthetic';

export const REPO_ROOT = resolve(__dirname, '../../..');
const PLUGIN_SOURCE = join(REPO_ROOT, 'tools/specwright');
export const PLUGIN_NAME = '@specwright/nx';

export interface BenchWorkspace {
  root: string;
  specs: SyntheticSpec[];
  projects: { name: string; root: string }[];
  /** nx.json as written (with the plugin) and the same without the @specwright/nx entry. */
  nxJson: { withPlugin: string; withoutPlugin: string };
  write(path: string, content: string): void;
  read(path: string): string;
  cleanup(): void;
}

/** The answer of a model that knows every spec's implementation. */
export function knownAnswer(specs: readonly SyntheticSpec[]): (specId: string) => { path: string; content: string }[] | undefined {
  const byId = new Map(specs.map((spec) => [spec.id, spec]));
  return (specId) => {
    const spec = byId.get(specId);
    return spec ? [{ path: spec.output, content: spec.implementation }] : undefined;
  };
}

export async function createBenchWorkspace(options: { specs: number; projects: number; dir?: string; log?: (line: string) => void }): Promise<BenchWorkspace> {
  const log = options.log ?? (() => undefined);
  const root = options.dir ?? mkdtempSync(join(tmpdir(), 'specwright-bench-'));
  mkdirSync(root, { recursive: true });
  const write = (path: string, content: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  };
  const read = (path: string) => readFileSync(join(root, path), 'utf8');

  // Workspace files, as in the template.
  const repoNx = JSON.parse(readFileSync(join(REPO_ROOT, 'nx.json'), 'utf8')) as { plugins?: unknown[]; [key: string]: unknown };
  if (!(repoNx.plugins ?? []).some((entry) => typeof entry === 'object' && (entry as { plugin?: string }).plugin === PLUGIN_NAME)) {
    throw new Error(`the repository's nx.json does not register ${PLUGIN_NAME}`);
  }
  const withoutPlugin = { ...repoNx, plugins: (repoNx.plugins ?? []).filter((entry) => !(typeof entry === 'object' && (entry as { plugin?: string }).plugin === PLUGIN_NAME) && entry !== PLUGIN_NAME) };
  const nxJson = { withPlugin: `${JSON.stringify(repoNx, null, 2)}\n`, withoutPlugin: `${JSON.stringify(withoutPlugin, null, 2)}\n` };
  write('nx.json', nxJson.withPlugin);
  write('package.json', `${JSON.stringify({ name: 'specwright-bench-workspace', version: '0.0.0', private: true, workspaces: ['libs/*', 'tools/*'] }, null, 2)}\n`);
  write('.gitignore', readFileSync(join(REPO_ROOT, '.gitignore'), 'utf8'));
  cpSync(join(REPO_ROOT, 'tsconfig.base.json'), join(root, 'tsconfig.base.json'));
  for (const file of ['specs/spec.schema.json', 'specs/policy.yaml']) {
    if (existsSync(join(REPO_ROOT, file))) cpSync(join(REPO_ROOT, file), join(root, file));
  }
  for (const file of ['.husky/pre-commit']) {
    if (existsSync(join(REPO_ROOT, file))) cpSync(join(REPO_ROOT, file), join(root, file));
  }
  copyPlugin(join(root, 'tools/specwright'));
  linkNodeModules(root);

  // Projects: a package.json each, with two no-op targets for the floor measurements.
  const specs = syntheticSpecs(options.specs, options.projects);
  const projects = Array.from({ length: options.projects }, (_, index) => ({ name: projectName(index), root: `libs/${projectName(index)}` }));
  for (const project of projects) {
    write(
      `${project.root}/package.json`,
      `${JSON.stringify(
        {
          name: `@bench/${project.name}`,
          version: '0.0.0',
          private: true,
          nx: {
            name: project.name,
            targets: {
              // The floor: a task per project that does nothing, through the same task runner (a forked process).
              noop: { executor: 'nx:run-commands', options: { command: 'true' }, cache: true, inputs: [`{projectRoot}/**/*`] },
              // Nx short-cuts nx:noop without starting a process: the bare scheduling cost, for reference.
              'noop-inline': { executor: 'nx:noop' },
            },
          },
        },
        null,
        2,
      )}\n`,
    );
  }
  for (const spec of specs) {
    write(spec.file, spec.yaml(1));
    write(spec.testFile, spec.test);
  }

  // Outputs and locks, through the real pipeline.
  const answer = knownAnswer(specs);
  const provider: Provider = {
    name: 'replay',
    async complete(request) {
      const files = answer(request.specId);
      if (!files) throw new Error(`bench: no implementation for ${request.specId}`);
      return { text: JSON.stringify({ files, notes: '' }), model: 'bench-model', usage: { promptTokens: 0, completionTokens: 0, cachedTokens: 0 } };
    },
  };
  const started = performance.now();
  const result = await runPipeline({
    workspaceRoot: root,
    projects,
    options: normalizeOptions(pluginOptions(nxJson.withPlugin)),
    mode: 'write',
    provider,
    concurrency: 16,
    log: () => undefined,
  });
  if (!result.ok) throw new Error(`bench: generating the synthetic workspace failed:\n${result.summary}`);
  log(`  generated ${specs.length} specs in ${projects.length} projects with the real pipeline in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  return { root, specs, projects, nxJson, write, read, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export function pluginOptions(nxJson: string): Record<string, unknown> {
  const parsed = JSON.parse(nxJson) as { plugins?: (string | { plugin: string; options?: Record<string, unknown> })[] };
  const entry = (parsed.plugins ?? []).find((candidate) => typeof candidate === 'object' && candidate.plugin === PLUGIN_NAME);
  return (typeof entry === 'object' ? entry.options : undefined) ?? {};
}

/** The plugin as the template ships it (its sources, schemas, executors and bin), without tests and fixtures. */
function copyPlugin(target: string): void {
  cpSync(PLUGIN_SOURCE, target, {
    recursive: true,
    filter: (source) => {
      const path = relative(PLUGIN_SOURCE, source);
      if (path === '') return true;
      const parts = path.split(/[\\/]/);
      if (parts[0] === 'node_modules' || parts[0] === 'test' || parts[0] === 'scripts') return false;
      if (parts.includes('__fixtures__')) return false;
      return !/\.test\.ts$/.test(path);
    },
  });
}

/**
 * node_modules as after `npm ci`: third-party packages link to the repository's installed ones; the workspace's
 * own @specwright/nx links into the copy (so the workspace runs its own plugin); other workspace links are left out.
 */
function linkNodeModules(root: string): void {
  const modules = join(REPO_ROOT, 'node_modules');
  mkdirSync(join(root, 'node_modules'));
  for (const entry of readdirSync(modules, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const source = join(modules, entry.name);
    if (entry.name.startsWith('@')) {
      mkdirSync(join(root, 'node_modules', entry.name));
      for (const scoped of readdirSync(source, { withFileTypes: true })) {
        const name = `${entry.name}/${scoped.name}`;
        if (scoped.isSymbolicLink()) {
          if (name === PLUGIN_NAME) symlinkSync('../../tools/specwright', join(root, 'node_modules', name));
          continue;
        }
        symlinkSync(join(source, scoped.name), join(root, 'node_modules', name));
      }
    } else if (!entry.isSymbolicLink()) {
      symlinkSync(source, join(root, 'node_modules', entry.name));
    }
  }
  // No .bin: its relative links would lead back into the repository. The bench runs nx and the CLI by path.
}

/** Commits the whole workspace (hooks off), for the pre-commit measurement. */
export function gitCommitAll(root: string, message: string): void {
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=bench@example.com', '-c', 'user.name=bench', '-c', 'core.hooksPath=/dev/null', ...args], { cwd: root, stdio: 'pipe' });
  if (!existsSync(join(root, '.git'))) git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-qm', message, '--allow-empty');
}
