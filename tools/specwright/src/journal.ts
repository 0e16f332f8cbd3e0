import { mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isSpecwrightError, SpecwrightError } from './errors';
import { generateFix, type TargetNames } from './fix-commands';
import { fileHashIfExists, readTextIfExists, sha256, TEMP_PREFIX, writeFailure, writeFileAtomic } from './fs-utils';
import { LOCK_FILE_NAME, readLock, writeLock, type LockEntry } from './lock';
import { DEFAULT_OPTIONS } from './options';

export const JOURNAL_FILE_NAME = '.specwright-journal.json';

/**
 * A write-ahead journal for one spec's write: the new files and the lock entry that describes them are saved
 * before any output is replaced. If the process dies half way, the next run rolls the write forward, so the
 * outputs and the lock always end up describing the same content — never a mix.
 */
interface Journal {
  specId: string;
  entry: LockEntry;
  /** Workspace-relative path → new content. */
  files: Record<string, string>;
  /** Workspace-relative path → content before the write (`null`: the file did not exist), for rolling back. */
  previous: Record<string, string | null>;
}

function journalPath(workspaceRoot: string, projectRoot: string): string {
  return join(workspaceRoot, projectRoot, JOURNAL_FILE_NAME);
}

export function hasPendingJournal(workspaceRoot: string, projectRoot: string): boolean {
  return readTextIfExists(journalPath(workspaceRoot, projectRoot)) !== undefined;
}

/** Writes `files`, then records `entry` in the project's lock; crash-safe through the journal. */
export function commitSpecWrite(workspaceRoot: string, projectRoot: string, specId: string, entry: LockEntry, files: ReadonlyMap<string, string>, targets: TargetNames = DEFAULT_OPTIONS): void {
  const previous: Journal['previous'] = {};
  for (const file of files.keys()) previous[file] = readTextIfExists(join(workspaceRoot, file)) ?? null;
  const journal: Journal = { specId, entry, files: Object.fromEntries(files), previous };
  const journalFile = journalPathIn(projectRoot);
  try {
    writeFileAtomic(journalPath(workspaceRoot, projectRoot), JSON.stringify(journal));
  } catch (error) {
    throw writeFailure(journalFile, error, `run \`${generateFix(targets)}\` again (nothing was changed)`);
  }
  try {
    applyJournal(workspaceRoot, projectRoot, journal, targets);
  } catch (error) {
    // A write error (read-only file, full disk) in this run: put back what was already replaced, so the spec's
    // files and lock entry stay exactly as they were. If even that fails (the disk is still full), the journal
    // stays, and the next writing run finishes the write instead.
    if (!rollBack(workspaceRoot, projectRoot, journal) && isSpecwrightError(error)) {
      throw new SpecwrightError(`${error.message}; the half-done write is kept in ${journalFile} and finished by the next run`, {
        ...(error.file ? { file: error.file } : {}),
        ...(error.expected ? { expected: error.expected } : {}),
        ...(error.fix ? { fix: error.fix } : {}),
        code: error.code,
        cause: error,
      });
    }
    throw error;
  }
}

/** Puts back the previous contents; true when every file is as it was and the journal is gone. */
function rollBack(workspaceRoot: string, projectRoot: string, journal: Journal): boolean {
  for (const [file, content] of Object.entries(journal.previous)) {
    const absolute = join(workspaceRoot, file);
    try {
      if (content === null) {
        if (readTextIfExists(absolute) !== undefined) unlinkSync(absolute);
      } else if (readTextIfExists(absolute) !== content) writeFileAtomic(absolute, content);
    } catch {
      return false;
    }
  }
  try {
    unlinkSync(journalPath(workspaceRoot, projectRoot));
  } catch {
    // Already gone.
  }
  return true;
}

function journalPathIn(projectRoot: string): string {
  return projectRoot === '.' ? JOURNAL_FILE_NAME : `${projectRoot}/${JOURNAL_FILE_NAME}`;
}

/**
 * Removes the temporary files of atomic writes that a killed run left behind (`.specwright-tmp-*`). Only called
 * while holding the project's run lock, so no live writer owns them.
 */
export function sweepTemporaryFiles(workspaceRoot: string, projectRoot: string): number {
  let removed = 0;
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.isDirectory() && entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(join(dir, entry.name));
      else if (entry.isFile() && entry.name.startsWith(TEMP_PREFIX)) {
        try {
          unlinkSync(join(dir, entry.name));
          removed++;
        } catch {
          // Gone already.
        }
      }
    }
  };
  walk(join(workspaceRoot, projectRoot));
  return removed;
}

/** Finishes an interrupted write, if there is one. Returns the spec id it finished. */
export function recoverJournal(workspaceRoot: string, projectRoot: string, targets: TargetNames = DEFAULT_OPTIONS): string | undefined {
  const text = readTextIfExists(journalPath(workspaceRoot, projectRoot));
  if (text === undefined) return undefined;
  let journal: Journal;
  try {
    journal = JSON.parse(text) as Journal;
  } catch {
    // The journal is itself written atomically; an unreadable one was never committed, so nothing was replaced.
    unlinkSync(journalPath(workspaceRoot, projectRoot));
    return undefined;
  }
  applyJournal(workspaceRoot, projectRoot, journal, targets);
  return journal.specId;
}

/** `targets`: the configured target names, for the fix a failed write prints. */
function applyJournal(workspaceRoot: string, projectRoot: string, journal: Journal, targets: TargetNames): void {
  for (const [file, content] of Object.entries(journal.files)) {
    const absolute = join(workspaceRoot, file);
    if (fileHashIfExists(absolute) === sha256(content)) continue;
    try {
      mkdirSync(dirname(absolute), { recursive: true });
      writeFileAtomic(absolute, content);
    } catch (error) {
      throw writeFailure(file, error, `run \`${generateFix(targets)}\` again`);
    }
  }
  const lock = readLock(workspaceRoot, projectRoot);
  lock.specs[journal.specId] = journal.entry;
  try {
    writeLock(workspaceRoot, projectRoot, lock);
  } catch (error) {
    throw writeFailure(projectRoot === '.' ? LOCK_FILE_NAME : `${projectRoot}/${LOCK_FILE_NAME}`, error, `run \`${generateFix(targets)}\` again`);
  }
  unlinkSync(journalPath(workspaceRoot, projectRoot));
}
