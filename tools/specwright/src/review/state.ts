import { posix } from 'node:path';
import { discoverSpecProjects, projectNameOf } from '../discover';
import type { SpecwrightError } from '../errors';
import { sha256 } from '../fs-utils';
import { loadSpecs, type LoadedWorkspace, type ProjectRef, type SpecFailure } from '../load';
import { generateFix, type TargetNames } from '../fix-commands';
import { judgeOutput, type OutputState } from '../judge';
import { emptyLock, LOCK_FILE_NAME, parseLock, type LockEntry, type LockOutput } from '../lock';
import { normalizeOptions, type NormalizedOptions } from '../options';
import { inRoot, WorkingTree, type SourceTree } from '../source-tree';
import type { FingerprintedSpec } from '../types';
import { tryGit } from './git';
import type { Policy } from './policy';

/**
 * The review state of the working tree: one item per output recorded in a lock, its status decided by judge.ts
 * (judgeOutput, the first verdict). An output is reviewed iff its lock review is for its content — and, since a
 * review is only worth something for the content that is actually there and for the spec as it is now, the file
 * must still have that hash (else: drifted) and the spec must still have the fingerprint the lock recorded (else:
 * stale).
 */

/** The states judge.ts gives an output (part of its one vocabulary). */
export type ReviewStatus = OutputState;

export interface ReviewItem {
  project: ProjectRef;
  /** Workspace-relative. */
  lockFile: string;
  specId: string;
  /** Workspace-relative spec file (the loaded spec's, else the one the lock names). */
  specFile: string;
  /** Workspace-relative output file. */
  file: string;
  /** The output's key in the lock (project-relative). */
  key: string;
  entry: LockEntry;
  output: LockOutput;
  /** Hash of the file on disk; `undefined` when it does not exist. */
  currentHash?: string;
  status: ReviewStatus;
  /** One line, for people. */
  reason: string;
  /** The command or edit that resolves it. */
  fix: string;
}

export interface ReviewState {
  items: ReviewItem[];
  /** The specs loaded to judge staleness (also used to warm the hook's cache). */
  specs: FingerprintedSpec[];
  failures: SpecFailure[];
}

export interface ReviewStateRequest {
  workspaceRoot: string;
  projects: readonly ProjectRef[];
  /** Loaded only for the fingerprints of dependencies. */
  dependencyProjects?: readonly ProjectRef[];
  options: NormalizedOptions;
  /** `undefined`: no policy checks (e.g. the policy itself is invalid and was reported). */
  policy?: Policy;
  /** Specs already loaded by the caller (projects and dependency projects), so a run loads them once. */
  loaded?: LoadedWorkspace;
  /** What to judge: the working tree of `workspaceRoot` unless given (unit tests pass a tree in memory). */
  tree?: SourceTree;
}

export const lockFileOf = (root: string) => inRoot(root, LOCK_FILE_NAME);

/** The command that regenerates one spec (default target names unless the workspace's are given). */
export function regenerateCommand(project: string, specId: string, names: TargetNames = normalizeOptions({})): string {
  return generateFix(names, { project, spec: specId });
}

/** Every project with specs, plus projects that only have a lock left (all their specs deleted). */
export function allReviewProjects(workspaceRoot: string): ProjectRef[] {
  const roots = new Set(discoverSpecProjects(workspaceRoot).keys());
  const locks = tryGit(workspaceRoot, ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', `*${LOCK_FILE_NAME}`]) ?? '';
  for (const file of locks.split('\0')) {
    if (file === LOCK_FILE_NAME) roots.add('.');
    else if (file.endsWith(`/${LOCK_FILE_NAME}`) && !file.split('/').includes('node_modules')) roots.add(posix.dirname(file));
  }
  return [...roots].sort().map((root) => ({ root, name: projectNameOf(workspaceRoot, root) }));
}

export function collectReviewState(request: ReviewStateRequest): ReviewState {
  const { workspaceRoot, projects, options, policy } = request;
  const tree = request.tree ?? new WorkingTree(workspaceRoot);
  const loaded = request.loaded ?? loadSpecs(tree, [...projects, ...(request.dependencyProjects ?? [])], options);
  const byId = new Map(loaded.specs.map((spec) => [spec.spec.id, spec]));
  const failed = new Map<string, SpecwrightError>(loaded.failures.map((failure) => [failure.file, failure.error]));
  const items: ReviewItem[] = [];
  for (const project of projects) {
    const lockFile = lockFileOf(project.root);
    const lockText = tree.text(lockFile);
    const lock = lockText === undefined ? emptyLock() : parseLock(lockText, lockFile);
    for (const [specId, entry] of Object.entries(lock.specs).sort(([a], [b]) => a.localeCompare(b))) {
      const recordedSpec = inRoot(project.root, entry.spec);
      const spec = byId.get(specId);
      const specFile = spec?.file ?? recordedSpec;
      const failure = failed.get(specFile);
      // The spec's side of the judgement: it cannot be loaded, it is gone from this project, or its fingerprint.
      const specSide = failure
        ? { invalid: { message: failure.message, ...(failure.fix ? { fix: failure.fix } : {}) } }
        : !spec || spec.projectRoot !== project.root
          ? { orphaned: true as const }
          : { fingerprint: spec.fingerprint, lockedFingerprint: entry.fingerprint };
      for (const [key, output] of Object.entries(entry.outputs).sort(([a], [b]) => a.localeCompare(b))) {
        const file = inRoot(project.root, key);
        const content = tree.bytes(file);
        const currentHash = content ? sha256(content) : undefined;
        const base = { project, lockFile, specId, specFile, file, key, entry, output, ...(currentHash ? { currentHash } : {}) };
        const [{ state, reason, fix }] = judgeOutput(
          {
            id: specId,
            specFile,
            project: project.name,
            lockPath: lockFile,
            file,
            output,
            ...(currentHash ? { currentHash } : {}),
            spec: specSide,
            restore: `git checkout -- ${file}`,
            ...(policy ? { policy } : {}),
          },
          options,
        );
        items.push({ ...base, status: state, reason, fix });
      }
    }
  }
  return { items, specs: loaded.specs, failures: loaded.failures };
}
