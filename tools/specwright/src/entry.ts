import type { ExecutorContext } from '@nx/devkit';
import { positiveInteger, UsageError } from './cli-support';
import { discoverSpecFiles, discoverSpecProjects, projectNameOf } from './discover';
import type { ProjectRef } from './load';
import type { RunMode } from './run';
import { PLUGIN_OPTION_NAMES, validatePluginOptions, type NormalizedOptions } from './options';
import { dependencyClosure, indexSpecs, readSummaryCache, summaryCacheFile, type IndexedSpec } from './spec-index';
import { PLUGIN_PACKAGE, readPluginOptionsEntry } from './workspace';

/**
 * The entry layer: where an invocation — `specwright <command> …` or an Nx executor with its options and context —
 * becomes what the pipeline needs: the validated plugin options (nx.json read and checked here, by one function),
 * the projects to work on, and the run flags (force, only, check, json …), kept apart from the options. Bad values
 * are errors naming where they came from and how to set them right, never silently a default.
 */

/** The workspace's plugin options: nx.json's, checked, defaults filled in. */
export function workspaceOptions(workspaceRoot: string): NormalizedOptions {
  const { raw, origin } = readPluginOptionsEntry(workspaceRoot);
  return validatePluginOptions(raw, origin);
}

/** Which projects a command may name: those holding specs, or (review) also those holding only a lock. */
export type ProjectSet = 'specs' | 'specs-or-locks';

export interface ProjectSelection {
  /** The projects named (all of the set when none is). */
  projects: ProjectRef[];
  /** The rest of the set: loaded only so that dependencies resolve. */
  others: ProjectRef[];
}

/** The projects holding specs (what the CLI's commands work on, and load for dependencies). */
export function specProjects(workspaceRoot: string): ProjectRef[] {
  return [...discoverSpecProjects(workspaceRoot).keys()].map((root) => ({ root, name: projectNameOf(workspaceRoot, root) }));
}

/** Every project of the set, in the order discovery finds them. */
export async function workspaceProjects(workspaceRoot: string, set: ProjectSet = 'specs'): Promise<ProjectRef[]> {
  // The review state module is loaded only by the commands that need it.
  if (set === 'specs-or-locks') return (await import('./review/state')).allReviewProjects(workspaceRoot);
  return specProjects(workspaceRoot);
}

/** The one `--project` selection: the named projects (an unknown name is a usage error listing the known ones). */
export async function selectProjects(workspaceRoot: string, command: string, wanted: readonly string[], set: ProjectSet = 'specs'): Promise<ProjectSelection> {
  const all = await workspaceProjects(workspaceRoot, set);
  const unknown = wanted.filter((name) => !all.some((project) => project.name === name));
  if (unknown.length > 0) {
    throw new UsageError(`unknown project(s) ${unknown.join(', ')}; projects with specs${set === 'specs-or-locks' ? ' or locks' : ''}: ${all.map((p) => p.name).join(', ') || '(none)'}`, command);
  }
  const projects = wanted.length > 0 ? all.filter((project) => wanted.includes(project.name)) : all;
  return { projects, others: all.filter((project) => !projects.includes(project)) };
}

/** `--spec a,b --spec c` / `spec: "a,b"` / `spec: ["a"]` → spec ids. */
export function specIds(spec: unknown): string[] {
  if (spec === undefined || spec === null) return [];
  return (Array.isArray(spec) ? spec : [spec]).flatMap((value) => String(value).split(',')).map((id) => id.trim()).filter(Boolean);
}

/**
 * The run flags of a pipeline run (`generate`/`check`/`dry-run`, `nx generate-from-spec`): what this run does, as
 * opposed to the plugin options (how generation is configured). Built from CLI args or executor options below.
 */
export interface PipelineFlags {
  mode: RunMode;
  /** Regenerate fresh specs too, overwriting hand edits (after a backup). */
  force: boolean;
  /** Only these spec ids (all when empty). */
  only: string[];
  /** Run the code gates on candidates (off only for debugging). */
  gates: boolean;
  acceptBehaviourChange: string[];
  /** Overrides the `concurrency` option for this run. */
  concurrency?: number;
}

/** `specwright generate|check|dry-run` args (parsed by the command) → flags; a bad number is a usage error. */
export function cliPipelineFlags(
  command: string,
  mode: RunMode,
  values: { force?: boolean; spec?: string[]; concurrency?: string; 'no-gates'?: boolean; 'accept-behaviour-change'?: string[] },
): PipelineFlags {
  const concurrency = positiveInteger(command, 'concurrency', values.concurrency);
  return { mode, force: !!values.force, only: specIds(values.spec), gates: !values['no-gates'], acceptBehaviourChange: specIds(values['accept-behaviour-change']), ...(concurrency ? { concurrency } : {}) };
}

