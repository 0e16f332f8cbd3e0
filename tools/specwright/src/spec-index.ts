import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { parse } from 'yaml';

/**
 * The workspace's specs, read cheaply: for each spec file its id, dependsOn, outputs, types and tests, straight from
 * the YAML (no schema, no contracts), cached by content hash. The plugin's createNodes (target inputs and outputs)
 * and createDependencies (project edges) read it, and the executors use it to find the projects a run must load:
 * the transitive closure of its specs' `dependsOn` across the whole workspace, whatever the Nx graph knows yet.
 * Never an error: a spec it cannot read is summarized as empty and the loader reports it properly.
 */
export interface SpecSummary {
  id?: string;
  dependsOn: string[];
  /** Project-relative paths. */
  outputs: string[];
  types?: string;
  tests: string[];
}

/** Where summaries are kept between runs (the plugin passes Nx's PluginCache; a Map does in-process). */
export interface SummaryCache {
  get(key: string): SpecSummary | undefined;
  set(key: string, value: SpecSummary): void;
}

export interface IndexedSpec {
  /** Workspace-relative spec file. */
  file: string;
  /** Workspace-relative root of the project holding it. */
  projectRoot: string;
  summary: SpecSummary;
}

const EMPTY: SpecSummary = { dependsOn: [], outputs: [], tests: [] };

/** Nx's workspace data folder, computed as Nx does (`workspaceDataDirectory` is exported by @nx/devkit/internal only since 23.3). */
export function workspaceDataDirectory(workspaceRoot: string): string {
  const fromEnv = process.env.NX_WORKSPACE_DATA_DIRECTORY ?? process.env.NX_PROJECT_GRAPH_CACHE_DIRECTORY;
  return fromEnv ? resolve(workspaceRoot, fromEnv) : join(workspaceRoot, '.nx', 'workspace-data');
}

/** The file the plugin keeps its summaries in. */
export function summaryCacheFile(workspaceRoot: string): string {
  return join(workspaceDataDirectory(workspaceRoot), 'specwright-specs.hash');
}

/**
 * The plugin's summaries as its createNodes left them (Nx's PluginCache file: `{ entries, accessOrder }`), read
 * only: the executors look summaries up and never write the file, which is the plugin's. Reading the JSON here
 * instead of through `@nx/devkit/internal` keeps that module (half of Nx's internals, ~0.2–0.6 s to load) out of the
 * executors' start-up. Entries are keyed by the spec's content hash, so an unreadable or foreign file only costs a
 * re-read: it is treated as empty, as Nx treats it.
 */
export function readSummaryCache(file: string): SummaryCache {
  let entries: Record<string, unknown> = {};
  if (process.env.NX_CACHE_PROJECT_GRAPH !== 'false') {
    try {
      const raw = JSON.parse(readFileSync(file, 'utf8')) as { entries?: unknown };
      if (raw && typeof raw.entries === 'object' && raw.entries !== null && !Array.isArray(raw.entries)) entries = raw.entries as Record<string, unknown>;
    } catch {
      // No cache yet, or not one we can read: summarize from the specs.
    }
  }
  const added = new Map<string, SpecSummary>();
  return {
    get: (key) => {
      const known = added.get(key) ?? (Object.hasOwn(entries, key) ? entries[key] : undefined);
      return isSummary(known) ? known : undefined;
    },
    set: (key, value) => void added.set(key, value),
  };
}

const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

/** Whether a cached value has the summary's shape (entries written before `dependsOn` existed lack it). */
function isSummary(value: unknown): value is SpecSummary {
  if (!value || typeof value !== 'object') return false;
  const summary = value as Record<string, unknown>;
  return (
    isStringList(summary.dependsOn) &&
    isStringList(summary.outputs) &&
    isStringList(summary.tests) &&
    (summary.id === undefined || typeof summary.id === 'string') &&
    (summary.types === undefined || typeof summary.types === 'string')
  );
}

/** One spec file's summary: from the cache when its content (and project root) are unchanged. */
export function summarizeSpecFile(workspaceRoot: string, specFile: string, projectRoot: string, cache?: SummaryCache): SpecSummary {
  let source: string;
  try {
    source = readFileSync(join(workspaceRoot, specFile), 'utf8');
  } catch {
    return EMPTY;
  }
  const key = `${specFile}@${projectRoot}:${createHash('sha1').update(source).digest('hex')}`;
  const hit = cache?.get(key);
  // Entries written before dependsOn was part of the summary lack it: read those again.
  if (hit && isSummary(hit)) return hit;
  const summary = summarizeSpecSource(source, specFile, projectRoot);
  cache?.set(key, summary);
  return summary;
}

export function summarizeSpecSource(source: string, specFile: string, projectRoot: string): SpecSummary {
  let data: Record<string, unknown>;
  try {
    const parsed = parse(source, { maxAliasCount: 50 }) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return EMPTY;
    data = parsed as Record<string, unknown>;
  } catch {
    return EMPTY;
  }
  const specDir = posix.dirname(specFile);
  const inProject = (value: unknown): string | undefined => {
    if (typeof value !== 'string' || value.startsWith('/')) return undefined;
    const resolved = posix.relative(projectRoot === '.' ? '' : projectRoot, posix.normalize(posix.join(specDir, value)));
    return resolved.startsWith('..') ? undefined : resolved;
  };
  const list = (value: unknown) => (Array.isArray(value) ? value.map(inProject).filter((v): v is string => v !== undefined) : []);
  const types = inProject(data.types);
  return {
    ...(typeof data.id === 'string' ? { id: data.id } : {}),
    dependsOn: Array.isArray(data.dependsOn) ? data.dependsOn.filter((id): id is string => typeof id === 'string') : [],
    outputs: list(data.outputs),
    tests: list(data.tests),
    ...(types ? { types } : {}),
  };
}

