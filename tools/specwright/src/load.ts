import { ContractResolver } from './contracts';
import { describeError, isSpecwrightError, SpecwrightError } from './errors';
import { fingerprintInOrder } from './fingerprint';
import { orderSpecs, positionOfText } from './graph';
import type { NormalizedOptions } from './options';
import { parseSpec } from './parse';
import { asTree, WorkingTree, type SourceTree } from './source-tree';
import { SpecYamlCache } from './spec-yaml-cache';
import type { FingerprintedSpec, ParsedSpec } from './types';

export interface ProjectRef {
  name: string;
  /** Workspace-relative root, `.` for the workspace root. */
  root: string;
}

export interface SpecFailure {
  file: string;
  error: SpecwrightError;
}

export interface LoadedWorkspace {
  /** Every valid spec of the loaded projects, dependencies before dependents. */
  specs: FingerprintedSpec[];
  /** Specs that could not be used, each with its own error; the others still run. */
  failures: SpecFailure[];
}

function asSpecwrightError(error: unknown, file: string): SpecwrightError {
  if (isSpecwrightError(error)) return error;
  return new SpecwrightError(describeError(error), { file, fix: 'report a bug with this spec attached', code: 'INTERNAL', cause: error });
}

export interface LoadOptions {
  /** The contract resolver to use (a run shares one); by default one over `tree.onDisk(...)`, kept per tree. */
  resolver?: ContractResolver;
  /** Only these spec files of the projects (e.g. a spec and its dependencies); all the projects' specs by default. */
  files?: readonly string[];
  /**
   * Whether a listed `tests`/`types` file that is not in the tree fails the spec (default: yes). The hook says no:
   * its parse results are cached by the spec's own blob id, so they must not depend on other files; it reports a
   * missing `types` file itself, with the `git add` that fixes it.
   */
  checkListedFiles?: boolean;
  /** Parsed specs by file, shared with the caller (the hook's summaries) so that a spec is parsed once. */
  parsed?: Map<string, ParsedSpec>;
  /**
   * What the specs' YAML reads as, remembered across runs by content (spec-yaml-cache.ts). By default a working
   * tree on disk uses the one under its node_modules/.cache; `false` parses every spec's YAML.
   */
  yamlCache?: SpecYamlCache | false;
}

/** The parse stage of loadSpecs for one file (the hook's summaries use it on a cache miss). Throws a SpecwrightError. */
export function parseTreeSpec(
  treeOrRoot: SourceTree | string,
  file: string,
  project: ProjectRef,
  settings: Pick<LoadOptions, 'checkListedFiles' | 'parsed' | 'yamlCache'> = {},
): ParsedSpec {
  const { checkListedFiles = true, parsed, yamlCache } = settings;
  const known = parsed?.get(file);
  if (known) return known;
  const tree = asTree(treeOrRoot);
  const source = tree.text(file);
  if (source === undefined) throw new SpecwrightError(`spec file ${file} is not in the ${tree.kind}`, { file, fix: `restore ${file}`, code: 'SPEC_MISSING' });
  const spec = parseSpec(source, { file, projectRoot: project.root, project: project.name }, {
    ...(checkListedFiles ? { fileExists: (path: string) => tree.has(path) } : {}),
    ...(yamlCache ? { knownYaml: yamlCache.known(file, project.root, source) } : {}),
  });
  parsed?.set(file, spec);
  return spec;
}

/** One contract resolver per tree and folder on disk, so its in-memory schema cache serves a whole run or hook. */
const resolvers = new WeakMap<SourceTree, Map<string, ContractResolver>>();
function resolverFor(tree: SourceTree, specs: readonly ParsedSpec[]): ContractResolver {
  const typesFiles = [...new Set(specs.flatMap((spec) => (spec.typesFile ? [spec.typesFile] : [])))];
  // Without `types` files the resolver never reads a file: no copy on disk is needed.
  const root = typesFiles.length === 0 ? '' : tree.onDisk(typesFiles, [...new Set(specs.map((spec) => spec.projectRoot))]);
  let byRoot = resolvers.get(tree);
  if (!byRoot) resolvers.set(tree, (byRoot = new Map()));
  let resolver = byRoot.get(root);
  if (!resolver) byRoot.set(root, (resolver = new ContractResolver(root)));
  return resolver;
}

