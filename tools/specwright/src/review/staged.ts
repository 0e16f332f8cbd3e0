import { posix } from 'node:path';
import { describeError } from '../errors';
import { canonicalJson, sha256 } from '../fs-utils';
import { INDEX_WORDS, judgeDraftOutput, judgeDuplicateId, judgeDraftSpec, judgeForbidden, judgeInvalidSpec, judgeOrphan, judgeOutput, judgeReview, judgeSpec, type Judgement, type State } from '../judge';
import { isReviewed, parseLock, type LockFile, type LockOutput } from '../lock';
import { normalizeOptions, type NormalizedOptions } from '../options';
import { IndexTree, inRoot, WorkingTree, type SourceTree, type StagedTree } from '../source-tree';
import type { ParsedSpec } from '../types';
import { closureFiles, fingerprintKey, HookCache, summaryKey, summaryOf, type SpecSummary } from './cache';
import { ZERO_SHA, type StagedChange } from './git';
import { CODE_FILE, hasGeneratedMarker, isLockPath, isSpecPath, lockPathOf } from './paths';
import { defaultPolicy, parsePolicy, POLICY_FILE, type Policy } from './policy';

/**
 * The pre-commit check proper: everything is read from the index (what the commit will contain), never from the
 * working tree, so partially staged files are judged by their staged version. Which state a spec or an output is
 * in is decided by judge.ts, the same rules as the pipeline and review use; this module only gathers the facts
 * from the index (which entries the commit touches, their staged content and fingerprints) and adds the facts
 * only the index has: "not staged" (the working tree holds the fix, `git add` it) and "left behind" (a generated
 * file no staged lock owns). The working tree is consulted only for those. The rules run over any StagedTree, so
 * they are unit-tested over a tree in memory (staged.test.ts), without git.
 */

/** The one vocabulary of judge.ts (minus the states that need no action), plus the index's own two facts. */
export type ProblemKind = Exclude<State, 'fresh' | 'reviewed'> | 'not-staged' | 'left-behind';

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

/** What the rules run over: the commit being made, the working tree beside it, and the hook's cache. */
export interface StagedSources {
  /** What the commit will contain (the git index). */
  index: StagedTree;
  /** The working tree, only to tell "not staged" from "edited by hand". */
  disk: SourceTree;
  /** The staged changes (index against HEAD), paths workspace-relative. */
  changes: readonly StagedChange[];
  cache: HookCache;
}

const relativeTo = (root: string, file: string) => (root === '.' ? file : posix.relative(root, file));

let heavy: Promise<typeof import('../load')> | undefined;
/** loadSpecs and what it pulls in (yaml, ajv, the fingerprint, contracts): loaded only when a cache miss needs them. */
function loadHeavy(): Promise<typeof import('../load')> {
  heavy ??= import('../load');
  return heavy;
}

/** What the check had to compute, for SPECWRIGHT_HOOK_TIMING=1 and the benchmark. */
export interface StagedCheckStats {
  /** Specs parsed (YAML + ajv): cache misses. */
  parsed: number;
  fingerprintHits: number;
  fingerprintMisses: number;
}

/** The check over the git index of a workspace (what `specwright hook pre-commit` runs). */
export async function checkStaged(input: StagedCheckInput, stats?: StagedCheckStats): Promise<HookProblem[]> {
  const index = new IndexTree(input.top, input.prefix, input.workspaceRoot);
  try {
    return await checkStagedTree({ index, disk: new WorkingTree(input.workspaceRoot), changes: input.changes, cache: HookCache.open(input.workspaceRoot) }, stats);
  } finally {
    index.dispose();
  }
}

/** The rules over any staged tree (the index, or a tree in memory in unit tests). */
export async function checkStagedTree(sources: StagedSources, stats?: StagedCheckStats): Promise<HookProblem[]> {
  const checker = new StagedChecker(sources);
  try {
    return await checker.run();
  } finally {
    if (stats) Object.assign(stats, checker.stats);
  }
}

type Summary = SpecSummary | { error: string };

class StagedChecker {
  private readonly index: StagedTree;
  private readonly disk: SourceTree;
  private readonly cache: HookCache;
  private readonly changes: readonly StagedChange[];
  private readonly problems = new Map<string, HookProblem>();
  private readonly locks = new Map<string, LockFile | undefined>();
  private readonly diskLocks = new Map<string, LockFile | undefined>();
  private readonly summaries = new Map<string, Summary>();
  private readonly parsed = new Map<string, ParsedSpec>();
  private readonly specsById = new Map<string, string[]>();
  private readonly changesByPath = new Map<string, StagedChange>();
  private options: NormalizedOptions = normalizeOptions({});
  private policy: Policy | undefined = defaultPolicy();
  readonly stats: StagedCheckStats = { parsed: 0, fingerprintHits: 0, fingerprintMisses: 0 };

