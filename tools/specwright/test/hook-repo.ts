import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readLock, type LockFile } from '../src/lock';
import { normalizeOptions, type SpecwrightPluginOptions } from '../src/options';
import { NO_USAGE, type Provider } from '../src/providers/provider';
import { runPipeline } from '../src/run';
import { readPluginOptions } from '../src/workspace';
import { PACKAGE_JSON, REPO_ROOT, ROUND_IMPL, ROUND_SPEC } from './fixtures';

/**
 * A real git repository holding a copy of the template's tooling (package.json, nx.json, tsconfig.base.json,
 * tools/specwright, specs/, .husky/pre-commit), node_modules linked from the repository, and husky installed the
 * way `npm install` does it (`npx husky`: core.hooksPath = .husky/_). Generated files and locks come from the real
 * pipeline with a provider that returns a canned answer.
 */

export const EMAIL = 'reviewer@example.com';
/** Git inside a hook sees GIT_DIR / GIT_INDEX_FILE of the outer repository if the tests ever run from one. */
const CLEAN_ENV = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GIT_') && key !== 'HUSKY'));

export interface RunOutput {
  status: number;
  output: string;
  ms: number;
}

export interface HookRepo {
  root: string;
  write(path: string, content: string): void;
  read(path: string): string;
  remove(path: string): void;
  git(args: string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }): RunOutput;
  /** `git commit -m …` through the installed husky hook. */
  commit(message: string, options?: { cwd?: string; env?: NodeJS.ProcessEnv; args?: string[] }): RunOutput;
  /** The real CLI: node tools/specwright/bin/specwright.js … (swc-node, like `npx specwright`). */
  specwright(args: string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }): RunOutput;
  /** The hook's entry directly, as .husky/pre-commit runs it. */
  hook(options?: { cwd?: string; env?: NodeJS.ProcessEnv }): RunOutput;
  /** Runs the real pipeline (write mode) for a project with a canned model answer per spec id. */
  generate(project: { name: string; root: string }, answers: Record<string, { path: string; content: string }[]>, only?: string[]): Promise<void>;
  lock(projectRoot: string): LockFile;
  cleanup(): void;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): RunOutput {
  const started = performance.now();
  const result: SpawnSyncReturns<string> = spawnSync(command, args, { cwd, env: { ...CLEAN_ENV, FORCE_COLOR: '0', NO_COLOR: '1', ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - started;
  return { status: result.status ?? -1, output: `${result.stdout ?? ''}${result.stderr ?? ''}`, ms };
}

const TEMPLATE_FILES = ['package.json', 'nx.json', 'tsconfig.base.json', '.gitignore', '.husky/pre-commit', 'specs/spec.schema.json', 'specs/policy.yaml'];

export function createHookRepo(): HookRepo {
  const root = mkdtempSync(join(tmpdir(), 'specwright-hook-'));
  for (const file of TEMPLATE_FILES) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    cpSync(join(REPO_ROOT, file), join(root, file));
  }
  cpSync(join(REPO_ROOT, 'tools/specwright'), join(root, 'tools/specwright'), {
    recursive: true,
    filter: (source) => !source.split('/').includes('node_modules'),
  });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');

  const write = (path: string, content: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  };
  const git = (args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) => run('git', args, options.cwd ?? root, options.env);
  const must = (result: RunOutput, what: string) => {
    if (result.status !== 0) throw new Error(`${what} failed (${result.status}):\n${result.output}`);
    return result;
  };

  must(git(['init', '-q', '-b', 'main']), 'git init');
  must(git(['config', 'user.email', EMAIL]), 'git config');
  must(git(['config', 'user.name', 'Reviewer']), 'git config');
  must(git(['config', 'commit.gpgsign', 'false']), 'git config');
  // husky 9's install, as the root package.json's "prepare": "husky" runs it.
  must(run(process.execPath, [join(root, 'node_modules/husky/bin.js')], root), 'husky install');

  const repo: HookRepo = {
    root,
    write,
    read: (path) => readFileSync(join(root, path), 'utf8'),
    remove: (path) => rmSync(join(root, path), { force: true }),
    git,
    commit: (message, options = {}) => git(['commit', '-q', '-m', message, ...(options.args ?? [])], options),
    specwright: (args, options = {}) => run(process.execPath, [join(root, 'tools/specwright/bin/specwright.js'), ...args], options.cwd ?? root, options.env),
    hook: (options = {}) => run(process.execPath, [join(root, 'tools/specwright/src/review/hook-entry.cjs'), 'pre-commit'], options.cwd ?? root, options.env),
    generate: async (project, answers, only = []) => {
      const provider: Provider = {
        name: 'replay',
        complete: async (request) => {
          const files = answers[request.specId];
          if (!files) throw new Error(`no canned answer for ${request.specId}`);
          return { text: JSON.stringify({ files, notes: '' }), usage: NO_USAGE, model: 'canned-model' };
        },
      };
      const result = await runPipeline({
        workspaceRoot: root,
        projects: [project],
        options: normalizeOptions(readPluginOptions(root) as SpecwrightPluginOptions),
        mode: 'write',
        only,
        provider,
        log: () => undefined,
      });
      if (!result.ok) throw new Error(`generation failed:\n${result.summary}\n${result.outcomes.map((o) => o.message ?? '').join('\n')}`);
    },
    lock: (projectRoot) => readLock(root, projectRoot),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
  // The tooling itself is the base commit (HUSKY=0: the documented escape hatch; nothing to check yet).
  must(git(['add', '-A']), 'git add');
  must(repo.commit('tooling', { env: { HUSKY: '0' } }), 'base commit');
  return repo;
}

export const DEMO = { name: 'demo', root: 'libs/demo' };
export const DEMO_SPEC = 'libs/demo/src/round.spec.yaml';
export const DEMO_OUTPUT = 'libs/demo/src/round.ts';
export const DEMO_LOCK = 'libs/demo/specwright.lock.json';

/** libs/demo with the round spec, generated by the pipeline (not yet reviewed, nothing staged). */
export async function withDemoLib(repo: HookRepo): Promise<void> {
  repo.write('libs/demo/package.json', PACKAGE_JSON('demo'));
  repo.write(DEMO_SPEC, ROUND_SPEC);
  await repo.generate(DEMO, { 'demo/round': [{ path: 'round.ts', content: ROUND_IMPL }] });
}
