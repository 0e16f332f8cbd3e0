import { draftAcceptFix } from '../decompose/draft';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { ContractResolver } from '../contracts';
import { describeError } from '../errors';
import { canonicalJson, fileHashIfExists, sha256 } from '../fs-utils';
import { isReviewed, parseLock, readLock, type LockFile, type LockOutput } from '../lock';
import { normalizeOptions, type NormalizedOptions, type SpecwrightPluginOptions } from '../options';
import type { ParsedSpec } from '../types';
import { closureFiles, fingerprintKey, HookCache, summaryKey, summaryOf, type SpecSummary } from './cache';
import { gitBlobSha, indexEntries, readObjects, runGit, ZERO_SHA, type IndexEntry, type StagedChange } from './git';
import { CODE_FILE, hasGeneratedMarker, isLockPath, isSpecPath, lockPathOf } from './paths';
import { checkGenerationAllowed, checkReviewer, defaultPolicy, parsePolicy, POLICY_FILE, type Policy } from './policy';

/**
 * The pre-commit check proper: everything is read from the index (what the commit will contain), never from the
 * working tree, so partially staged files are judged by their staged version. The working tree is only consulted
 * to suggest the right fix ("the lock is not staged" rather than "hand edit").
 */

export type ProblemKind = 'draft' | 'unreviewed' | 'hand-edited' | 'not-staged' | 'stale' | 'new' | 'missing' | 'orphaned' | 'left-behind' | 'policy' | 'reviewer' | 'invalid';

export interface HookProblem {
  /** Workspace-relative. */
  file: string;
  kind: ProblemKind;
  reason: string;
  /** The exact command (or edit) that resolves it, to run from the workspace root. */
  fix: string;
}

export interface StagedCheckInput {
  /** The top of the git working tree. */
  top: string;
  workspaceRoot: string;
  /** The workspace root relative to `top`, with a trailing `/` (empty when they are the same folder). */
  prefix: string;
  /** The staged changes, paths already workspace-relative. */
  changes: StagedChange[];
}

const inRoot = (root: string, relative: string) => (root === '.' ? relative : `${root}/${relative}`);
const relativeTo = (root: string, file: string) => (root === '.' ? file : posix.relative(root, file));

/** The index as a read-only file system, with blobs read in batches. */
export class IndexSnapshot {
  readonly entries = new Map<string, IndexEntry>();
  private readonly blobs = new Map<string, Buffer | undefined>();
  private readonly projectRoots = new Set<string>();

  constructor(
    private readonly top: string,
    prefix: string,
  ) {
    for (const [path, entry] of indexEntries(top, prefix ? [prefix] : [])) {
      if (prefix && !path.startsWith(prefix)) continue;
      const relative = path.slice(prefix.length);
      this.entries.set(relative, entry);
      const dir = posix.dirname(relative);
      if (dir !== '.' && /(^|\/)(project|package)\.json$/.test(relative)) this.projectRoots.add(dir);
    }
  }

  has(path: string): boolean {
    return this.entries.has(path);
  }

  blobId(path: string): string | undefined {
    return this.entries.get(path)?.sha;
  }

  prefetch(shas: Iterable<string | undefined>): void {
    const wanted = [...new Set(shas)].filter((sha): sha is string => !!sha && sha !== ZERO_SHA && !this.blobs.has(sha));
    if (wanted.length === 0) return;
    for (const [sha, content] of readObjects(this.top, wanted)) this.blobs.set(sha, content);
  }

  blob(sha: string | undefined): Buffer | undefined {
    if (!sha || sha === ZERO_SHA) return undefined;
    if (!this.blobs.has(sha)) this.prefetch([sha]);
    return this.blobs.get(sha);
  }

  file(path: string): Buffer | undefined {
    return this.blob(this.blobId(path));
  }

  text(path: string): string | undefined {
    return this.file(path)?.toString('utf8');
  }

