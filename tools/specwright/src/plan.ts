import { posix } from 'node:path';
import type { LockEntry, LockFile } from './lock';
import type { FingerprintedSpec, OutputStatus, PlannedSpec, SpecState } from './types';

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
 * Decides, for every spec, its state and whether this run generates it. Pure: the file hashes come in through
 * `readHash`. A drifted output (its content differs from what was generated) wins over every other state,
 * because regenerating it would destroy a person's edit; only `--force` does that, and the writer backs it up.
 */
export function planSpecs(specs: readonly FingerprintedSpec[], locks: ReadonlyMap<string, LockFile>, readHash: HashReader, flags: PlanFlags): PlannedSpec[] {
  return specs.map((spec) => {
    const entry = locks.get(spec.projectRoot)?.specs[spec.spec.id];
    const outputs = spec.outputFiles.map((file) => outputStatus(spec, entry, file, readHash));
    const { state, reason } = stateOf(spec, entry, outputs);
    const selected = flags.only.length === 0 || flags.only.includes(spec.spec.id);
    const generate = selected && (flags.force || state === 'stale' || state === 'new' || state === 'missing');
    return { spec, state, reason, outputs, generate };
  });
}

function outputStatus(spec: FingerprintedSpec, entry: LockEntry | undefined, file: string, readHash: HashReader): OutputStatus {
  const hash = readHash(file);
  const lockedHash = entry?.outputs[projectRelative(spec.projectRoot, file)]?.hash;
  // A file at an output path that no lock entry accounts for was written by a person: treat it as drifted.
  const drifted = hash !== undefined && hash !== lockedHash;
  return { file, exists: hash !== undefined, ...(hash ? { hash } : {}), ...(lockedHash ? { lockedHash } : {}), drifted };
}

function stateOf(spec: FingerprintedSpec, entry: LockEntry | undefined, outputs: OutputStatus[]): { state: SpecState; reason: string } {
  const drifted = outputs.filter((output) => output.drifted);
  if (drifted.length > 0) {
    const files = drifted.map((output) => output.file).join(', ');
    return {
      state: 'drifted',
      reason: entry ? `${files} edited by hand since generation` : `${files} exists but was not generated from this spec`,
    };
  }
  if (!entry) return { state: 'new', reason: 'never generated' };
  const missing = outputs.filter((output) => !output.exists);
  if (missing.length > 0) return { state: 'missing', reason: `${missing.map((output) => output.file).join(', ')} missing` };
  if (entry.fingerprint !== spec.fingerprint) return { state: 'stale', reason: 'spec, contracts, dependencies or model settings changed since generation' };
  return { state: 'fresh', reason: 'up to date' };
}
