import {
  createNodesFromFiles,
  DependencyType,
  validateDependency,
  type CreateDependencies,
  type CreateNodes,
  type CreateNodesContext,
  type RawProjectGraphDependency,
  type TargetConfiguration,
} from '@nx/devkit';
import { PluginCache } from '@nx/devkit/internal';
import { join, relative } from 'node:path';
import { owningProjectRoot, SPEC_FILE_GLOB, SPEC_FILE_SUFFIX } from './discover';
import { toPosix } from './fs-utils';
import { LOCK_FILE_NAME } from './lock';
import { normalizeOptions, type NormalizedOptions, type SpecwrightPluginOptions } from './options';
import { closesCycle, indexSpecs, projectEdges, summarizeSpecFile, summaryCacheFile, type IndexedSpec, type SpecSummary } from './spec-index';

export type { SpecwrightPluginOptions } from './options';

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
    const cache = new PluginCache<SpecSummary>(summaryCacheFile(context.workspaceRoot));
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
          const summaries = (byProject.get(root) ?? []).map((specFile) => summarizeSpecFile(ctx.workspaceRoot, specFile, root, cache));
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

/** Older Nx versions look for this name. */
export const createNodesV2 = createNodes;

/**
 * `dependsOn` as Nx project edges: a spec that depends on a spec of another project makes its project depend on that
 * one (a static dependency whose source file is the spec), so `^generate-from-spec` regenerates the dependency's
 * specs first and `nx affected` follows spec edges. Only the spec files Nx says changed are reported: Nx keeps the
 * edges of unchanged files from its cache. An edge that would close a cycle of projects is left out, so that the run
 * reaches the loader and the cycle is reported as one (see `closesCycle`). The edges only order tasks: the executors
 * find the specs a run needs through the spec index, so an edge Nx has not (re)computed yet never hides a spec id.
 */
export const createDependencies: CreateDependencies<SpecwrightPluginOptions> = (_options, context) => {
  const cache = new PluginCache<SpecSummary>(summaryCacheFile(context.workspaceRoot));
  try {
    const nameOfRoot = new Map(Object.entries(context.projects).map(([name, project]) => [project.root, name]));
    const specFilesOf = (projectFileMap: Record<string, { file: string }[]>) =>
      Object.entries(projectFileMap).flatMap(([name, files]) => {
        const projectRoot = context.projects[name]?.root;
        if (projectRoot === undefined) return [];
        return files.filter(({ file }) => file.endsWith(SPEC_FILE_SUFFIX) && !file.split('/').includes('node_modules')).map(({ file }) => ({ file, projectRoot }));
      });
    const index: IndexedSpec[] = indexSpecs(context.workspaceRoot, specFilesOf(context.fileMap.projectFileMap), cache);
    const edges = projectEdges(index);
    const changed = new Set(specFilesOf(context.filesToProcess.projectFileMap).map(({ file }) => file));
    const dependencies: RawProjectGraphDependency[] = [];
    for (const edge of edges) {
      if (!changed.has(edge.sourceFile) || closesCycle(edges, edge)) continue;
      const source = nameOfRoot.get(edge.source);
      const target = nameOfRoot.get(edge.target);
      if (source === undefined || target === undefined) continue;
      const dependency: RawProjectGraphDependency = { source, target, sourceFile: edge.sourceFile, type: DependencyType.static };
      try {
        validateDependency(dependency, context);
        dependencies.push(dependency);
      } catch {
        // A file Nx does not attribute to the source project (nested roots, ignored files): no edge rather than no graph.
      }
    }
    return dependencies;
  } finally {
    cache.writeToDisk();
  }
};

function inferTargets(projectRoot: string, specs: SpecSummary[], options: NormalizedOptions, context: CreateNodesContext): Record<string, TargetConfiguration> {
  const inProject = (path: string) => `{projectRoot}/${path}`;
  const outputs = [...new Set(specs.flatMap((spec) => spec.outputs))].sort().map(inProject);
  const types = [...new Set(specs.flatMap((spec) => (spec.types ? [spec.types] : [])))].sort().map(inProject);
  const tests = [...new Set(specs.flatMap((spec) => spec.tests))].sort().map(inProject);
  // One glob for the project's recordings, not one per spec: Nx matches each workspace-level glob against every file
  // of the workspace, for every task (50 projects × 20 specs made hashing ~1 s of a check).
  const recordingFolders = specs.flatMap((spec) => (spec.id ? [spec.id.replace(/\//g, '__')] : []));
  const recordings = recordingFolders.length === 0 ? [] : [`{workspaceRoot}/${options.recordingsDir}/${recordingFolders.length === 1 ? recordingFolders[0] : `{${recordingFolders.join(',')}}`}/**/*`];
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