/** Summaries of the given spec files. */
export function indexSpecs(workspaceRoot: string, files: readonly { file: string; projectRoot: string }[], cache?: SummaryCache): IndexedSpec[] {
  return files.map(({ file, projectRoot }) => ({ file, projectRoot, summary: summarizeSpecFile(workspaceRoot, file, projectRoot, cache) }));
}

/**
 * The project roots (besides `roots` themselves) whose specs a run over `roots` must load so that every spec id
 * resolves: the transitive closure of `dependsOn` over the whole index. Also the projects a loader needs to report a
 * problem as it is, not as an unknown id: those holding another spec with the same id as one of ours (a duplicate),
 * and, when an id resolves nowhere, those holding a spec the index could not read (it may be the broken dependency).
 * Sorted.
 */
export function dependencyClosure(index: readonly IndexedSpec[], roots: readonly string[]): string[] {
  const { byId, byProject } = lookupOf(index);
  const loaded = new Set(roots);
  const visited = new Set<string>();
  const queue: IndexedSpec[] = roots.flatMap((root) => byProject.get(root) ?? []);
  let unresolved = false;
  for (let next = 0; next < queue.length; next++) {
    const entry = queue[next] as IndexedSpec;
    if (visited.has(entry.file)) continue;
    visited.add(entry.file);
    const id = entry.summary.id;
    const reached = [...(id === undefined ? [] : (byId.get(id) ?? [])), ...entry.summary.dependsOn.flatMap((dependency) => {
      const found = byId.get(dependency);
      if (!found) unresolved = true;
      return found ?? [];
    })];
    for (const other of reached) {
      loaded.add(other.projectRoot);
      // A project's specs all load together: its other specs' dependencies must resolve too.
      for (const sibling of byProject.get(other.projectRoot) ?? []) if (!visited.has(sibling.file)) queue.push(sibling);
    }
  }
  if (unresolved) for (const entry of index) if (entry.summary.id === undefined) loaded.add(entry.projectRoot);
  for (const root of roots) loaded.delete(root);
  return [...loaded].sort();
}

interface IndexLookup {
  byId: Map<string, IndexedSpec[]>;
  byProject: Map<string, IndexedSpec[]>;
}

/** An index's specs by id and by project, built once per index: an Nx batch asks for every project's closure. */
const lookups = new WeakMap<readonly IndexedSpec[], IndexLookup>();

function lookupOf(index: readonly IndexedSpec[]): IndexLookup {
  const known = lookups.get(index);
  if (known) return known;
  const byId = new Map<string, IndexedSpec[]>();
  const byProject = new Map<string, IndexedSpec[]>();
  const add = (map: Map<string, IndexedSpec[]>, key: string, entry: IndexedSpec): void => {
    const list = map.get(key);
    if (list) list.push(entry);
    else map.set(key, [entry]);
  };
  for (const entry of index) {
    add(byProject, entry.projectRoot, entry);
    if (entry.summary.id !== undefined) add(byId, entry.summary.id, entry);
  }
  const lookup = { byId, byProject };
  lookups.set(index, lookup);
  return lookup;
}

/** Project-level edges implied by `dependsOn` (source project → target project, with the spec file that makes it). */
export interface SpecProjectEdge {
  source: string;
  target: string;
  sourceFile: string;
}

/** Every cross-project `dependsOn` edge of the index, by project root; ids that resolve nowhere (or twice) give none. */
export function projectEdges(index: readonly IndexedSpec[]): SpecProjectEdge[] {
  const rootOf = new Map<string, string | null>();
  for (const entry of index) {
    const id = entry.summary.id;
    if (id === undefined) continue;
    rootOf.set(id, rootOf.has(id) && rootOf.get(id) !== entry.projectRoot ? null : entry.projectRoot);
  }
  const edges: SpecProjectEdge[] = [];
  const seen = new Set<string>();
  for (const entry of index) {
    for (const dependency of entry.summary.dependsOn) {
      const target = rootOf.get(dependency);
      if (!target || target === entry.projectRoot) continue;
      const key = `${entry.file}\0${target}`;
      if (seen.has(key)) continue;
      seen.add(key);
      edges.push({ source: entry.projectRoot, target, sourceFile: entry.file });
    }
  }
  return edges;
}

/**
 * Whether an edge lies on a cycle of project edges (its target reaches its source). Such an edge is left out of the
 * Nx graph: with it, Nx refuses the whole task graph as circular before any executor runs, while without it the run
 * reaches the loader, which names the spec cycle with file:line:column and the fix.
 */
export function closesCycle(edges: readonly SpecProjectEdge[], edge: SpecProjectEdge): boolean {
  const next = new Map<string, string[]>();
  for (const { source, target } of edges) next.set(source, [...(next.get(source) ?? []), target]);
  const seen = new Set<string>();
  const stack = [edge.target];
  while (stack.length > 0) {
    const current = stack.pop() as string;
    if (current === edge.source) return true;
    if (seen.has(current)) continue;
    seen.add(current);
    stack.push(...(next.get(current) ?? []));
  }
  return false;
}