  constructor(sources: StagedSources) {
    this.index = sources.index;
    this.disk = sources.disk;
    this.cache = sources.cache;
    this.changes = sources.changes;
    for (const change of sources.changes) this.changesByPath.set(change.path, change);
  }

  async run(): Promise<HookProblem[]> {
    const { index } = this;
    const specFiles = index.specFiles();
    // One read for what the check is sure to look at: the changed blobs, the locks of the projects they are in, the
    // project markers, and the specs whose summary is not cached by blob id yet. A spec the cache knows and the lock
    // of a project the commit does not touch are never read, so the cost follows the commit (and what changed since
    // the last review), not the size of the workspace.
    const summaryUnknown = (path: string) => !this.cache.summary(summaryKey(index.ownerRoot(path), path, index.blobId(path) ?? ''));
    const changedRoots = new Set(this.changes.flatMap((change) => [change.path, change.oldPath]).filter((path): path is string => !!path).map((path) => index.ownerRoot(path)));
    index.prefetchBlobs([
      ...index
        .paths()
        .filter((path) => (isSpecPath(path) && summaryUnknown(path)) || /(^|\/)(project|package)\.json$/.test(path) || path === POLICY_FILE || path === 'nx.json')
        .map((path) => index.blobId(path)),
      ...[...changedRoots].map((root) => index.blobId(lockPathOf(root))),
      ...this.changes.flatMap((change) => [change.oldSha, change.newSha]),
    ]);
    this.options = index.pluginOptions();
    this.policy = this.loadStagedPolicy();

    for (const file of specFiles) {
      const summary = await this.summary(file);
      if ('id' in summary) this.specsById.set(summary.id, [...(this.specsById.get(summary.id) ?? []), file]);
    }

    const touched = new Map<string, { root: string; id: string }>();
    const touch = (root: string, id: string) => touched.set(`${root}\0${id}`, { root, id });
    let policyChanged = false;

    for (const change of this.changes) {
      const present = change.status === 'D' ? undefined : change.path;
      const removed = change.status === 'D' ? change.path : change.status === 'R' ? change.oldPath : undefined;
      if (present !== undefined) {
        if (present === POLICY_FILE) policyChanged = true;
        else if (present === 'nx.json') for (const root of this.lockRoots()) for (const id of Object.keys(this.lockOf(root)?.specs ?? {})) touch(root, id);
        else if (isSpecPath(present)) {
          const summary = await this.summary(present);
          if ('error' in summary) this.add(present, judgeInvalidSpec({ specFile: present, project: index.projectName(index.ownerRoot(present)) }, { message: summary.error }, this.options));
          else touch(index.ownerRoot(present), summary.id);
        } else if (isLockPath(present)) {
          this.lockChanged(posix.dirname(present), change.oldSha, touch);
        } else {
          const root = index.ownerRoot(present);
          const owner = this.ownerOf(root, present);
          if (owner) touch(root, owner);
          else if (CODE_FILE.test(present) && hasGeneratedMarker(index.blob(change.newSha))) this.unowned(present, root);
        }
        for (const [file, summary] of this.summaries) if ('id' in summary && summary.typesFile === present) touch(index.ownerRoot(file), summary.id);
        for (const [file, summary] of this.summaries) {
          if ('id' in summary && summary.draft && summary.outputFiles.includes(present)) this.add(present, judgeDraftOutput({ id: summary.id, specFile: file }, present));
        }
      }
      if (removed !== undefined) {
        if (isSpecPath(removed)) this.specRemoved(removed, touch);
        else if (isLockPath(removed) && !index.has(removed)) this.lockChanged(posix.dirname(removed), change.oldSha, touch);
        else {
          const root = index.ownerRoot(removed);
          const owner = this.ownerOf(root, removed);
          if (owner) touch(root, owner);
        }
        for (const [file, summary] of this.summaries) if ('id' in summary && summary.typesFile === removed) touch(index.ownerRoot(file), summary.id);
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
        touch(index.ownerRoot(file), summary.id);
        if (!seen.has(summary.id)) {
          seen.add(summary.id);
          queue.push(summary.id);
        }
      }
    }

    // The locks and outputs of the entries to check (dependents may live in other projects), in two reads rather
    // than one git process each.
    index.prefetchBlobs([...new Set([...touched.values()].map(({ root }) => root))].map((root) => index.blobId(lockPathOf(root))));
    index.prefetchBlobs([...touched.values()].flatMap(({ root, id }) => Object.keys(this.lockOf(root)?.specs[id]?.outputs ?? {}).map((key) => index.blobId(inRoot(root, key)))));
    for (const { root, id } of touched.values()) await this.checkEntry(root, id);
    if (policyChanged && this.policy) this.checkPolicyEverywhere();
    this.cache.save();
    return [...this.problems.values()].sort((a, b) => a.file.localeCompare(b.file) || a.kind.localeCompare(b.kind));
  }

