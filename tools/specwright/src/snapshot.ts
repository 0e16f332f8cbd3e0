import { join } from 'node:path';
import { ContractResolver } from './contracts';
import type { TargetNames } from './fix-commands';
import { draftRefusal } from './decompose/draft';
import { SpecwrightError, isSpecwrightError, describeError } from './errors';
import { fileHashIfExists, readTextIfExists } from './fs-utils';
import { loadSpecs, type LoadedWorkspace, type ProjectRef, type SpecFailure } from './load';
import { LOCK_FILE_NAME, readLock, type LockFile } from './lock';
import type { NormalizedOptions } from './options';
import { planSpecs, type PlanFlags } from './plan';
import { inRoot } from './source-tree';
import { checkGenerationAllowed, defaultPolicy, parsePolicy, POLICY_FILE, type Policy } from './review/policy';
import type { FingerprintedSpec, PlannedSpec } from './types';

/**
 * What one run knows about the workspace, read once at its start: the specs (parsed, resolved, fingerprinted) with
 * the failures of those that could not be, the locks of the target projects, and the policy — or why the policy
 * cannot be used. Every stage of the run (plan, sink, review state, ci-check's policy checks) reads this instead of
 * the disk, so a run parses and fingerprints each spec once and reads the policy once.
 */
export interface RunSnapshot {
  workspaceRoot: string;
  /** The projects whose specs the run checks or generates. */
  projects: readonly ProjectRef[];
  /** Projects loaded only because the specs of `projects` depend on theirs. */
  dependencyProjects: readonly ProjectRef[];
  /** Every spec of `projects` and `dependencyProjects`, as loadSpecs returned them (for review state, the hook cache). */
  loaded: LoadedWorkspace;
  specsById: ReadonlyMap<string, FingerprintedSpec>;
  /** The valid specs of the target projects, dependencies before dependents. */
  own: FingerprintedSpec[];
  /** The load failures inside the target projects (a broken dependency project is its own run's problem). */
  failures: SpecFailure[];
  /** The lock of each target project, by project root. */
  locks: ReadonlyMap<string, LockFile>;
  /** `specs/policy.yaml` (or the default when there is none); `undefined` when it is invalid. */
  policy: Policy | undefined;
  /** The policy file's text, when there is one. */
  policySource?: string;
  /** Why the policy cannot be used: file:line:column, what is wrong, the fix. */
  policyError?: SpecwrightError;
}

export interface SnapshotRequest {
  workspaceRoot: string;
  projects: readonly ProjectRef[];
  dependencyProjects?: readonly ProjectRef[];
  options: NormalizedOptions;
}

export function loadSnapshot(request: SnapshotRequest): RunSnapshot {
  const { workspaceRoot, projects, options } = request;
  const dependencyProjects = request.dependencyProjects ?? [];
  const loaded = loadSpecs(workspaceRoot, [...projects, ...dependencyProjects], options, new ContractResolver(workspaceRoot));
  const targetRoots = new Set(projects.map((project) => project.root));
  const failures = loaded.failures.filter((failure) => [...targetRoots].some((root) => root === '.' || failure.file.startsWith(`${root}/`)));
  const locks = new Map<string, LockFile>();
  for (const project of projects) locks.set(project.root, readLock(workspaceRoot, project.root));
  // Read once, kept as text too: the hook cache is keyed by the policy's source.
  const policySource = readTextIfExists(join(workspaceRoot, POLICY_FILE));
  const { policy, policyError } = policyOf(policySource);
  return {
    workspaceRoot,
    projects,
    dependencyProjects,
    loaded,
    specsById: new Map(loaded.specs.map((spec) => [spec.spec.id, spec])),
    own: loaded.specs.filter((spec) => targetRoots.has(spec.projectRoot)),
    failures,
    locks,
    policy,
    ...(policySource !== undefined ? { policySource } : {}),
    ...(policyError ? { policyError } : {}),
  };
}

/**
 * The policy a text reads as, or why it cannot be used. The last answer is kept: every task of an Nx batch takes a
 * snapshot, and the policy is the same text each time (parsing and validating it 50 times cost more than the specs'
 * own reading). A snapshot's policy is only read, never changed.
 */
let lastPolicy: { source: string | undefined; read: Pick<RunSnapshot, 'policy' | 'policyError'> } | undefined;

function policyOf(source: string | undefined): Pick<RunSnapshot, 'policy' | 'policyError'> {
  if (lastPolicy && lastPolicy.source === source) return lastPolicy.read;
  let read: Pick<RunSnapshot, 'policy' | 'policyError'>;
  try {
    read = { policy: source === undefined ? defaultPolicy() : parsePolicy(source, POLICY_FILE) };
  } catch (error) {
    read = { policy: undefined, policyError: isSpecwrightError(error) ? error : new SpecwrightError(describeError(error), { file: POLICY_FILE, fix: `edit ${POLICY_FILE}`, code: 'POLICY_INVALID', cause: error }) };
  }
  lastPolicy = { source, read };
  return read;
}

