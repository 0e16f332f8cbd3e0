import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { canonicalJson, readTextIfExists, sha256, writeFileAtomic } from '../fs-utils';
import type { FingerprintedSpec } from '../types';
import { WorkingTree } from '../source-tree';
import { gitBlobSha } from './git';
import type { Policy } from './policy';

/**
 * What the pre-commit hook learned about staged content, keyed by git blob ids, so that the next commit of the
 * same content needs neither YAML, ajv nor ts-json-schema-generator (together ~0.2–0.3 s of start-up on a small
 * machine). Every entry is content-addressed: a spec's summary by (project root, path, blob); a fingerprint by
 * (project root, path, blob, model settings) plus the blob of every file it was computed from (the spec, its
 * dependencies' specs, their `types` files), checked against the index before use. `specwright review` fills it
 * from the working tree, so the usual generate → review → commit finds everything here. The salt covers the
 * plugin sources that decide parsing and fingerprints: changing them empties the cache.
 */

export const HOOK_CACHE_FILE = join('node_modules', '.cache', 'specwright', 'hook-cache.json');
const CACHE_VERSION = 1;
const MAX_ENTRIES = 4000;

export interface SpecSummary {
  id: string;
  dependsOn: string[];
  /** Workspace-relative. */
  typesFile?: string;
  /** Workspace-relative. */
  outputFiles: string[];
  /** `draft: true`: its outputs must not be committed. */
  draft?: boolean;
}

export interface CachedFingerprint {
  fingerprint: string;
  /** Workspace-relative path → git blob id of every file the fingerprint was computed from. */
  closure: Record<string, string>;
}

interface CacheData {
  version: number;
  salt: string;
  summaries: Record<string, SpecSummary>;
  fingerprints: Record<string, CachedFingerprint>;
  policies: Record<string, Policy>;
}

const SALT_SOURCES = ['../parse.ts', '../load.ts', '../source-tree.ts', '../fingerprint.ts', '../contracts.ts', '../prompt.ts', '../graph.ts', '../../spec.schema.json', '../../policy.schema.json', './policy.ts', './cache.ts'];

let saltMemo: string | undefined;
function pluginSalt(): string {
  if (saltMemo === undefined) {
    // From dist/ (the published package) the sources are the compiled .js files beside this one.
    const read = (file: string) => readTextIfExists(join(__dirname, file)) ?? readTextIfExists(join(__dirname, file.replace(/\.ts$/, '.js')));
    saltMemo = sha256(SALT_SOURCES.map((file) => read(file) ?? `missing:${file}`).join('\0'));
  }
  return saltMemo;
}

export function summaryKey(projectRoot: string, file: string, blob: string): string {
  return `${projectRoot}|${file}|${blob}`;
}

export function fingerprintKey(projectRoot: string, file: string, blob: string, model: { model: string; temperature: number }): string {
  return `${projectRoot}|${file}|${blob}|${canonicalJson({ model: model.model, temperature: model.temperature })}`;
}

export class HookCache {
  private dirty = false;

  private constructor(
    private readonly path: string | undefined,
    private readonly data: CacheData,
  ) {}

  /** A cache that starts empty and is never written (unit tests of the rules). */
  static inMemory(): HookCache {
    return new HookCache(undefined, { version: CACHE_VERSION, salt: pluginSalt(), summaries: {}, fingerprints: {}, policies: {} });
  }

  /** SPECWRIGHT_HOOK_CACHE=off: neither read nor write (to measure the cold path, or to rule the cache out). */
  static open(workspaceRoot: string): HookCache {
    const salt = pluginSalt();
    if (process.env.SPECWRIGHT_HOOK_CACHE === 'off') return new HookCache(undefined, { version: CACHE_VERSION, salt, summaries: {}, fingerprints: {}, policies: {} });
    const path = join(workspaceRoot, HOOK_CACHE_FILE);
    try {
      const data = JSON.parse(readFileSync(path, 'utf8')) as CacheData;
      if (data.version === CACHE_VERSION && data.salt === salt && data.summaries && data.fingerprints && data.policies) return new HookCache(path, data);
    } catch {
      // Missing or unreadable: start empty.
    }
    return new HookCache(path, { version: CACHE_VERSION, salt, summaries: {}, fingerprints: {}, policies: {} });
  }

  summary(key: string): SpecSummary | undefined {
    return this.data.summaries[key];
  }

  setSummary(key: string, summary: SpecSummary): void {
    if (canonicalJson(this.data.summaries[key]) === canonicalJson(summary)) return;
    this.data.summaries[key] = summary;
    this.dirty = true;
  }

