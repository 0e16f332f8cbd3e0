import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isSpecwrightError, SpecwrightError } from './errors';
import { writeFailure } from './fs-utils';

export const RUN_LOCK_FILE_NAME = '.specwright-run.lock';

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes a run lock whose owner is dead — but only that one. Two runs may see the same dead owner; the first
 * replaces the file with its own lock, and the second must not then delete that fresh lock. So takeovers go one at
 * a time through an exclusive marker file, and the owner is read again inside it: a lock that changed hands since
 * we looked is left alone. A marker left by a killed run expires after a few seconds.
 */
function takeOverStaleLock(path: string, staleOwner: number): void {
  const marker = `${path}.takeover`;
  try {
    closeSync(openSync(marker, 'wx'));
  } catch {
    try {
      if (Date.now() - statSync(marker).mtimeMs > 5_000) unlinkSync(marker);
    } catch {
      // Released meanwhile.
    }
    return;
  }
  try {
    const current = readOwner(path);
    if (current === staleOwner || (Number.isNaN(current) && Number.isNaN(staleOwner))) unlinkSync(path);
  } catch {
    // Gone already: the next attempt creates it.
  } finally {
    try {
      unlinkSync(marker);
    } catch {
      // Nothing to release.
    }
  }
}

/** Run locks this process holds: released if it is interrupted (Ctrl-C, SIGTERM from CI or nx) mid-run. */
const held = new Set<string>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function releaseHeld(): void {
  for (const path of held) {
    try {
      // only our own lock: a lock taken over since (after we were judged dead) belongs to someone else
      if (readOwner(path) === process.pid) unlinkSync(path);
    } catch {
      // already gone
    }
  }
  held.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  releaseHeld();
  uninstall();
  // then die of the signal as if we had not been listening (other listeners, if any, decide instead)
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

const listeners = new Map<NodeJS.Signals, () => void>();

function install(): void {
  if (listeners.size > 0) return;
  for (const signal of SIGNALS) {
    const listener = (): void => onSignal(signal);
    listeners.set(signal, listener);
    process.on(signal, listener);
  }
  process.on('exit', releaseHeld);
}

function uninstall(): void {
  for (const [signal, listener] of listeners) process.removeListener(signal, listener);
  listeners.clear();
  process.removeListener('exit', releaseHeld);
}

function readOwner(path: string): number {
  const text = readFileSync(path, 'utf8').trim();
  return text === '' ? NaN : Number(text);
}

/**
 * One writing run per project at a time: two runs interleaving their lock updates would lose entries. The lock
 * file holds the owner's pid; a lock left by a process that no longer exists (kill -9) is taken over.
 */
export async function withProjectRunLock<T>(workspaceRoot: string, projectRoot: string, waitMs: number, work: () => Promise<T>): Promise<T> {
  const path = join(workspaceRoot, projectRoot, RUN_LOCK_FILE_NAME);
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, String(process.pid));
      } catch (error) {
        // An empty lock would block every later run until its mtime is judged; take it back and say why.
        closeSync(fd);
        unlinkSync(path);
        throw writeFailure(`${projectRoot}/${RUN_LOCK_FILE_NAME}`, error, 'run again');
      }
      closeSync(fd);
      break;
    } catch (error) {
      if (isSpecwrightError(error)) throw error;
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw writeFailure(`${projectRoot}/${RUN_LOCK_FILE_NAME}`, error, 'run again');
      let owner = NaN;
      try {
        owner = readOwner(path);
      } catch {
        continue; // Released between our open and read: try again.
      }
      if (!Number.isInteger(owner) || owner <= 0 || !alive(owner)) {
        takeOverStaleLock(path, owner);
        continue;
      }
      if (Date.now() >= deadline) {
        throw new SpecwrightError(`another Specwright run (pid ${owner}) is writing project ${projectRoot}`, {
          file: `${projectRoot}/${RUN_LOCK_FILE_NAME}`,
          expected: 'one generate run per project at a time',
          fix: `wait for pid ${owner} to finish, then run again`,
          code: 'RUN_LOCKED',
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  held.add(path);
  install();
  try {
    return await work();
  } finally {
    held.delete(path);
    if (held.size === 0) uninstall();
    try {
      unlinkSync(path);
    } catch {
      // Nothing to release.
    }
  }
}
