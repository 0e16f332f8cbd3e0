import {
  addDependenciesToPackageJson,
  detectPackageManager,
  getPackageManagerCommand,
  getProjects,
  installPackagesTask,
  logger,
  readJson,
  readNxJson,
  updateJson,
  updateNxJson,
  writeJson,
  type GeneratorCallback,
  type Tree,
} from '@nx/devkit';
import { posix } from 'node:path';
import { POLICY_FILE } from '../../review/policy';
import { hookCommand, isSpecwrightHookLine, PLUGIN_PACKAGE, pluginDirIn } from '../plugin-location';
import { ciWorkflow, GITIGNORE_ENTRIES, HOOK_COMMENT, policyYaml } from './files';

export interface InitGeneratorSchema {
  skipNxJson?: boolean;
  skipPolicy?: boolean;
  skipEditorSchema?: boolean;
  skipHook?: boolean;
  skipGitignore?: boolean;
  skipCi?: boolean;
  /** Leave package.json alone: no husky/vitest devDependencies, no `prepare` script, no install. */
  skipPackageJson?: boolean;
  skipInstall?: boolean;
  /** Passed by `nx add`: keep the versions of packages the workspace already has. */
  keepExistingVersions?: boolean;
  ciWorkflowPath?: string;
}

/** The versions `init` adds when a workspace lacks them (the ones Specwright is tested with). */
export const HUSKY_VERSION = '^9.1.7';
export const VITEST_VERSION = '^4.0.0';
const HOOK_FILE = '.husky/pre-commit';
const VSCODE_SETTINGS = '.vscode/settings.json';
const VSCODE_EXTENSIONS = '.vscode/extensions.json';
const YAML_EXTENSION = 'redhat.vscode-yaml';
const DEFAULT_WORKFLOW = '.github/workflows/specwright.yml';

/**
 * What `nx add @specwright/nx` runs. Every step looks before it writes and writes only what is missing, so running
 * it again changes nothing; each step has a `skip…` option.
 */
export async function initGenerator(tree: Tree, options: InitGeneratorSchema = {}): Promise<GeneratorCallback> {
  const pluginDir = pluginDirIn(tree.root);
  const done: string[] = [];
  if (!options.skipNxJson && registerPlugin(tree)) done.push('registered @specwright/nx in nx.json');
  if (!options.skipPolicy && writePolicy(tree, pluginDir)) done.push(`wrote ${POLICY_FILE}`);
  if (!options.skipEditorSchema && associateSchema(tree, pluginDir)) done.push(`associated *.spec.yaml with the spec schema in ${VSCODE_SETTINGS}`);
  if (!options.skipGitignore && ignoreRunFiles(tree)) done.push('added Specwright run files to .gitignore');
  if (!options.skipCi && writeWorkflow(tree, options.ciWorkflowPath ?? DEFAULT_WORKFLOW)) done.push(`wrote ${options.ciWorkflowPath ?? DEFAULT_WORKFLOW}`);
  if (!options.skipHook && installHookLine(tree, pluginDir)) done.push(`added the pre-commit check to ${HOOK_FILE}`);

  const tasks: GeneratorCallback[] = [];
  if (!options.skipPackageJson && tree.exists('package.json')) {
    const before = tree.read('package.json', 'utf8');
    const devDependencies: Record<string, string> = {};
    if (!options.skipHook && !hasDependency(tree, 'husky')) devDependencies.husky = HUSKY_VERSION;
    // The tests gate runs the workspace's vitest; spec skeletons come with a vitest test file.
    if (!hasDependency(tree, 'vitest')) devDependencies.vitest = VITEST_VERSION;
    if (Object.keys(devDependencies).length > 0) tasks.push(addDependenciesToPackageJson(tree, {}, devDependencies, 'package.json', options.keepExistingVersions));
    const addedPrepare = !options.skipHook && addPrepareScript(tree);
    if (tree.read('package.json', 'utf8') !== before) {
      done.push(`package.json: ${[...Object.keys(devDependencies).map((name) => `devDependency ${name}`), ...(addedPrepare ? ['the husky `prepare` script'] : [])].join(', ')}`);
      if (!options.skipInstall) tasks.push(() => installPackagesTask(tree, true));
    }
  }

  return async () => {
    for (const task of tasks) await task();
    logger.info(done.length > 0 ? `Specwright: ${done.join('; ')}.` : 'Specwright: already set up, nothing to change.');
    logger.info('Next: `nx g @specwright/nx:spec <project>/<name> --project <project>` writes a spec to start from; `npx specwright --help` lists the commands.');
  };
}

export default initGenerator;

function registerPlugin(tree: Tree): boolean {
  const nxJson = readNxJson(tree) ?? {};
  const plugins = nxJson.plugins ?? [];
  if (plugins.some((entry) => (typeof entry === 'string' ? entry : entry.plugin) === PLUGIN_PACKAGE)) return false;
  nxJson.plugins = [...plugins, { plugin: PLUGIN_PACKAGE, options: { provider: 'auto', model: 'gpt-4.1-mini' } }];
  updateNxJson(tree, nxJson);
  return true;
}