  /** The project a path belongs to, Nx's way (nearest folder with project.json or package.json), over the index. */
  ownerRoot(path: string): string {
    for (let dir = posix.dirname(path); dir !== '.' && dir !== '/' && dir !== ''; dir = posix.dirname(dir)) {
      if (this.projectRoots.has(dir)) return dir;
    }
    return '.';
  }

  /** project.json's name, else package.json's nx.name or name, else the folder name (as discover.ts). */
  projectName(root: string): string {
    for (const marker of ['project.json', 'package.json']) {
      try {
        const json = JSON.parse(this.text(inRoot(root, marker)) ?? '') as { name?: string; nx?: { name?: string } };
        const name = json.nx?.name ?? json.name;
        if (name) return name;
      } catch {
        // Try the next marker.
      }
    }
    return root === '.' ? 'workspace' : posix.basename(root);
  }

  paths(): string[] {
    return [...this.entries.keys()];
  }
}

/** The Specwright plugin options in an nx.json text (as workspace.ts reads them from disk). */
export function pluginOptionsFromNxJson(text: string | undefined): NormalizedOptions {
  try {
    const nxJson = JSON.parse(text ?? '{}') as { plugins?: (string | { plugin: string; options?: Record<string, unknown> })[] };
    for (const entry of nxJson.plugins ?? []) {
      if (typeof entry === 'object' && entry.plugin === '@specwright/nx') return normalizeOptions((entry.options ?? {}) as SpecwrightPluginOptions);
    }
  } catch {
    // An unreadable nx.json fails Nx itself; the defaults are as good a guess as any here.
  }
  return normalizeOptions({});
}

type Heavy = {
  parse: typeof import('../parse');
  graph: typeof import('../graph');
  fingerprint: typeof import('../fingerprint');
  contracts: typeof import('../contracts');
};

let heavy: Promise<Heavy> | undefined;
/** parse (yaml + ajv), fingerprint (prompt) and friends: loaded only when a cache miss needs them. */
function loadHeavy(): Promise<Heavy> {
  heavy ??= Promise.all([import('../parse'), import('../graph'), import('../fingerprint'), import('../contracts')]).then(([parse, graph, fingerprint, contracts]) => ({ parse, graph, fingerprint, contracts }));
  return heavy;
}

/** What the check had to compute, for SPECWRIGHT_HOOK_TIMING=1 and the benchmark. */
export interface StagedCheckStats {
  /** Specs parsed (YAML + ajv): cache misses. */
  parsed: number;
  fingerprintHits: number;
  fingerprintMisses: number;
}

export async function checkStaged(input: StagedCheckInput, stats?: StagedCheckStats): Promise<HookProblem[]> {
  const checker = new StagedChecker(input);
  try {
    return await checker.run();
  } finally {
    checker.dispose();
    if (stats) Object.assign(stats, checker.stats);
  }
}

type Summary = SpecSummary | { error: string };

class StagedChecker {
  private readonly snap: IndexSnapshot;
  private readonly cache: HookCache;
  private readonly problems = new Map<string, HookProblem>();
  private readonly locks = new Map<string, LockFile | undefined>();
  private readonly diskLocks = new Map<string, LockFile | undefined>();
  private readonly summaries = new Map<string, Summary>();
  private readonly parsed = new Map<string, ParsedSpec>();
  private readonly specsById = new Map<string, string[]>();
  private readonly changesByPath = new Map<string, StagedChange>();
  private readonly tempDirs: string[] = [];
  private options: NormalizedOptions = normalizeOptions({});
  private policy: Policy | undefined = defaultPolicy();
  private sharedResolver: ContractResolver | undefined;
  readonly stats: StagedCheckStats = { parsed: 0, fingerprintHits: 0, fingerprintMisses: 0 };

  constructor(private readonly input: StagedCheckInput) {
    this.snap = new IndexSnapshot(input.top, input.prefix);
    this.cache = HookCache.open(input.workspaceRoot);
    for (const change of input.changes) this.changesByPath.set(change.path, change);
  }