/**
 * What the snapshot itself says is wrong, for every kind of run: the target projects' specs that cannot be loaded,
 * and an unreadable policy (a problem of its own; the plan also refuses every spec it would have had to allow).
 */
export function snapshotProblems(snapshot: RunSnapshot): SpecFailure[] {
  const policy = snapshot.policyError ? [{ file: snapshot.policyError.file ?? POLICY_FILE, error: snapshot.policyError }] : [];
  return [...snapshot.failures, ...policy];
}

/**
 * The plan of the snapshot's specs (all of them, or `flags.only`), each with the reason it must not be generated,
 * when there is one: a draft, outputs the policy refuses, or a policy that cannot be read (generating past a policy
 * nobody can read would bypass it). Whether a refusal fails the spec is the sinks' one rule (`refusedOutcome`).
 */
export function planSnapshot(snapshot: RunSnapshot, flags: PlanFlags, names: TargetNames): PlannedSpec[] {
  const only = flags.only ?? [];
  const selected = only.length > 0 ? snapshot.own.filter((spec) => only.includes(spec.spec.id)) : snapshot.own;
  const readHash = (file: string) => fileHashIfExists(join(snapshot.workspaceRoot, file), file);
  return planSpecs(selected, snapshot.locks, readHash, flags, names).map((planned) => {
    const refusal = refusalOf(snapshot, planned.spec);
    return refusal === undefined ? planned : { ...planned, refusal };
  });
}

function refusalOf(snapshot: RunSnapshot, spec: FingerprintedSpec): string | undefined {
  if (spec.spec.draft) return draftRefusal(spec);
  if (!snapshot.policy) {
    const where = snapshot.policyError?.location ?? POLICY_FILE;
    return `cannot tell whether ${POLICY_FILE} allows generating ${spec.outputFiles.join(', ')}: the policy is invalid (${where}); fix it first`;
  }
  const refused = checkGenerationAllowed(snapshot.policy, spec.outputFiles);
  return refused.length === 0 ? undefined : refused.map((finding) => `${finding.message}; ${finding.fix}`).join('\n');
}

/** The fix for an orphaned lock entry: drops lock entries (and their outputs) whose spec is gone, after a diff. */
export const PRUNE_FIX = 'npx specwright review --prune';

/**
 * Lock entries of the target projects whose spec is gone: the spec file was deleted, or its `id:` changed. A spec
 * that exists but cannot be loaded is not gone (its failure is reported already). Each is a problem, pointing at
 * the entry in the lock file, with the fix.
 */
export function orphanedLockEntries(snapshot: RunSnapshot): SpecFailure[] {
  const failedFiles = new Set(snapshot.loaded.failures.map((failure) => failure.file));
  const problems: SpecFailure[] = [];
  for (const project of snapshot.projects) {
    const lock = snapshot.locks.get(project.root);
    if (!lock) continue;
    const lockFile = inRoot(project.root, LOCK_FILE_NAME);
    for (const [id, entry] of Object.entries(lock.specs).sort(([a], [b]) => a.localeCompare(b))) {
      // An entry without outputs leaves nothing behind (and `review --prune` works on outputs): not a problem.
      if (Object.keys(entry.outputs).length === 0) continue;
      const spec = snapshot.specsById.get(id);
      if (spec && spec.projectRoot === project.root) continue;
      const recordedSpec = inRoot(project.root, entry.spec);
      if (failedFiles.has(spec?.file ?? recordedSpec)) continue;
      const outputs = Object.keys(entry.outputs).map((key) => inRoot(project.root, key));
      const holder = [...snapshot.specsById.values()].find((candidate) => candidate.file === recordedSpec && candidate.projectRoot === project.root);
      const why = holder
        ? `its spec file ${recordedSpec} now has the id "${holder.spec.id}"`
        : spec
          ? `spec "${id}" now lives in another project (${spec.file})`
          : `its spec file ${recordedSpec} no longer exists`;
      problems.push({
        file: lockFile,
        error: new SpecwrightError(`orphaned lock entry "${id}": ${why}, but the entry${outputs.length ? ` and its output${outputs.length === 1 ? '' : 's'} (${outputs.join(', ')})` : ''} remain`, {
          file: lockFile,
          expected: 'a lock entry for every spec, and none for a spec that is gone',
          fix: `\`${PRUNE_FIX}\` (removes the entry and its unedited outputs), or restore ${recordedSpec}`,
          code: 'ORPHANED_LOCK_ENTRY',
        }),
      });
    }
  }
  return problems;
}