/**
 * discover → parse → contracts → fingerprint for a set of projects of a source tree: the ONE path from spec files
 * to fingerprints, for the pipeline, review (working tree) and the pre-commit hook's cache misses (git index). A
 * spec that is broken fails alone (and the specs that depend on it); set-level problems — duplicate ids, unknown
 * dependencies, cycles — fail the load, because no fingerprint can be trusted while they stand. A workspace root
 * stands for its working tree; a ContractResolver as the last argument is `{ resolver }`.
 */
export function loadSpecs(treeOrRoot: SourceTree | string, projects: readonly ProjectRef[], options: NormalizedOptions, load: ContractResolver | LoadOptions = {}): LoadedWorkspace {
  const tree = asTree(treeOrRoot);
  const settings: LoadOptions = load instanceof ContractResolver ? { resolver: load } : load;
  const failures: SpecFailure[] = [];
  const parsed: ParsedSpec[] = [];
  const only = settings.files ? new Set(settings.files) : undefined;
  const specFiles = projects.flatMap((project) => tree.specFiles(project.root).filter((file) => !only || only.has(file)).map((file) => ({ file, project })));
  tree.prefetch(specFiles.map(({ file }) => file));
  const yamlCache = settings.yamlCache ?? (tree instanceof WorkingTree ? new SpecYamlCache(tree.root) : undefined);
  for (const { file, project } of specFiles) {
    try {
      // A listed test or types file that does not exist is a spec error now, not a failed gate after model calls.
      parsed.push(parseTreeSpec(tree, file, project, { ...settings, yamlCache }));
    } catch (error) {
      failures.push({ file, error: asSpecwrightError(error, file) });
    }
  }
  if (yamlCache && tree instanceof WorkingTree) yamlCache.save(tree.root);

  const failedFiles = new Set(failures.map((failure) => failure.file));
  // A dependency on a spec that failed to parse is not "unknown": the spec fails, naming its broken dependency.
  const parsedIds = new Set(parsed.map((spec) => spec.spec.id));
  const usable = dropDependentsOfFailures(parsed, failures, (id) => failedFiles.size > 0 && !parsedIds.has(id));
  const ordered = orderSpecs(usable);
  const resolved = [];
  const resolver = settings.resolver ?? resolverFor(tree, ordered);
  for (const spec of ordered) {
    try {
      resolved.push(resolver.resolve(spec));
    } catch (error) {
      failures.push({ file: spec.file, error: asSpecwrightError(error, spec.file) });
    }
  }
  const resolvedIds = new Set(resolved.map((spec) => spec.spec.id));
  const complete = dropDependentsOfFailures(resolved, failures, (id) => !resolvedIds.has(id));
  return { specs: fingerprintInOrder(complete, options), failures };
}

/** Removes, transitively, the specs that depend on a failed one, recording a failure for each. */
function dropDependentsOfFailures<T extends ParsedSpec>(specs: T[], failures: SpecFailure[], isFailedId: (id: string) => boolean): T[] {
  const failedIds = new Set<string>();
  let usable = specs;
  for (let changed = true; changed; ) {
    changed = false;
    usable = usable.filter((spec) => {
      const broken = spec.spec.dependsOn.find((id) => failedIds.has(id) || isFailedId(id));
      if (broken === undefined) return true;
      failedIds.add(spec.spec.id);
      failures.push({
        file: spec.file,
        error: new SpecwrightError(`dependency "${broken}" cannot be used (see its own error)`, {
          file: spec.file,
          ...positionOfText(spec.source, broken, Math.max(0, spec.source.search(/^dependsOn\s*:/m))),
          expected: 'every dependsOn spec to be valid',
          fix: "fix the dependency's spec first",
          code: 'SPEC_DEPENDENCY_INVALID',
        }),
      });
      changed = true;
      return false;
    });
  }
  return usable;
}