  dispose(): void {
    for (const dir of this.tempDirs) rmSync(dir, { recursive: true, force: true });
  }

  async run(): Promise<HookProblem[]> {
    const { snap } = this;
    const specFiles = snap.paths().filter(isSpecPath);
    // One read for what the check is sure to look at: the changed blobs, the locks of the projects they are in, the
    // project markers, and the specs whose summary is not cached by blob id yet. A spec the cache knows and the lock
    // of a project the commit does not touch are never read, so the cost follows the commit (and what changed since
    // the last review), not the size of the workspace.
    const summaryUnknown = (path: string) => !this.cache.summary(summaryKey(snap.ownerRoot(path), path, snap.blobId(path) ?? ''));
    const changedRoots = new Set(this.input.changes.flatMap((change) => [change.path, change.oldPath]).filter((path): path is string => !!path).map((path) => snap.ownerRoot(path)));
    snap.prefetch([
      ...snap
        .paths()
        .filter((path) => (isSpecPath(path) && summaryUnknown(path)) || /(^|\/)(project|package)\.json$/.test(path) || path === POLICY_FILE || path === 'nx.json')
        .map((path) => snap.blobId(path)),
      ...[...changedRoots].map((root) => snap.blobId(lockPathOf(root))),
      ...this.input.changes.flatMap((change) => [change.oldSha, change.newSha]),
    ]);
    this.options = pluginOptionsFromNxJson(snap.text('nx.json'));
    this.policy = this.loadStagedPolicy();

    for (const file of specFiles) {
      const summary = await this.summary(file);
      if ('id' in summary) this.specsById.set(summary.id, [...(this.specsById.get(summary.id) ?? []), file]);
    }

    const touched = new Map<string, { root: string; id: string }>();
    const touch = (root: string, id: string) => touched.set(`${root}\0${id}`, { root, id });
    let policyChanged = false;

    for (const change of this.input.changes) {
      const present = change.status === 'D' ? undefined : change.path;
      const removed = change.status === 'D' ? change.path : change.status === 'R' ? change.oldPath : undefined;
      if (present !== undefined) {
        if (present === POLICY_FILE) policyChanged = true;
        else if (present === 'nx.json') for (const root of this.lockRoots()) for (const id of Object.keys(this.lockOf(root)?.specs ?? {})) touch(root, id);
        else if (isSpecPath(present)) {
          const summary = await this.summary(present);
          if ('error' in summary) this.add({ file: present, kind: 'invalid', reason: summary.error, fix: `fix ${present} (the error above says where)` });
          else touch(snap.ownerRoot(present), summary.id);
        } else if (isLockPath(present)) {
          this.lockChanged(posix.dirname(present), change.oldSha, touch);
        } else {
          const root = snap.ownerRoot(present);
          const owner = this.ownerOf(root, present);
          if (owner) touch(root, owner);
          else if (CODE_FILE.test(present) && hasGeneratedMarker(snap.blob(change.newSha))) this.unowned(present, root);
        }
        for (const [file, summary] of this.summaries) if ('id' in summary && summary.typesFile === present) touch(snap.ownerRoot(file), summary.id);
        for (const [file, summary] of this.summaries) {
          if ('id' in summary && summary.draft && summary.outputFiles.includes(present)) {
            this.add({ file: present, kind: 'draft', reason: `output of spec "${summary.id}", which is a draft (draft: true); drafts are proposals, their outputs are not committed`, fix: `git restore --staged ${present}; to accept the spec: ${draftAcceptFix(file)}` });
          }
        }
      }
      if (removed !== undefined) {
        if (isSpecPath(removed)) this.specRemoved(removed, touch);
        else if (isLockPath(removed) && !snap.has(removed)) this.lockChanged(posix.dirname(removed), change.oldSha, touch);
        else {
          const root = snap.ownerRoot(removed);
          const owner = this.ownerOf(root, removed);
          if (owner) touch(root, owner);
        }
        for (const [file, summary] of this.summaries) if ('id' in summary && summary.typesFile === removed) touch(snap.ownerRoot(file), summary.id);
      }
    }

    // A spec's fingerprint includes its dependencies': whatever touches a spec touches the specs that depend on it.
    const dependents = new Map<string, string[]>();
    for (const [file, summary] of this.summaries) {
      if (!('id' in summary)) continue;
      for (const dependency of summary.dependsOn) dependents.set(dependency, [...(dependents.get(dependency) ?? []), file]);
    }
    const queue = [...touched.values()].map(({ id }) => id);
    const seen = new Set(queue);
    while (queue.length > 0) {
      for (const file of dependents.get(queue.shift() as string) ?? []) {
        const summary = this.summaries.get(file) as SpecSummary;
        touch(snap.ownerRoot(file), summary.id);
        if (!seen.has(summary.id)) {
          seen.add(summary.id);
          queue.push(summary.id);
        }
      }
    }

    // The locks and outputs of the entries to check (dependents may live in other projects), in two reads rather
    // than one git process each.
    snap.prefetch([...new Set([...touched.values()].map(({ root }) => root))].map((root) => snap.blobId(lockPathOf(root))));
    snap.prefetch(
      [...touched.values()].flatMap(({ root, id }) => Object.keys(this.lockOf(root)?.specs[id]?.outputs ?? {}).map((key) => snap.blobId(inRoot(root, key)))),
    );
    for (const { root, id } of touched.values()) await this.checkEntry(root, id);
    if (policyChanged && this.policy) this.checkPolicyEverywhere();
    this.cache.save();
    return [...this.problems.values()].sort((a, b) => a.file.localeCompare(b.file) || a.kind.localeCompare(b.kind));
  }

