import { join, posix } from 'node:path';
import { discoverSpecProjects, projectNameOf } from '../discover';
import type { SpecwrightError } from '../errors';
import { fileHashIfExists } from '../fs-utils';
import { loadSpecs, type LoadedWorkspace, type ProjectRef, type SpecFailure } from '../load';
import { isReviewed, LOCK_FILE_NAME, readLock, type LockEntry, type LockOutput } from '../lock';
import type { NormalizedOptions } from '../options';
import type { FingerprintedSpec } from '../types';
import { tryGit } from './git';
import { checkGenerationAllowed, checkReviewer, type Policy } from './policy';

/**
 * The review state of the working tree: one item per output recorded in a lock. An output is reviewed iff its
 * lock `review.hash` equals its lock `hash` — and, since a review is only worth something for the content that
 * is actually there and for the spec as it is now, the file must still have that hash (else: drifted) and the
 * spec must still have the fingerprint the lock recorded (else: stale).
 */

export type ReviewStatus = 'reviewed' | 'unreviewed' | 'drifted' | 'stale' | 'missing' | 'orphaned' | 'invalid' | 'forbidden';

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
}

export const inRoot = (root: string, relative: string) => (root === '.' ? relative : `${root}/${relative}`);
export const lockFileOf = (root: string) => inRoot(root, LOCK_FILE_NAME);

export function regenerateCommand(project: string, specId: string): string {
  return `nx generate-from-spec ${project} --spec ${specId}`;
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
  const loaded = request.loaded ?? loadSpecs(workspaceRoot, [...projects, ...(request.dependencyProjects ?? [])], options);
  const byId = new Map(loaded.specs.map((spec) => [spec.spec.id, spec]));
  const failed = new Map<string, SpecwrightError>(loaded.failures.map((failure) => [failure.file, failure.error]));
  const items: ReviewItem[] = [];
  for (const project of projects) {
    const lock = readLock(workspaceRoot, project.root);
    const lockFile = lockFileOf(project.root);
    for (const [specId, entry] of Object.entries(lock.specs).sort(([a], [b]) => a.localeCompare(b))) {
      const recordedSpec = inRoot(project.root, entry.spec);
      const spec = byId.get(specId);
      const specFile = spec?.file ?? recordedSpec;
      const failure = failed.get(specFile);
      const regenerate = regenerateCommand(project.name, specId);
      for (const [key, output] of Object.entries(entry.outputs).sort(([a], [b]) => a.localeCompare(b))) {
        const file = inRoot(project.root, key);
        const currentHash = fileHashIfExists(join(workspaceRoot, file));
        const base = { project, lockFile, specId, specFile, file, key, entry, output, ...(currentHash ? { currentHash } : {}) };
        const judge = (): Pick<ReviewItem, 'status' | 'reason' | 'fix'> => {
          if (failure) return { status: 'invalid', reason: `spec ${specFile} cannot be loaded: ${failure.message}`, fix: failure.fix ?? `fix ${specFile}` };
          if (!spec || spec.projectRoot !== project.root) {
            return { status: 'orphaned', reason: `spec "${specId}" (${recordedSpec}) no longer exists in this project, but its lock entry and output remain`, fix: 'npx specwright review --prune' };
          }
          if (currentHash === undefined) return { status: 'missing', reason: 'the file does not exist', fix: regenerate };
          if (currentHash !== output.hash) {
            return {
              status: 'drifted',
              reason: 'edited by hand since it was generated (its content hash is not the lock\'s)',
              fix: `move the change into ${specFile} and run \`${regenerate} --force\` (keeps a backup of the edit), or restore the generated file (git checkout -- ${file})`,
            };
          }
          if (spec.fingerprint !== entry.fingerprint) return { status: 'stale', reason: 'the spec (or its contracts, dependencies or model settings) changed since generation', fix: regenerate };
          const refused = policy ? checkGenerationAllowed(policy, [file])[0] : undefined;
          if (refused) return { status: 'forbidden', reason: refused.message, fix: refused.fix };
          if (isReviewed(output)) {
            const reviewer = policy && output.review ? checkReviewer(policy, file, output.review.by) : undefined;
            if (reviewer) return { status: 'unreviewed', reason: reviewer.message, fix: reviewer.fix };
            return { status: 'reviewed', reason: `reviewed by ${output.review?.by} at ${output.review?.at}`, fix: '' };
          }
          return {
            status: 'unreviewed',
            reason: output.review ? `the review on record (${output.review.by}, ${output.review.at}) is for earlier content` : 'never reviewed',
            fix: `npx specwright review ${file}`,
          };
        };
        items.push({ ...base, ...judge() });
      }
    }
  }
  return { items, specs: loaded.specs, failures: loaded.failures };
}