  /** One problem per kind and file: the first (most specific) reason wins. */
  private add(file: string, problem: Judgement | { state: ProblemKind; reason: string; fix: string }): void {
    if (problem.state === 'fresh' || problem.state === 'reviewed') return;
    const key = `${problem.state}\0${file}`;
    if (!this.problems.has(key)) this.problems.set(key, { file, kind: problem.state, reason: problem.reason, fix: problem.fix });
  }

  private loadStagedPolicy(): Policy | undefined {
    const blob = this.index.blobId(POLICY_FILE);
    if (!blob) return defaultPolicy();
    const cached = this.cache.policy(blob);
    if (cached) return cached;
    try {
      const policy = parsePolicy(this.index.text(POLICY_FILE) ?? '', POLICY_FILE);
      this.cache.setPolicy(blob, policy);
      return policy;
    } catch (error) {
      this.add(POLICY_FILE, { state: 'invalid', reason: describeError(error), fix: `fix ${POLICY_FILE}` });
      return undefined;
    }
  }

  private lockRoots(): string[] {
    return this.index
      .paths()
      .filter(isLockPath)
      .map((path) => posix.dirname(path));
  }

  /** The staged lock of a project (empty when there is none); `undefined` when it cannot be read (reported). */
  private lockOf(root: string): LockFile | undefined {
    if (!this.locks.has(root)) {
      const path = lockPathOf(root);
      const text = this.index.text(path);
      let lock: LockFile | undefined = { lockVersion: 1, specs: {} };
      if (text !== undefined) {
        try {
          lock = parseLock(text, path);
        } catch (error) {
          lock = undefined;
          this.add(path, { state: 'invalid', reason: describeError(error), fix: `fix ${path}, then run \`nx ${this.options.generateTargetName} --check\`` });
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
        const text = this.disk.text(lockPathOf(root));
        lock = text === undefined ? { lockVersion: 1, specs: {} } : parseLock(text, lockPathOf(root));
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
    const root = this.index.ownerRoot(file);
    const key = summaryKey(root, file, this.index.blobId(file) ?? '');
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

  /**
   * loadSpecs' own parse stage, without the check that listed files exist: a summary is cached by the spec's own
   * blob id, so it must not depend on other files (a `types` file that is not staged is reported by fingerprintOf).
   */
  private async parse(file: string): Promise<ParsedSpec> {
    const known = this.parsed.get(file);
    if (known) return known;
    const { parseTreeSpec } = await loadHeavy();
    const root = this.index.ownerRoot(file);
    const parsed = parseTreeSpec(this.index, file, { root, name: this.index.projectName(root) }, { checkListedFiles: false, parsed: this.parsed });
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
      if ((this.specsById.get(id) ?? []).some((file) => this.index.ownerRoot(file) === root)) {
        touch(root, id);
        continue;
      }
      for (const key of Object.keys(entry.outputs)) {
        const file = inRoot(root, key);
        if (!this.index.has(file)) continue;
        // Index-only fact: the entry left the staged lock, the file did not leave the index.
        this.add(file, { state: 'left-behind', reason: `generated from spec "${id}", whose entry was removed from ${lockPathOf(root)}, but the file is still staged`, fix: `git rm ${file}` });
      }
    }
  }

  private parseOld(sha: string, path: string): LockFile {
    const text = this.index.blob(sha)?.toString('utf8');
    if (text === undefined) return { lockVersion: 1, specs: {} };
    try {
      return parseLock(text, path);
    } catch {
      return { lockVersion: 1, specs: {} };
    }
  }

  /** A spec file left the index (deleted, or renamed away): its lock entry must not stay behind. */
  private specRemoved(file: string, touch: (root: string, id: string) => void): void {
    const root = this.index.ownerRoot(file);
    const lock = this.lockOf(root);
    for (const [id, entry] of Object.entries(lock?.specs ?? {})) {
      if (inRoot(root, entry.spec) !== file) continue;
      const stillHere = (this.specsById.get(id) ?? []).some((other) => this.index.ownerRoot(other) === root);
      if (stillHere) {
        touch(root, id);
        continue;
      }
      const outputs = Object.keys(entry.outputs)
        .map((key) => inRoot(root, key))
        .filter((output) => this.index.has(output));
      this.add(file, judgeOrphan({ id, specFile: file, project: this.index.projectName(root), lockPath: lockPathOf(root) }, outputs, INDEX_WORDS));
    }
  }

  /** Index-only fact: a staged file with the generated header that no staged lock owns. */
  private unowned(file: string, root: string): void {
    const lockPath = lockPathOf(root);
    const onDisk = Object.entries(this.diskLockOf(root)?.specs ?? {}).some(([, entry]) => entry.outputs[relativeTo(root, file)] !== undefined);
    this.add(file, {
      state: onDisk ? 'not-staged' : 'left-behind',
      reason: onDisk ? `carries the Specwright header, and ${lockPath} on disk records it, but the staged ${lockPath} does not` : `carries the Specwright header, but no lock entry owns it (its spec was deleted or renamed)`,
      fix: onDisk ? `git add ${lockPath}` : `git rm ${file}   (or regenerate it from the spec that should own it)`,
    });
  }

  private async checkEntry(root: string, id: string): Promise<void> {
    const lock = this.lockOf(root);
    if (!lock) return;
    const lockPath = lockPathOf(root);
    const entry = lock.specs[id];
    const candidates = this.specsById.get(id) ?? [];
    const specFile = candidates.find((file) => this.index.ownerRoot(file) === root);
    const project = this.index.projectName(root);
    if (candidates.length > 1) {
      // From the summaries (no parse needed), the same verdict loadSpecs' duplicate-id error leads to.
      this.add(candidates[1] as string, judgeDuplicateId(id, candidates));
    }
    if (!entry) {
      if (!specFile) return;
      const summary = this.summaries.get(specFile);
      if (summary && 'draft' in summary && summary.draft) {
        this.add(specFile, judgeDraftSpec({ id, specFile }));
        return;
      }
      const onDisk = this.diskLockOf(root)?.specs[id];
      if (onDisk) {
        // Index-only fact: the working tree's lock has the entry; staging it is the fix.
        const outputs = Object.keys(onDisk.outputs).map((key) => inRoot(root, key));
        this.add(specFile, { state: 'new', reason: `spec "${id}" was generated, but ${lockPath} is not staged`, fix: `git add ${[lockPath, ...outputs].join(' ')}` });
      } else {
        this.add(specFile, judgeSpec({ id, specFile, project, projectRoot: root, lockPath }, this.options, INDEX_WORDS));
      }
      return;
    }
    const outputs = Object.keys(entry.outputs).map((key) => inRoot(root, key));
    const ref = { id, specFile: specFile ?? inRoot(root, entry.spec), project, lockPath };
    if (!specFile) {
      this.add(ref.specFile, judgeOrphan(ref, outputs.filter((output) => this.index.has(output)), INDEX_WORDS));
      return;
    }

    const fingerprint = await this.fingerprintOf(specFile);
    if ('error' in fingerprint) {
      this.add(specFile, judgeInvalidSpec(ref, { message: fingerprint.error }, this.options));
    } else {
      const verdict = judgeSpec({ ...ref, projectRoot: root, entry, fingerprint: fingerprint.fingerprint }, this.options, INDEX_WORDS);
      if (verdict.state === 'stale' && this.diskLockOf(root)?.specs[id]?.fingerprint === fingerprint.fingerprint) {
        // Index-only fact: the working tree holds the regenerated lock; staging it is the fix.
        this.add(specFile, { state: 'stale', reason: `spec "${id}" was regenerated, but the new ${lockPath} is not staged`, fix: `git add ${[lockPath, ...outputs].join(' ')}` });
      } else {
        this.add(specFile, verdict);
      }
    }
    for (const [key, output] of Object.entries(entry.outputs)) this.checkOutput(root, key, output, ref);
  }

  private checkOutput(root: string, key: string, output: LockOutput, ref: { id: string; specFile: string; project: string; lockPath: string }): void {
    const file = inRoot(root, key);
    const content = this.index.bytes(file);
    if (!content && this.disk.has(file)) {
      // Index-only fact: the file is there, just not staged.
      this.add(file, { state: 'missing', reason: `output of spec "${ref.id}" is not staged, but the staged ${ref.lockPath} records it`, fix: `git add ${file}` });
      return;
    }
    const hash = content ? sha256(content) : undefined;
    const facts = { ...ref, file, output, ...(hash ? { currentHash: hash } : {}), ...(this.policy ? { policy: this.policy } : {}) };
    const restore = hash !== undefined && hash !== output.hash ? this.restoreFromHead(file, output) : undefined;
    for (const verdict of judgeOutput({ ...facts, ...(restore ? { restore } : {}) }, this.options, INDEX_WORDS)) {
      if (verdict.state === 'drifted') {
        // Index-only facts: the working tree may hold what belongs in the commit.
        const diskContent = this.disk.bytes(file);
        const diskEntry = this.diskLockOf(root)?.specs[ref.id]?.outputs[key];
        if (diskContent && sha256(diskContent) === output.hash) {
          this.add(file, { state: 'not-staged', reason: `the staged version is not what spec "${ref.id}" generated, but the working tree's is`, fix: `git add ${file}` });
          continue;
        }
        if (diskEntry?.hash === hash) {
          this.add(file, { state: 'not-staged', reason: `regenerated from spec "${ref.id}", but the new ${ref.lockPath} is not staged`, fix: `git add ${ref.lockPath}` });
          continue;
        }
      }
      this.add(file, verdict);
    }
  }

  /** `git checkout HEAD -- file` when HEAD holds the generated content, so dropping the edit is a fix. */
  private restoreFromHead(file: string, output: LockOutput): string | undefined {
    const headSha = this.changesByPath.get(file)?.oldSha;
    const head = headSha && headSha !== ZERO_SHA ? this.index.blob(headSha) : undefined;
    return head && sha256(head) === output.hash ? `git checkout HEAD -- ${file}` : undefined;
  }

  /** After a policy change: every generated file in the index must still be allowed, and approved by the right people. */
  private checkPolicyEverywhere(): void {
    const policy = this.policy as Policy;
    for (const root of this.lockRoots()) {
      for (const [id, entry] of Object.entries(this.lockOf(root)?.specs ?? {})) {
        for (const [key, output] of Object.entries(entry.outputs)) {
          const file = inRoot(root, key);
          if (!this.index.has(file)) continue;
          const forbidden = judgeForbidden(policy, file);
          if (forbidden) this.add(file, forbidden);
          // Only the reviewer rule: an approval the new policy no longer accepts (other outputs were not touched).
          if (isReviewed(output)) this.add(file, judgeReview({ id, file, output, policy, lockPath: lockPathOf(root) }, INDEX_WORDS));
        }
      }
    }
  }

  /**
   * The fingerprint of a staged spec, from the cache when every input is unchanged, else through loadSpecs over the
   * index for the spec and its dependencies (the one parse → contracts → fingerprint path).
   */
  private async fingerprintOf(specFile: string): Promise<{ fingerprint: string } | { error: string }> {
    const { index } = this;
    const root = index.ownerRoot(specFile);
    const key = fingerprintKey(root, specFile, index.blobId(specFile) ?? '', this.options);
    const hit = this.cache.fingerprint(key, (file) => index.blobId(file));
    if (hit) {
      this.stats.fingerprintHits++;
      return { fingerprint: hit };
    }
    this.stats.fingerprintMisses++;
    try {
      const { loadSpecs } = await loadHeavy();
      // The spec and its dependencies, each parsed at most once (shared with the summaries).
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
        if (spec.typesFile && !index.has(spec.typesFile)) {
          return { error: `types file ${spec.typesFile} of spec "${spec.spec.id}" is not staged (git add ${spec.typesFile})` };
        }
      }
      const files = [...closure.values()].map((spec) => spec.file);
      const roots = [...new Set([...closure.values()].map((spec) => spec.projectRoot))];
      const loaded = loadSpecs(
        index,
        roots.map((projectRoot) => ({ root: projectRoot, name: index.projectName(projectRoot) })),
        this.options,
        { files, checkListedFiles: false, parsed: this.parsed },
      );
      let result: string | undefined;
      for (const spec of loaded.specs) {
        const blobs = closureFiles(spec, closure).map((file) => [file, index.blobId(file)] as const);
        if (blobs.every(([, blob]) => blob)) {
          this.cache.setFingerprint(fingerprintKey(spec.projectRoot, spec.file, index.blobId(spec.file) ?? '', this.options), { fingerprint: spec.fingerprint, closure: Object.fromEntries(blobs) as Record<string, string> });
        }
        if (spec.file === specFile) result = spec.fingerprint;
      }
      if (result) return { fingerprint: result };
      const failure = loaded.failures.find((candidate) => candidate.file === specFile) ?? loaded.failures[0];
      return { error: failure ? describeError(failure.error) : `internal: no fingerprint for ${specFile}` };
    } catch (error) {
      return { error: describeError(error) };
    }
  }
}