  /** One problem per kind and file: the first (most specific) reason wins. */
  private add(problem: HookProblem): void {
    const key = `${problem.kind}\0${problem.file}`;
    if (!this.problems.has(key)) this.problems.set(key, problem);
  }

  private loadStagedPolicy(): Policy | undefined {
    const blob = this.snap.blobId(POLICY_FILE);
    if (!blob) return defaultPolicy();
    const cached = this.cache.policy(blob);
    if (cached) return cached;
    try {
      const policy = parsePolicy(this.snap.text(POLICY_FILE) ?? '', POLICY_FILE);
      this.cache.setPolicy(blob, policy);
      return policy;
    } catch (error) {
      this.add({ file: POLICY_FILE, kind: 'invalid', reason: describeError(error), fix: `fix ${POLICY_FILE}` });
      return undefined;
    }
  }

  private lockRoots(): string[] {
    return this.snap
      .paths()
      .filter(isLockPath)
      .map((path) => posix.dirname(path));
  }

  /** The staged lock of a project (empty when there is none); `undefined` when it cannot be read (reported). */
  private lockOf(root: string): LockFile | undefined {
    if (!this.locks.has(root)) {
      const path = lockPathOf(root);
      const text = this.snap.text(path);
      let lock: LockFile | undefined = { lockVersion: 1, specs: {} };
      if (text !== undefined) {
        try {
          lock = parseLock(text, path);
        } catch (error) {
          lock = undefined;
          this.add({ file: path, kind: 'invalid', reason: describeError(error), fix: `fix ${path}, then run \`nx generate-from-spec --check\`` });
        }
      }
      this.locks.set(root, lock);
    }
    return this.locks.get(root);
  }

  /** The working tree's lock, only to tell "not staged" from "edited by hand". */
  private diskLockOf(root: string): LockFile | undefined {
    if (!this.diskLocks.has(root)) {
      let lock: LockFile | undefined;
      try {
        lock = readLock(this.input.workspaceRoot, root);
      } catch {
        lock = undefined;
      }
      this.diskLocks.set(root, lock);
    }
    return this.diskLocks.get(root);
  }