/** `nx generate-from-spec` options that are not plugin options → flags (`--check` wins over `--dryRun`). */
export function executorPipelineFlags(flags: { check?: boolean; dryRun?: boolean; force?: boolean; spec?: unknown; noGates?: boolean; acceptBehaviourChange?: unknown }): PipelineFlags {
  return {
    mode: flags.check ? 'check' : flags.dryRun ? 'dry-run' : 'write',
    force: !!flags.force,
    only: specIds(flags.spec),
    gates: !flags.noGates,
    acceptBehaviourChange: specIds(flags.acceptBehaviourChange),
  };
}

/** What an executor runs with, resolved from its options and context. */
export interface ExecutorInvocation<Flags> {
  workspaceRoot: string;
  project: ProjectRef;
  /** The projects whose specs the project's specs depend on, transitively, across the whole workspace. */
  dependencies: ProjectRef[];
  /** nx.json's plugin options, overridden by the target's (project.json, target defaults, the command line). */
  options: NormalizedOptions;
  /** Everything in the executor's options that is not a plugin option. */
  flags: Flags;
}

/**
 * An executor's invocation. Nx hands an executor its target's options only, which carry just some plugin options
 * (plugin.ts puts the model settings there); the rest — the configured target names above all, which fix commands
 * name — come from nx.json, read through the same function as the CLI's.
 */
export function resolveExecutorInvocation<Flags>(rawOptions: object, context: ExecutorContext): ExecutorInvocation<Flags> {
  const target = `${context.projectName ?? '?'}:${context.targetName ?? '?'}`;
  const pluginRaw: Record<string, unknown> = {};
  const flags: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(rawOptions)) {
    if ((PLUGIN_OPTION_NAMES as string[]).includes(name)) pluginRaw[name] = value;
    else flags[name] = value;
  }
  const { raw: nxRaw, origin } = readPluginOptionsEntry(context.root);
  validatePluginOptions(nxRaw, origin);
  validatePluginOptions(pluginRaw, {
    where: `the options of ${target}`,
    setting: (name, value) => `pass --${name}=${value.replace(/^"|"$/g, '')}, or set it in the target's options (project.json or nx.json targetDefaults)`,
    rejectUnknown: false,
  });
  const options = validatePluginOptions({ ...nxRaw, ...pluginRaw }, { ...origin, rejectUnknown: false });
  const { project, dependencies } = projectsOf(context);
  return { workspaceRoot: context.root, project, dependencies, options, flags: flags as Flags };
}

/**
 * The spec index of a run, built once per project configuration: the tasks of an Nx batch share their context's
 * configuration object, so a batch over 50 projects walks and reads the workspace's specs once, not 50 times. (A run
 * writes outputs and locks, never specs, so the index cannot go stale within it.)
 */
const indexOfRun = new WeakMap<object, IndexedSpec[]>();

function workspaceSpecIndex(context: ExecutorContext, projectRoots: readonly string[]): IndexedSpec[] {
  const known = indexOfRun.get(context.projectsConfigurations);
  if (known) return known;
  const files = projectRoots.flatMap((projectRoot) => discoverSpecFiles(context.root, projectRoot).map((file) => ({ file, projectRoot })));
  // The plugin's summaries (written by createNodes in this Nx run) save re-reading YAML; read only, never written here.
  const index = indexSpecs(context.root, files, readSummaryCache(summaryCacheFile(context.root)));
  indexOfRun.set(context.projectsConfigurations, index);
  return index;
}

/**
 * The project an executor runs for and the projects its specs need: the transitive closure of `dependsOn` over
 * every spec of the workspace (the spec index), so a spec id resolves — and a cross-project cycle is reported as a
 * cycle — whether or not the Nx graph has the edge yet. The workspace's spec projects are the projects with a
 * Specwright target; the walk over each stops at nested projects, as the loader's does.
 */
export function projectsOf(context: ExecutorContext): { project: ProjectRef; dependencies: ProjectRef[] } {
  const name = context.projectName as string;
  const configured = context.projectsConfigurations.projects;
  const root = configured[name]?.root ?? '.';
  const nameOfRoot = new Map<string, string>();
  for (const [projectName, project] of Object.entries(configured)) {
    const usesSpecwright = Object.values(project.targets ?? {}).some((target) => target.executor?.startsWith(`${PLUGIN_PACKAGE}:`));
    if (usesSpecwright || projectName === name) nameOfRoot.set(project.root, projectName);
  }
  const closure = dependencyClosure(workspaceSpecIndex(context, [...nameOfRoot.keys()]), [root]);
  return {
    project: { name, root },
    dependencies: closure.map((dependencyRoot) => ({ name: nameOfRoot.get(dependencyRoot) ?? projectNameOf(context.root, dependencyRoot), root: dependencyRoot })),
  };
}