  /** The cached fingerprint, only if every file it was computed from still has the same content. */
  fingerprint(key: string, currentBlob: (file: string) => string | undefined): string | undefined {
    const hit = this.data.fingerprints[key];
    if (!hit) return undefined;
    return Object.entries(hit.closure).every(([file, blob]) => currentBlob(file) === blob) ? hit.fingerprint : undefined;
  }

  setFingerprint(key: string, value: CachedFingerprint): void {
    if (canonicalJson(this.data.fingerprints[key]) === canonicalJson(value)) return;
    this.data.fingerprints[key] = value;
    this.dirty = true;
  }

  policy(blob: string): Policy | undefined {
    return this.data.policies[blob];
  }

  setPolicy(blob: string, policy: Policy): void {
    if (this.data.policies[blob]) return;
    this.data.policies[blob] = policy;
    this.dirty = true;
  }

  /** Best effort: a read-only node_modules only costs speed. */
  save(): void {
    if (!this.dirty || !this.path) return;
    for (const table of [this.data.summaries, this.data.fingerprints, this.data.policies] as Record<string, unknown>[]) {
      const keys = Object.keys(table);
      for (const key of keys.slice(0, Math.max(0, keys.length - MAX_ENTRIES))) delete table[key];
    }
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      writeFileAtomic(this.path, JSON.stringify(this.data));
      this.dirty = false;
    } catch {
      // Ignore: the cache is an optimisation.
    }
  }
}

export function summaryOf(spec: Pick<FingerprintedSpec, 'spec' | 'typesFile' | 'outputFiles'>): SpecSummary {
  return { id: spec.spec.id, dependsOn: spec.spec.dependsOn, ...(spec.typesFile ? { typesFile: spec.typesFile } : {}), outputFiles: spec.outputFiles, ...(spec.spec.draft ? { draft: true } : {}) };
}

/** The files a spec's fingerprint depends on: its spec file and types file, and those of every dependency. */
export function closureFiles(spec: FingerprintedSpec | { file: string; typesFile?: string; spec: { dependsOn: string[] } }, byId: ReadonlyMap<string, { file: string; typesFile?: string; spec: { dependsOn: string[] } }>): string[] {
  const files = new Set<string>();
  const seen = new Set<string>();
  const visit = (current: { file: string; typesFile?: string; spec: { dependsOn: string[] } }) => {
    files.add(current.file);
    if (current.typesFile) files.add(current.typesFile);
    for (const id of current.spec.dependsOn) {
      if (seen.has(id)) continue;
      seen.add(id);
      const dependency = byId.get(id);
      if (dependency) visit(dependency);
    }
  };
  visit(spec);
  return [...files].sort();
}

/**
 * Records what a working-tree run (review, ci-check) computed, so that committing the same content finds it.
 * Content the index will hold is hashed the way git does; files that differ once staged simply miss.
 */
export function warmHookCache(workspaceRoot: string, specs: readonly FingerprintedSpec[], model: { model: string; temperature: number }, policy?: { source: string; policy: Policy }): void {
  try {
    const cache = HookCache.open(workspaceRoot);
    const byId = new Map(specs.map((spec) => [spec.spec.id, spec]));
    const tree = new WorkingTree(workspaceRoot);
    const blobs = new Map<string, string | undefined>();
    const blobOf = (file: string) => {
      if (!blobs.has(file)) {
        let blob: string | undefined;
        try {
          blob = tree.blobId(file);
        } catch {
          blob = undefined; // unreadable: that spec is simply not cached
        }
        blobs.set(file, blob);
      }
      return blobs.get(file);
    };
    for (const spec of specs) {
      const own = blobOf(spec.file);
      if (!own) continue;
      cache.setSummary(summaryKey(spec.projectRoot, spec.file, own), summaryOf(spec));
      const closure: Record<string, string> = {};
      let complete = true;
      for (const file of closureFiles(spec, byId)) {
        const blob = blobOf(file);
        if (blob) closure[file] = blob;
        else complete = false;
      }
      // The key holds the plugin-level model settings (nx.json); a spec's own overrides are part of its blob.
      if (complete) cache.setFingerprint(fingerprintKey(spec.projectRoot, spec.file, own, model), { fingerprint: spec.fingerprint, closure });
    }
    if (policy) cache.setPolicy(gitBlobSha(policy.source), policy.policy);
    cache.save();
  } catch {
    // Never fail a review over the cache.
  }
}
