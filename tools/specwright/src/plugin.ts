import { createNodesFromFiles, type CreateNodes, type CreateNodesContext, type TargetConfiguration } from '@nx/devkit';
import { PluginCache } from '@nx/devkit/internal';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, posix, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { owningProjectRoot, SPEC_FILE_GLOB } from './discover';
import { toPosix } from './fs-utils';
import { LOCK_FILE_NAME } from './lock';
import { normalizeOptions, type NormalizedOptions, type SpecwrightPluginOptions } from './options';

export type { SpecwrightPluginOptions } from './options';

/** What createNodes needs from a spec: read cheaply, cached by content hash, never an error (the executor reports those). */
interface SpecSummary {
  id?: string;
  /** Project-relative paths. */
  outputs: string[];
  types?: string;
  tests: string[];
}

/** The plugin's own source, so that changing the plugin invalidates cached results (Nx does not hash local executors). */
type TargetInputs = NonNullable<TargetConfiguration['inputs']>;

const PLUGIN_SOURCE_INPUTS = (workspaceRoot: string): TargetInputs => {
  const pluginRoot = toPosix(relative(workspaceRoot, join(__dirname, '..')));
  // Installed from a registry: the package's version stands for its code (Nx hashes external dependencies by version).
  return pluginRoot.startsWith('..') || pluginRoot.split('/').includes('node_modules')
    ? [{ externalDependencies: ['@specwright/nx'] }]
    : [
        `{workspaceRoot}/${pluginRoot}/src/**/*`,
        `{workspaceRoot}/${pluginRoot}/bin/**/*`,
        `{workspaceRoot}/${pluginRoot}/*.json`,
        `!{workspaceRoot}/${pluginRoot}/src/**/*.test.ts`,
        `!{workspaceRoot}/${pluginRoot}/src/**/__fixtures__/**`,
      ];
};

export const createNodes: CreateNodes<SpecwrightPluginOptions> = [
  SPEC_FILE_GLOB,
  async (specFiles, rawOptions, context) => {
    const options = normalizeOptions(rawOptions);
    const cache = new PluginCache<SpecSummary>(join(workspaceDataDirectory(context.workspaceRoot), 'specwright-specs.hash'));
    const byProject = new Map<string, string[]>();
    for (const file of specFiles) {
      if (file.split('/').includes('node_modules')) continue;
      const root = owningProjectRoot(context.workspaceRoot, file);
      const files = byProject.get(root);
      if (files) files.push(file);
      else byProject.set(root, [file]);
    }
    // One result per project root: createNodesFromFiles attributes it to the project's first spec file.
    const rootOfFirstFile = new Map([...byProject].map(([root, files]) => [files[0] as string, root]));
    try {
      return await createNodesFromFiles(
        (file, _options, ctx) => {
          const root = rootOfFirstFile.get(file) as string;
          const summaries = (byProject.get(root) ?? []).map((specFile) => summarize(ctx.workspaceRoot, specFile, root, cache));
          return { projects: { [root]: { root, targets: inferTargets(root, summaries, options, ctx) } } };
        },
        [...rootOfFirstFile.keys()],
        rawOptions,
        context,
      );
    } finally {
      cache.writeToDisk();
    }
  },
];

/**
 * Nx's workspace data folder, computed as Nx does: `workspaceDataDirectory` is exported from @nx/devkit/internal only
 * since Nx 23.3, and the plugin supports every Nx 23.
 */
function workspaceDataDirectory(workspaceRoot: string): string {
  const fromEnv = process.env.NX_WORKSPACE_DATA_DIRECTORY ?? process.env.NX_PROJECT_GRAPH_CACHE_DIRECTORY;
  return fromEnv ? resolve(workspaceRoot, fromEnv) : join(workspaceRoot, '.nx', 'workspace-data');
}

/** Older Nx versions look for this name. */
export const createNodesV2 = createNodes;

