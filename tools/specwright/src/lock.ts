import { join } from 'node:path';
import { SpecwrightError } from './errors';
import { readTextIfExists, sha256, stableStringify, writeFileAtomic } from './fs-utils';
import { stripGeneratedHeader } from './header';
import type { AttemptRecord, TokenUsage } from './types';

export const LOCK_FILE_NAME = 'specwright.lock.json';
export const LOCK_VERSION = 1;

/**
 * Who approved which content. An output is reviewed while `body` equals the output's current body hash — the code
 * below the generated header, so a new fingerprint line (`specwright accept`, a regeneration that returned the same
 * code) keeps the review — or, for records written before `body` existed, while `hash` equals the whole file's hash.
 */
export interface ReviewRecord {
  by: string;
  at: string;
  /** sha256 of the whole file the reviewer saw. */
  hash: string;
  /** sha256 of its body (the file without the generated header). */
  body?: string;
}

export interface LockOutput {
  /** sha256 of the file as generated (header included). */
  hash: string;
  /** sha256 of the file without its generated header (see `bodyHash`). */
  body?: string;
  review?: ReviewRecord;
}

/** The hash reviews cover: the generated file without its header, so header-only changes keep a review. */
export function bodyHash(content: string): string {
  return sha256(stripGeneratedHeader(content));
}

export interface GenerationRecord {
  provider: string;
  model: string;
  attempts: number;
  usage: TokenUsage;
  runId: string;
  time: string;
  history: AttemptRecord[];
  /**
   * Where the accepted code behaves differently from the version reviewed before it (the differential gate): each
   * difference pinned by an example or accepted with --accept-behaviour-change. Absent when there was none.
   */
  behaviourChanges?: string[];
}

export interface LockEntry {
  /** The spec file, relative to the project root. */
  spec: string;
  fingerprint: string;
  /** Keyed by output path relative to the project root. */
  outputs: Record<string, LockOutput>;
  generation: GenerationRecord;
}

export interface LockFile {
  lockVersion: number;
  specs: Record<string, LockEntry>;
}

export function emptyLock(): LockFile {
  return { lockVersion: LOCK_VERSION, specs: {} };
}

export function lockPath(workspaceRoot: string, projectRoot: string): string {
  return join(workspaceRoot, projectRoot, LOCK_FILE_NAME);
}

/** The lock of a project, or an empty one. A lock that is not what we wrote is an error, never silently replaced. */
export function readLock(workspaceRoot: string, projectRoot: string): LockFile {
  const relative = `${projectRoot === '.' ? '' : `${projectRoot}/`}${LOCK_FILE_NAME}`;
  const text = readTextIfExists(join(workspaceRoot, relative));
  if (text === undefined) return emptyLock();
  return parseLock(text, relative);
}

export function parseLock(text: string, file: string): LockFile {
  const fix = `resolve the problem in ${file} (after a merge conflict: take either side, then run \`nx generate-from-spec --check\`)`;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const match = /position (\d+)/.exec((error as Error).message);
    const offset = match ? Number(match[1]) : 0;
    const before = text.slice(0, offset);
    throw new SpecwrightError(`lock file is not valid JSON: ${(error as Error).message}`, {
      file,
      line: before.split('\n').length,
      column: offset - before.lastIndexOf('\n'),
      expected: 'the JSON Specwright writes',
      fix,
      code: 'LOCK_INVALID',
    });
  }
  const lock = data as Partial<LockFile> | null;
  if (!lock || typeof lock !== 'object' || typeof lock.specs !== 'object' || lock.specs === null || Array.isArray(lock.specs)) {
    throw new SpecwrightError('lock file has no "specs" object', { file, line: 1, column: 1, expected: '{ "lockVersion": 1, "specs": { … } }', fix, code: 'LOCK_INVALID' });
  }
  if (lock.lockVersion !== LOCK_VERSION) {
    throw new SpecwrightError(`lock file version ${JSON.stringify(lock.lockVersion) ?? 'undefined'} is not supported`, {
      file,
      line: 1,
      column: 1,
      expected: `lockVersion ${LOCK_VERSION}`,
      fix: 'upgrade the Specwright plugin, or regenerate with `nx generate-from-spec --force`',
      code: 'LOCK_VERSION',
    });
  }
  for (const [id, entry] of Object.entries(lock.specs)) {
    if (!entry || typeof entry !== 'object' || typeof entry.fingerprint !== 'string' || typeof entry.outputs !== 'object' || entry.outputs === null) {
      throw new SpecwrightError(`lock entry "${id}" is incomplete`, { file, expected: 'fingerprint and outputs for every spec', fix, code: 'LOCK_INVALID' });
    }
  }
  return lock as LockFile;
}

/** Sorted keys, two-space indent, trailing newline: the same lock always has the same bytes, and diffs stay local. */
export function serializeLock(lock: LockFile): string {
  return `${stableStringify(lock)}\n`;
}

export function writeLock(workspaceRoot: string, projectRoot: string, lock: LockFile): void {
  writeFileAtomic(lockPath(workspaceRoot, projectRoot), serializeLock(lock));
}

export function isReviewed(output: LockOutput | undefined): boolean {
  const review = output?.review;
  if (!output || !review) return false;
  if (review.body !== undefined && output.body !== undefined) return review.body === output.body;
  return review.hash === output.hash;
}