  private ownerOf(root: string, file: string): string | undefined {
    const key = relativeTo(root, file);
    const lock = this.lockOf(root);
    return Object.entries(lock?.specs ?? {}).find(([, entry]) => entry.outputs[key] !== undefined)?.[0];
  }

  private async summary(file: string): Promise<Summary> {
    const known = this.summaries.get(file);
    if (known) return known;
    const root = this.snap.ownerRoot(file);
    const key = summaryKey(root, file, this.snap.blobId(file) ?? '');
    let summary: Summary | undefined = this.cache.summary(key);
    if (!summary) {
      try {
        const parsed = await this.parse(file);
        summary = summaryOf(parsed);
        this.cache.setSummary(key, summary);
      } catch (error) {
        summary = { error: describeError(error) };
      }
    }
    this.summaries.set(file, summary);
    return summary;
  }

  private async parse(file: string): Promise<ParsedSpec> {
    const known = this.parsed.get(file);
    if (known) return known;
    const { parse } = await loadHeavy();
    const root = this.snap.ownerRoot(file);
    const parsed = parse.parseSpec(this.snap.text(file) ?? '', { file, projectRoot: root, project: this.snap.projectName(root) });
    this.parsed.set(file, parsed);
    this.stats.parsed++;
    return parsed;
  }

  /** A staged lock changed: entries that are new or different are checked; entries that went away must take their files along. */
  private lockChanged(root: string, oldSha: string, touch: (root: string, id: string) => void): void {
    const before = this.parseOld(oldSha, lockPathOf(root));
    const after = this.lockOf(root);
    if (!after) return;
    for (const [id, entry] of Object.entries(after.specs)) {
      if (canonicalJson(before.specs[id]) !== canonicalJson(entry)) touch(root, id);
    }
    for (const [id, entry] of Object.entries(before.specs)) {
      if (after.specs[id]) continue;
      if ((this.specsById.get(id) ?? []).some((file) => this.snap.ownerRoot(file) === root)) {
        touch(root, id);
        continue;
      }
      for (const key of Object.keys(entry.outputs)) {
        const file = inRoot(root, key);
        if (!this.snap.has(file)) continue;
        this.add({
          file,
          kind: 'left-behind',
          reason: `generated from spec "${id}", whose entry was removed from ${lockPathOf(root)}, but the file is still staged`,
          fix: `git rm ${file}`,
        });
      }
    }
  }

  private parseOld(sha: string, path: string): LockFile {
    const text = this.snap.blob(sha)?.toString('utf8');
    if (text === undefined) return { lockVersion: 1, specs: {} };
    try {
      return parseLock(text, path);
    } catch {
      return { lockVersion: 1, specs: {} };
    }
  }

  /** A spec file left the index (deleted, or renamed away): its lock entry must not stay behind. */
  private specRemoved(file: string, touch: (root: string, id: string) => void): void {
    const root = this.snap.ownerRoot(file);
    const lock = this.lockOf(root);
    const lockPath = lockPathOf(root);
    for (const [id, entry] of Object.entries(lock?.specs ?? {})) {
      if (inRoot(root, entry.spec) !== file) continue;
      const stillHere = (this.specsById.get(id) ?? []).some((other) => this.snap.ownerRoot(other) === root);
      if (stillHere) {
        touch(root, id);
        continue;
      }
      const outputs = Object.keys(entry.outputs)
        .map((key) => inRoot(root, key))
        .filter((output) => this.snap.has(output));
      this.add({
        file,
        kind: 'orphaned',
        reason: `spec "${id}" is deleted (or moved to another project), but its entry in ${lockPath}${outputs.length ? ` and its generated files (${outputs.join(', ')})` : ''} remain`,
        fix: `npx specwright review --prune && git add -A -- ${[lockPath, ...outputs].join(' ')}   (or keep the spec: git checkout HEAD -- ${file})`,
      });
    }
  }