/** The source folders of the workspace's projects (`libs/*\/src/**` …), plus libs/ for projects yet to come. */
function generatedGlobs(tree: Tree): string[] {
  const globs = new Set<string>();
  for (const project of getProjects(tree).values()) {
    if (project.root === '.' || project.root === '') continue;
    const parent = posix.dirname(project.root);
    globs.add(parent === '.' ? `${project.root}/src/**` : `${parent}/*/src/**`);
  }
  const nxJson = readNxJson(tree);
  globs.add(`${nxJson?.workspaceLayout?.libsDir ?? 'libs'}/*/src/**`);
  return [...globs].sort();
}

function writePolicy(tree: Tree, pluginDir: string): boolean {
  if (tree.exists(POLICY_FILE)) return false;
  tree.write(POLICY_FILE, policyYaml(pluginDir, generatedGlobs(tree)));
  return true;
}

/** yaml-language-server (VS Code's YAML extension) validates and completes specs against the schema. */
function associateSchema(tree: Tree, pluginDir: string): boolean {
  let changed = false;
  const settings: Record<string, unknown> = tree.exists(VSCODE_SETTINGS) ? readJson(tree, VSCODE_SETTINGS) : {};
  const schemas = (settings['yaml.schemas'] ?? {}) as Record<string, string | string[]>;
  const covers = (pattern: string) => Object.values(schemas).some((value) => (Array.isArray(value) ? value : [value]).includes(pattern));
  if (!covers('**/*.spec.yaml')) {
    schemas[`./${pluginDir}/spec.schema.json`] = ['**/*.spec.yaml'];
    changed = true;
  }
  if (!covers(POLICY_FILE)) {
    schemas[`./${pluginDir}/policy.schema.json`] = [POLICY_FILE];
    changed = true;
  }
  if (changed) writeJson(tree, VSCODE_SETTINGS, { ...settings, 'yaml.schemas': schemas });
  const extensions: { recommendations?: string[] } = tree.exists(VSCODE_EXTENSIONS) ? readJson(tree, VSCODE_EXTENSIONS) : {};
  if (!(extensions.recommendations ?? []).includes(YAML_EXTENSION)) {
    writeJson(tree, VSCODE_EXTENSIONS, { ...extensions, recommendations: [...(extensions.recommendations ?? []), YAML_EXTENSION] });
    changed = true;
  }
  return changed;
}

function ignoreRunFiles(tree: Tree): boolean {
  const current = tree.exists('.gitignore') ? (tree.read('.gitignore', 'utf8') ?? '') : '';
  const present = new Set(current.split(/\r?\n/).map((line) => line.trim()));
  const missing = GITIGNORE_ENTRIES.filter((entry) => !present.has(entry));
  if (missing.length === 0) return false;
  const separator = current === '' || current.endsWith('\n') ? '' : '\n';
  tree.write('.gitignore', `${current}${separator}${current === '' ? '' : '\n'}# Specwright: backups, temp files and run locks of generate-from-spec\n${missing.join('\n')}\n`);
  return true;
}

function writeWorkflow(tree: Tree, path: string): boolean {
  if (tree.exists(path)) return false;
  const packageManager = detectPackageManager(tree.root);
  const commands = getPackageManagerCommand(packageManager, tree.root);
  const nxJson = readNxJson(tree);
  tree.write(path, ciWorkflow({ packageManager, installCommand: commands.ciInstall, execCommand: commands.exec, defaultBranch: nxJson?.defaultBase ?? 'main' }));
  return true;
}

/** Adds the Specwright line to .husky/pre-commit, keeping every line already there. */
function installHookLine(tree: Tree, pluginDir: string): boolean {
  const current = tree.exists(HOOK_FILE) ? (tree.read(HOOK_FILE, 'utf8') ?? '') : '';
  if (current.split(/\r?\n/).some(isSpecwrightHookLine)) return false;
  const separator = current === '' || current.endsWith('\n') ? '' : '\n';
  const block = [...HOOK_COMMENT, hookCommand(pluginDir)].join('\n');
  tree.write(HOOK_FILE, `${current}${separator}${current === '' ? '' : '\n'}${block}\n`);
  // Git runs hooks only when they are executable (husky 9 runs them through sh, but a plain core.hooksPath does not).
  tree.changePermissions(HOOK_FILE, '755');
  return true;
}

function hasDependency(tree: Tree, name: string): boolean {
  const json = readJson<{ dependencies?: Record<string, string>; devDependencies?: Record<string, string> }>(tree, 'package.json');
  return !!(json.dependencies?.[name] ?? json.devDependencies?.[name]);
}

/** husky 9 installs its hooks from the `prepare` script (`npm install` runs it). */
function addPrepareScript(tree: Tree): boolean {
  const prepare = readJson<{ scripts?: Record<string, string> }>(tree, 'package.json').scripts?.prepare;
  if (prepare && /\bhusky\b/.test(prepare)) return false;
  updateJson<{ scripts?: Record<string, string> }>(tree, 'package.json', (json) => ({ ...json, scripts: { ...json.scripts, prepare: prepare ? `${prepare} && husky` : 'husky' } }));
  return true;
}
