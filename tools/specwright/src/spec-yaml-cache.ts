import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { replaceCacheFile } from './fs-utils';
import { SPEC_YAML_SETTINGS, type KnownYaml } from './parse';

/**
 * What each spec's YAML reads as, remembered across runs, so that a check over unchanged specs does not parse their
 * YAML again: with the `yaml` library that is ~1 ms a spec, most of what a check costs (the rest — the schema, paths,
 * contracts, fingerprints, output hashes — is still done every time). Only the YAML stage is remembered (parse.ts's
 * `KnownYaml`): the data `doc.toJS()` gives for one exact source text, a pure function of those bytes, the yaml
 * library's version and SPEC_YAML_SETTINGS — which, with this file's format and the V8 version (the serializer's),
 * make the cache's stamp: any change to them empties it. Errors are never cached (a spec whose YAML does not read
 * cleanly is parsed every time, so its error is reported as it always is), and a validation problem in a remembered
 * spec has its YAML parsed again for the line:column.
 *
 * One file per project under node_modules/.cache/specwright/spec-yaml/, holding one entry per spec file of the
 * project (the content hash and the data): bounded by the specs that exist, rewritten only when something changed,
 * replaced atomically (a concurrent run's file is as good as ours: every entry is checked against the text it is
 * used for). Without a workspace node_modules nothing is written; an unreadable or foreign file is an empty cache.
 */
export const SPEC_YAML_CACHE_DIR = join('node_modules', '.cache', 'specwright', 'spec-yaml');

/** Bump when the file layout below changes. */
const FORMAT = 1;

interface Entry {
  /** sha1 of the spec's source text. */
  hash: string;
  /** v8.serialize of the data (each use gets its own copy, so no caller can change another's). */
  data: Uint8Array;
}

interface ProjectCache {
  entries: Map<string, Entry>;
  /** Spec files looked up in this run. */
  seen: Set<string>;
  changed: boolean;
}

let stampOfProcess: string | undefined;

/** The stamp a cache file must carry to be used. */
export function specYamlCacheStamp(): string {
  if (stampOfProcess === undefined) {
    const yamlVersion = (JSON.parse(readFileSync(require.resolve('yaml/package.json'), 'utf8')) as { version: string }).version;
    stampOfProcess = createHash('sha1').update(JSON.stringify([FORMAT, yamlVersion, SPEC_YAML_SETTINGS, process.versions.v8])).digest('hex');
  }
  return stampOfProcess;
}

export class SpecYamlCache {
  private readonly projects = new Map<string, ProjectCache>();
  private readonly folder: string | undefined;

  constructor(workspaceRoot: string) {
    // A workspace without node_modules gets no cache folder created in it.
    this.folder = existsSync(join(workspaceRoot, 'node_modules')) ? join(workspaceRoot, SPEC_YAML_CACHE_DIR) : undefined;
  }

  /** The memo of one spec file's YAML, for parseSpec, valid for exactly `source`. */
  known(file: string, projectRoot: string, source: string): KnownYaml {
    const project = this.project(projectRoot);
    project.seen.add(file);
    const hash = createHash('sha1').update(source).digest('hex');
    return {
      get: () => {
        const entry = project.entries.get(file);
        return entry && entry.hash === hash ? deserialize(entry.data) : undefined;
      },
      set: (data) => {
        project.entries.set(file, { hash, data: serialize(data) });
        project.changed = true;
      },
    };
  }

  /**
   * Writes the projects whose entries changed. Entries of spec files that were not looked up in this run are kept
   * while their file exists (a run over some specs does not forget the others), and dropped when it is gone.
   */
  save(workspaceRoot: string): void {
    if (!this.folder) return;
    for (const [projectRoot, project] of this.projects) {
      for (const file of project.entries.keys()) {
        if (!project.seen.has(file) && !existsSync(join(workspaceRoot, file))) {
          project.entries.delete(file);
          project.changed = true;
        }
      }
      if (!project.changed) continue;
      project.changed = false;
      try {
        mkdirSync(this.folder, { recursive: true });
        replaceCacheFile(this.fileOf(projectRoot), serialize({ stamp: specYamlCacheStamp(), entries: [...project.entries].map(([file, entry]) => [file, entry.hash, entry.data]) }));
      } catch {
        // The cache is an optimisation: a read-only node_modules must not fail the run.
      }
    }
  }

  private fileOf(projectRoot: string): string {
    return join(this.folder as string, specYamlCacheFileName(projectRoot));
  }

  private project(projectRoot: string): ProjectCache {
    let project = this.projects.get(projectRoot);
    if (!project) {
      project = { entries: this.folder ? readEntries(this.fileOf(projectRoot)) : new Map(), seen: new Set(), changed: false };
      this.projects.set(projectRoot, project);
    }
    return project;
  }
}

/** The cache file of one project, in SPEC_YAML_CACHE_DIR: named by the project root only, so one per project root. */
export function specYamlCacheFileName(projectRoot: string): string {
  return `${createHash('sha1').update(projectRoot).digest('hex').slice(0, 16)}.bin`;
}

function readEntries(path: string): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  let stored: unknown;
  try {
    stored = deserialize(readFileSync(path));
  } catch {
    return entries; // none yet, or not ours
  }
  const { stamp, entries: list } = (stored ?? {}) as { stamp?: unknown; entries?: unknown };
  if (stamp !== specYamlCacheStamp() || !Array.isArray(list)) return entries;
  for (const item of list) {
    if (!Array.isArray(item)) continue;
    const [file, hash, data] = item as unknown[];
    if (typeof file === 'string' && typeof hash === 'string' && data instanceof Uint8Array) entries.set(file, { hash, data });
  }
  return entries;
}