  private unowned(file: string, root: string): void {
    const lockPath = lockPathOf(root);
    const onDisk = Object.entries(this.diskLockOf(root)?.specs ?? {}).some(([, entry]) => entry.outputs[relativeTo(root, file)] !== undefined);
    this.add({
      file,
      kind: onDisk ? 'not-staged' : 'left-behind',
      reason: onDisk
        ? `carries the Specwright header, and ${lockPath} on disk records it, but the staged ${lockPath} does not`
        : `carries the Specwright header, but no lock entry owns it (its spec was deleted or renamed)`,
      fix: onDisk ? `git add ${lockPath}` : `git rm ${file}   (or regenerate it from the spec that should own it)`,
    });
  }

  private async checkEntry(root: string, id: string): Promise<void> {
    const lock = this.lockOf(root);
    if (!lock) return;
    const lockPath = lockPathOf(root);
    const entry = lock.specs[id];
    const candidates = this.specsById.get(id) ?? [];
    const specFile = candidates.find((file) => this.snap.ownerRoot(file) === root);
    const project = this.snap.projectName(root);
    const regenerate = `nx generate-from-spec ${project} --spec ${id}`;
    if (candidates.length > 1) {
      this.add({ file: candidates[1] as string, kind: 'invalid', reason: `spec id "${id}" is also used by ${candidates[0]}`, fix: `rename the id in one of ${candidates.join(', ')}` });
    }
    if (!entry) {
      if (!specFile) return;
      const summary = this.summaries.get(specFile);
      if (summary && 'draft' in summary && summary.draft) {
        this.add({ file: specFile, kind: 'draft', reason: `spec "${id}" is a draft (draft: true), a proposal no one has accepted`, fix: draftAcceptFix(specFile) });
        return;
      }
      const onDisk = this.diskLockOf(root)?.specs[id];
      const outputs = onDisk ? Object.keys(onDisk.outputs).map((key) => inRoot(root, key)) : [];
      this.add({
        file: specFile,
        kind: 'new',
        reason: onDisk ? `spec "${id}" was generated, but ${lockPath} is not staged` : `spec "${id}" has never been generated (no entry in the staged ${lockPath})`,
        fix: onDisk ? `git add ${[lockPath, ...outputs].join(' ')}` : `${regenerate} && npx specwright review ${specFile} && git add ${lockPath} <its outputs>`,
      });
      return;
    }
    const outputs = Object.keys(entry.outputs).map((key) => inRoot(root, key));
    if (!specFile) {
      const recorded = inRoot(root, entry.spec);
      const present = outputs.filter((output) => this.snap.has(output));
      this.add({
        file: recorded,
        kind: 'orphaned',
        reason: `spec "${id}" is not in the commit, but its entry in ${lockPath}${present.length ? ` and its generated files (${present.join(', ')})` : ''} are`,
        fix: `npx specwright review --prune && git add -A -- ${[lockPath, ...present].join(' ')}   (or keep the spec: git checkout HEAD -- ${recorded})`,
      });
      return;
    }

    const fingerprint = await this.fingerprintOf(specFile);
    if ('error' in fingerprint) {
      this.add({ file: specFile, kind: 'invalid', reason: fingerprint.error, fix: `fix it, then run \`${regenerate}\`` });
    } else if (fingerprint.fingerprint !== entry.fingerprint) {
      const regenerated = this.diskLockOf(root)?.specs[id]?.fingerprint === fingerprint.fingerprint;
      this.add({
        file: specFile,
        kind: 'stale',
        reason: regenerated
          ? `spec "${id}" was regenerated, but the new ${lockPath} is not staged`
          : `spec "${id}" changed since its outputs were generated (its staged fingerprint is not the one in the staged ${lockPath})`,
        fix: regenerated ? `git add ${[lockPath, ...outputs].join(' ')}` : `${regenerate} && npx specwright review ${outputs.join(' ')} && git add ${[lockPath, ...outputs].join(' ')}`,
      });
    }
    for (const [key, output] of Object.entries(entry.outputs)) this.checkOutput(root, id, key, output, { lockPath, specFile, regenerate });
  }

