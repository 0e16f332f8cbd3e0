import { getProjects, joinPathFragments, logger, readNxJson, visitNotIgnoredFiles, type ProjectConfiguration, type Tree } from '@nx/devkit';
import { posix } from 'node:path';
import { SpecwrightError } from '../../errors';
import { generateFix, type TargetNames } from '../../fix-commands';
import { normalizeOptions, type SpecwrightPluginOptions } from '../../options';
import { checkGenerationAllowed, parsePolicy, POLICY_FILE } from '../../review/policy';
import { PLUGIN_PACKAGE, pluginDirIn } from '../plugin-location';
import { specYaml, testFile } from './files';

export interface SpecGeneratorSchema {
  /** The spec id (`money/allocate`) or just its last segment (`allocate`, with --project). */
  name: string;
  project?: string;
  /** Folder of the spec inside the project; default: the project's sourceRoot, else `src`. */
  directory?: string;
  /** The exported function; default: the camelCased last segment of the id. */
  exportName?: string;
  description?: string;
  /** `test` → allocate.test.ts, `spec` → allocate.spec.ts; default: what the project already uses. */
  testSuffix?: 'test' | 'spec';
  skipTest?: boolean;
}

const ID_SEGMENT = /^[a-z0-9][a-z0-9-]*$/;

function fail(message: string, fix: string): never {
  throw new SpecwrightError(message, { fix, code: 'GENERATOR_INPUT' });
}

/** `rate-limit` → `rateLimit`. */
export function camelCase(segment: string): string {
  const camel = segment.replace(/-+([a-z0-9])/g, (_, next: string) => next.toUpperCase());
  return /^[0-9]/.test(camel) ? `_${camel}` : camel;
}

/** The spec id's segments: lowercase letters, digits and hyphens, joined by `/`. */
export function toSpecSegments(raw: string): string[] {
  return raw
    .trim()
    .replace(/\\/g, '/')
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) =>
      segment
        .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, '-')
        .replace(/^-+|-+$/g, ''),
    );
}

function resolveProject(tree: Tree, options: SpecGeneratorSchema, segments: string[]): { name: string; config: ProjectConfiguration } {
  const projects = getProjects(tree);
  const wanted = options.project ?? (segments.length > 1 ? segments[0] : undefined);
  const names = [...projects.keys()].sort();
  if (!wanted) fail(`which project holds spec "${options.name}"?`, `pass --project <name> (one of: ${names.join(', ') || 'none yet'}), or create one: nx g ${PLUGIN_PACKAGE}:project <name>`);
  const config = projects.get(wanted);
  if (!config) fail(`no project named "${wanted}"`, `pass --project with one of: ${names.join(', ') || '(none yet)'}; or create it: nx g ${PLUGIN_PACKAGE}:project ${wanted}`);
  return { name: wanted, config };
}

/** `spec` when the project's tests are all *.spec.ts (Nx's generators), `test` otherwise. */
function detectTestSuffix(tree: Tree, projectRoot: string): 'test' | 'spec' {
  let specStyle = 0;
  let testStyle = 0;
  visitNotIgnoredFiles(tree, projectRoot, (file) => {
    if (/\.spec\.[cm]?[jt]sx?$/.test(file)) specStyle++;
    else if (/\.test\.[cm]?[jt]sx?$/.test(file)) testStyle++;
  });
  return specStyle > testStyle ? 'spec' : 'test';
}

/** spec.schema.json for `$schema`: the workspace's own copy when it has one (this template), else the package's. */
function schemaFile(tree: Tree): string {
  return tree.exists('specs/spec.schema.json') ? 'specs/spec.schema.json' : `${pluginDirIn(tree.root)}/spec.schema.json`;
}

/**
 * `nx g @specwright/nx:spec money/allocate --project money`: a commented spec skeleton that is valid as written,
 * and a vitest file the generated code must pass. Refuses to overwrite anything.
 */
