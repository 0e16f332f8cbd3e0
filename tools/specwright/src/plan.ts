import { posix } from 'node:path';
import type { LockEntry, LockFile } from './lock';
import type { TargetNames } from './fix-commands';
import { isDrifted, judgeSpec } from './judge';
import { normalizeOptions } from './options';
import { lockPathOf } from './review/paths';
import type { FingerprintedSpec, OutputStatus, PlannedSpec } from './types';

export interface PlanFlags {
  /** Regenerate even fresh specs, and overwrite drifted outputs (after a backup). */
  force: boolean;
  /** Only these spec ids (all when empty). */
  only: readonly string[];
}

/** Reads the current hash of a workspace-relative file, `undefined` when it does not exist. */
export type HashReader = (file: string) => string | undefined;

export function projectRelative(projectRoot: string, file: string): string {
  return projectRoot === '.' ? file : posix.relative(projectRoot, file);
}

/**
 * Decides, for every spec, whether this run generates it; its state comes from judge.ts (the one place states are
 * decided: a drifted output wins over every other state, because regenerating it would destroy a person's edit;
 * only `--force` does that, and the writer backs it up). Pure: the file hashes come in through `readHash`.
 */
export function planSpecs(specs: readonly FingerprintedSpec[], locks: ReadonlyMap<string, LockFile>, readHash: HashReader, flags: PlanFlags, names: TargetNames = normalizeOptions({})): PlannedSpec[] {
  return specs.map((spec) => {
    const entry = locks.get(spec.projectRoot)?.specs[spec.spec.id];
    const outputs = spec.outputFiles.map((file) => outputStatus(spec, entry, file, readHash));
    const { state, reason } = judgeSpec(
      { id: spec.spec.id, specFile: spec.file, project: spec.project, projectRoot: spec.projectRoot, lockPath: lockPathOf(spec.projectRoot), fingerprint: spec.fingerprint, outputs, ...(entry ? { entry } : {}) },
      names,
    );
    const selected = flags.only.length === 0 || flags.only.includes(spec.spec.id);
    const generate = selected && (flags.force || state === 'stale' || state === 'new' || state === 'missing');
    return { spec, state, reason, outputs, generate };
  });
}

function outputStatus(spec: FingerprintedSpec, entry: LockEntry | undefined, file: string, readHash: HashReader): OutputStatus {
  const hash = readHash(file);
  const lockedHash = entry?.outputs[projectRelative(spec.projectRoot, file)]?.hash;
  // A file at an output path that no lock entry accounts for was written by a person: judge.ts calls it drifted.
  return { file, exists: hash !== undefined, ...(hash ? { hash } : {}), ...(lockedHash ? { lockedHash } : {}), drifted: isDrifted(hash, lockedHash) };
}