  private checkOutput(root: string, id: string, key: string, output: LockOutput, context: { lockPath: string; specFile: string; regenerate: string }): void {
    const file = inRoot(root, key);
    const { lockPath, specFile, regenerate } = context;
    const content = this.snap.file(file);
    if (!content) {
      const onDisk = existsSync(join(this.input.workspaceRoot, file));
      this.add({
        file,
        kind: 'missing',
        reason: `output of spec "${id}" is ${onDisk ? 'not staged' : 'deleted'}, but the staged ${lockPath} records it`,
        fix: onDisk ? `git add ${file}` : `${regenerate}   (or, if the spec should no longer produce it, remove it from ${specFile}'s outputs and regenerate)`,
      });
      return;
    }
    const hash = sha256(content);
    if (hash !== output.hash) {
      const diskHash = fileHashIfExists(join(this.input.workspaceRoot, file));
      const diskEntry = this.diskLockOf(root)?.specs[id]?.outputs[key];
      if (diskHash === output.hash) {
        this.add({ file, kind: 'not-staged', reason: `the staged version is not what spec "${id}" generated, but the working tree's is`, fix: `git add ${file}` });
      } else if (diskEntry?.hash === hash) {
        this.add({ file, kind: 'not-staged', reason: `regenerated from spec "${id}", but the new ${lockPath} is not staged`, fix: `git add ${lockPath}` });
      } else {
        const headSha = this.changesByPath.get(file)?.oldSha;
        const head = headSha && headSha !== ZERO_SHA ? this.snap.blob(headSha) : undefined;
        const restore = head && sha256(head) === output.hash ? `, or drop the edit: git checkout HEAD -- ${file}` : '';
        this.add({
          file,
          kind: 'hand-edited',
          reason: `the staged content differs from what spec "${id}" generated (edited by hand)`,
          fix: `move the change into ${specFile} and run \`${regenerate} --force\` (keeps a backup of the edit)${restore}`,
        });
      }
    } else if (!isReviewed(output)) {
      this.add({
        file,
        kind: 'unreviewed',
        reason: output.review ? `generated by spec "${id}"; the review on record (${output.review.by}, ${output.review.at}) is for earlier content` : `generated by spec "${id}" and never reviewed`,
        fix: `npx specwright review ${file} && git add ${lockPath}`,
      });
    } else if (this.policy && output.review) {
      const finding = checkReviewer(this.policy, file, output.review.by);
      if (finding) this.add({ file, kind: 'reviewer', reason: finding.message, fix: `${finding.fix}, then git add ${lockPath}` });
    }
    if (this.policy) for (const finding of checkGenerationAllowed(this.policy, [file])) this.add({ file, kind: 'policy', reason: finding.message, fix: finding.fix });
  }

  /** After a policy change: every generated file in the index must still be allowed, and approved by the right people. */
  private checkPolicyEverywhere(): void {
    const policy = this.policy as Policy;
    for (const root of this.lockRoots()) {
      for (const entry of Object.values(this.lockOf(root)?.specs ?? {})) {
        for (const [key, output] of Object.entries(entry.outputs)) {
          const file = inRoot(root, key);
          if (!this.snap.has(file)) continue;
          for (const finding of checkGenerationAllowed(policy, [file])) this.add({ file, kind: 'policy', reason: finding.message, fix: finding.fix });
          const reviewer = isReviewed(output) && output.review ? checkReviewer(policy, file, output.review.by) : undefined;
          if (reviewer) this.add({ file, kind: 'reviewer', reason: reviewer.message, fix: `${reviewer.fix}, then git add ${lockPathOf(root)}` });
        }
      }
    }
  }