export async function specGenerator(tree: Tree, options: SpecGeneratorSchema): Promise<void> {
  const segments = toSpecSegments(options.name ?? '');
  if (segments.length === 0 || !segments.every((segment) => ID_SEGMENT.test(segment))) {
    fail(`"${options.name}" is not a spec id`, 'use lowercase letters, digits and hyphens, with "/" between parts, e.g. money/allocate');
  }
  const project = resolveProject(tree, options, segments);
  const id = segments.length > 1 ? segments.join('/') : `${project.name.replace(/^@[^/]+\//, '').toLowerCase().replace(/[^a-z0-9-]+/g, '-')}/${segments[0]}`;
  const last = segments[segments.length - 1] as string;
  const exportName = options.exportName ?? camelCase(last);
  if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(exportName)) fail(`"${exportName}" is not a JavaScript identifier`, 'pass --exportName with a valid function name');

  const root = project.config.root;
  const sourceRoot = project.config.sourceRoot ?? joinPathFragments(root, 'src');
  const directory = options.directory ? joinPathFragments(root, options.directory) : sourceRoot;
  if (directory !== root && !directory.startsWith(`${root === '.' ? '' : `${root}/`}`)) fail(`--directory ${options.directory} leaves project ${project.name}`, `pass a folder inside ${root}`);
  const specFile = joinPathFragments(directory, `${last}.spec.yaml`);
  const outputFile = joinPathFragments(directory, `${last}.ts`);
  const suffix = options.testSuffix ?? detectTestSuffix(tree, root);
  const test = options.skipTest ? undefined : `${last}.${suffix}.ts`;

  for (const file of [specFile, outputFile, ...(test ? [joinPathFragments(directory, test)] : [])]) {
    if (tree.exists(file)) fail(`${file} already exists`, `choose another name, or edit ${specFile} if the spec is already there`);
  }
  const duplicate = findSpecWithId(tree, id);
  if (duplicate) fail(`spec id "${id}" is already used by ${duplicate}`, 'spec ids are unique in the workspace: choose another name');

  const schemaPath = posix.relative(directory, schemaFile(tree));
  const targets = targetNamesIn(tree);
  tree.write(specFile, specYaml({ id, name: last, exportName, description: options.description, schemaPath, specFile, project: project.name, testFile: test, targets }));
  if (test) tree.write(joinPathFragments(directory, test), testFile({ id, name: last, exportName, schemaPath, specFile, project: project.name, testFile: test, targets }));

  warnAboutPolicy(tree, outputFile);
  if (!readNxJson(tree)?.plugins?.some((entry) => (typeof entry === 'string' ? entry : entry.plugin) === PLUGIN_PACKAGE)) {
    logger.warn(`@specwright/nx is not registered in nx.json, so Nx infers no ${targets.generateTargetName} target: run \`nx g ${PLUGIN_PACKAGE}:init\`.`);
  }
  logger.info(`Next: describe ${exportName} in ${specFile}, then \`${generateFix(targets, { project: project.name })}\` and \`npx specwright review --project ${project.name}\`.`);
}

export default specGenerator;

/** The target names configured in the tree's nx.json (the generator sees the tree, not the disk), else the defaults. */
function targetNamesIn(tree: Tree): TargetNames {
  const entry = readNxJson(tree)?.plugins?.find((candidate) => typeof candidate === 'object' && candidate.plugin === PLUGIN_PACKAGE);
  const configured = typeof entry === 'object' && entry.options && typeof entry.options === 'object' ? (entry.options as SpecwrightPluginOptions) : {};
  return normalizeOptions(configured);
}

function findSpecWithId(tree: Tree, id: string): string | undefined {
  let found: string | undefined;
  const pattern = new RegExp(`^id:\\s*["']?${id.replace(/[/-]/g, '\\$&')}["']?\\s*(#.*)?$`, 'm');
  visitNotIgnoredFiles(tree, '', (file) => {
    if (!found && file.endsWith('.spec.yaml') && !file.includes('node_modules/') && pattern.test(tree.read(file, 'utf8') ?? '')) found = file;
  });
  return found;
}

/** The policy would refuse the new output: say so now, with the fix, instead of at the first generation. */
function warnAboutPolicy(tree: Tree, outputFile: string): void {
  const source = tree.read(POLICY_FILE, 'utf8');
  if (source === null) return;
  try {
    for (const finding of checkGenerationAllowed(parsePolicy(source, POLICY_FILE), [outputFile])) logger.warn(`${finding.message}\n  fix: ${finding.fix}`);
  } catch (error) {
    logger.warn(`${POLICY_FILE} could not be read: ${(error as Error).message}`);
  }
}