function summarize(workspaceRoot: string, specFile: string, projectRoot: string, cache: PluginCache<SpecSummary>): SpecSummary {
  let source: string;
  try {
    source = readFileSync(join(workspaceRoot, specFile), 'utf8');
  } catch {
    return { outputs: [], tests: [] };
  }
  const key = `${specFile}:${createHash('sha1').update(source).digest('hex')}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const summary = summarizeSource(source, specFile, projectRoot);
  cache.set(key, summary);
  return summary;
}

function summarizeSource(source: string, specFile: string, projectRoot: string): SpecSummary {
  let data: Record<string, unknown>;
  try {
    const parsed = parse(source, { maxAliasCount: 50 }) as unknown;
    if (!parsed || typeof parsed !== 'object') return { outputs: [], tests: [] };
    data = parsed as Record<string, unknown>;
  } catch {
    return { outputs: [], tests: [] };
  }
  const specDir = posix.dirname(specFile);
  const inProject = (value: unknown): string | undefined => {
    if (typeof value !== 'string' || value.startsWith('/')) return undefined;
    const resolved = posix.relative(projectRoot, posix.normalize(posix.join(specDir, value)));
    return resolved.startsWith('..') ? undefined : resolved;
  };
  const list = (value: unknown) => (Array.isArray(value) ? value.map(inProject).filter((v): v is string => v !== undefined) : []);
  const types = inProject(data.types);
  return {
    ...(typeof data.id === 'string' ? { id: data.id } : {}),
    outputs: list(data.outputs),
    tests: list(data.tests),
    ...(types ? { types } : {}),
  };
}

function inferTargets(projectRoot: string, specs: SpecSummary[], options: NormalizedOptions, context: CreateNodesContext): Record<string, TargetConfiguration> {
  const inProject = (path: string) => `{projectRoot}/${path}`;
  const outputs = [...new Set(specs.flatMap((spec) => spec.outputs))].sort().map(inProject);
  const types = [...new Set(specs.flatMap((spec) => (spec.types ? [spec.types] : [])))].sort().map(inProject);
  const tests = [...new Set(specs.flatMap((spec) => spec.tests))].sort().map(inProject);
  const recordings = specs.flatMap((spec) => (spec.id ? [`{workspaceRoot}/${options.recordingsDir}/${spec.id.replace(/\//g, '__')}/**/*`] : []));
  const lock = inProject(LOCK_FILE_NAME);
  const pluginSource = PLUGIN_SOURCE_INPUTS(context.workspaceRoot);
  // Outputs are inputs too: a hand edit changes the hash, so a cache hit can never restore over it.
  const specInputs = [inProject('**/*.spec.yaml'), lock, ...types, ...outputs, '^default'];
  const pluginOptions = {
    provider: options.provider,
    model: options.model,
    temperature: options.temperature,
    timeoutMs: options.timeoutMs,
    maxRetries: options.maxRetries,
    maxAttempts: options.maxAttempts,
    concurrency: options.concurrency,
    recordingsDir: options.recordingsDir,
    maxOutputTokens: options.maxOutputTokens,
    // Only when set, so the targets of a workspace that does not use them stay as they were.
    ...(options.seed !== null ? { seed: options.seed } : {}),
    ...(options.azureEndpoint ? { azureEndpoint: options.azureEndpoint, azureDeployment: options.azureDeployment, azureApiVersion: options.azureApiVersion } : {}),
  };
  const executor = (name: string) => `@specwright/nx:${name}`;
  return {
    [options.generateTargetName]: {
      executor: executor('generate-from-spec'),
      options: pluginOptions,
      cache: true,
      inputs: [...specInputs, ...recordings, ...pluginSource, { env: 'SPECWRIGHT_PROVIDER' }, { env: 'OPENAI_BASE_URL' }],
      outputs: [...outputs, lock],
      dependsOn: [`^${options.generateTargetName}`],
      // `-c ci` in CI: one `nx affected -t generate-from-spec review-spec verify-spec test -c ci` checks everything.
      configurations: { ci: { check: true } },
      metadata: {
        technologies: ['specwright'],
        description: `Regenerates the stale specs of ${projectRoot} through the model (${options.model}); --check lists what is stale without calling it`,
        help: {
          command: `npx specwright generate --help`,
          example: { options: { check: true } },
        },
      },
    },
    [options.verifyTargetName]: {
      executor: executor('verify-spec'),
      options: pluginOptions,
      cache: true,
      inputs: [...specInputs, ...tests, inProject('**/*.ts'), '^default', ...pluginSource],
      outputs: [],
      metadata: {
        technologies: ['specwright'],
        description: `Runs every gate (types, contracts, examples, properties, safety, tests) on the committed generated files of ${projectRoot}, without a model`,
        help: { command: 'npx specwright verify --help', example: { options: { spec: '<spec-id>' } } },
      },
    },
    [options.reviewTargetName]: {
      executor: executor('review-spec'),
      options: pluginOptions,
      // Interactive and --approve runs write review records into the lock; --check is cheap. Never cached.
      cache: false,
      configurations: { ci: { check: true } },
      inputs: [...specInputs, '{workspaceRoot}/specs/policy.yaml', ...pluginSource],
      outputs: [],
      metadata: {
        technologies: ['specwright'],
        description: `Lists the unreviewed generated outputs of ${projectRoot}, shows each diff since its last approved version and records approvals in the lock; --check fails on anything stale, drifted, missing, unreviewed or refused by specs/policy.yaml (for CI)`,
        help: { command: 'npx specwright review --help', example: { options: { check: true } } },
      },
    },
  };
}