  /** The fingerprint of a staged spec, from the cache when every input is unchanged, else parse → contracts → fingerprint. */
  private async fingerprintOf(specFile: string): Promise<{ fingerprint: string } | { error: string }> {
    const root = this.snap.ownerRoot(specFile);
    const key = fingerprintKey(root, specFile, this.snap.blobId(specFile) ?? '', this.options);
    const hit = this.cache.fingerprint(key, (file) => this.snap.blobId(file));
    if (hit) {
      this.stats.fingerprintHits++;
      return { fingerprint: hit };
    }
    this.stats.fingerprintMisses++;
    try {
      const { graph, fingerprint } = await loadHeavy();
      const closure = new Map<string, ParsedSpec>();
      const visit = async (file: string): Promise<void> => {
        const spec = await this.parse(file);
        if (closure.has(spec.spec.id)) return;
        closure.set(spec.spec.id, spec);
        for (const id of spec.spec.dependsOn) {
          const dependency = this.specsById.get(id)?.[0];
          if (dependency) await visit(dependency);
        }
      };
      await visit(specFile);
      for (const spec of closure.values()) {
        if (spec.typesFile && !this.snap.has(spec.typesFile)) {
          return { error: `types file ${spec.typesFile} of spec "${spec.spec.id}" is not staged (git add ${spec.typesFile})` };
        }
      }
      const ordered = graph.orderSpecs([...closure.values()]);
      const resolver = await this.resolverFor(ordered);
      const fingerprinted = fingerprint.fingerprintInOrder(
        ordered.map((spec) => resolver.resolve(spec)),
        this.options,
      );
      let result: string | undefined;
      for (const spec of fingerprinted) {
        const files = closureFiles(spec, closure);
        const blobs = files.map((file) => [file, this.snap.blobId(file)] as const);
        if (blobs.every(([, blob]) => blob)) {
          this.cache.setFingerprint(fingerprintKey(spec.projectRoot, spec.file, this.snap.blobId(spec.file) ?? '', this.options), { fingerprint: spec.fingerprint, closure: Object.fromEntries(blobs) as Record<string, string> });
        }
        if (spec.file === specFile) result = spec.fingerprint;
      }
      return result ? { fingerprint: result } : { error: `internal: no fingerprint for ${specFile}` };
    } catch (error) {
      return { error: describeError(error) };
    }
  }

  /**
   * Contracts come from the `types` files. When their staged content is what is on disk (the usual case), the
   * resolver reads the workspace (and its cache); otherwise the projects involved are checked out of the index
   * into a temporary folder, so the staged types are the ones used.
   */
  private async resolverFor(specs: readonly ParsedSpec[]): Promise<ContractResolver> {
    const { contracts } = await loadHeavy();
    const typesFiles = [...new Set(specs.flatMap((spec) => (spec.typesFile ? [spec.typesFile] : [])))];
    const sameAsDisk = typesFiles.every((file) => {
      try {
        return gitBlobSha(readFileSync(join(this.input.workspaceRoot, file))) === this.snap.blobId(file);
      } catch {
        return false;
      }
    });
    if (sameAsDisk) {
      this.sharedResolver ??= new contracts.ContractResolver(this.input.workspaceRoot);
      return this.sharedResolver;
    }
    const temp = mkdtempSync(join(tmpdir(), 'specwright-index-'));
    this.tempDirs.push(temp);
    const roots = [...new Set(specs.map((spec) => spec.projectRoot))];
    const wanted = this.snap.paths().filter((path) => path === 'tsconfig.base.json' || roots.some((root) => root === '.' || path.startsWith(`${root}/`)));
    const { prefix, top } = this.input;
    runGit(top, ['checkout-index', '-z', '--stdin', `--prefix=${temp}/`], wanted.map((path) => `${prefix}${path}`).join('\0'));
    const root = join(temp, prefix);
    const modules = join(this.input.workspaceRoot, 'node_modules');
    if (existsSync(modules)) symlinkSync(modules, join(root, 'node_modules'), 'dir');
    return new contracts.ContractResolver(root);
  }
}
