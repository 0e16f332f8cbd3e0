import { spawn } from 'node:child_process';
import * as realFs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isSpecwrightError } from '../src/errors';
import { sha256 } from '../src/fs-utils';
import { JOURNAL_FILE_NAME } from '../src/journal';
import { readLock } from '../src/lock';
import { RUN_LOCK_FILE_NAME, withProjectRunLock } from '../src/mutex';
import { DEMO, forbiddenProvider, localProvider, multiOutputSpec, runDemo, snapshotTree, treeChanges, versionedSource } from './crash-support';
import { PACKAGE_JSON, tempWorkspace, type TempWorkspace } from './fixtures';

/**
 * File-system faults injected under the pipeline (node:fs is wrapped for the modules of src/): a full disk — writes
 * failing with ENOSPC at each point of a spec's write — and a race on the run lock between two processes.
 */
const fault = vi.hoisted(() => ({
  /** Decides whether a write to `path` fails; `undefined`: no fault. */
  failWrite: undefined as ((path: string) => boolean) | undefined,
  /** Called after every readFileSync (before it returns), with the path. */
  afterRead: undefined as ((path: string) => void) | undefined,
  paths: new Map<number, string>(),
  writes: [] as string[],
}));

vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  const openSync = ((path: realFs.PathLike, ...rest: unknown[]) => {
    const fd = (actual.openSync as (...args: unknown[]) => number)(path, ...rest);
    fault.paths.set(fd, String(path));
    return fd;
  }) as typeof actual.openSync;
  const writeSync = ((fd: number, ...rest: unknown[]) => {
    const path = fault.paths.get(fd) ?? `fd ${fd}`;
    fault.writes.push(path);
    if (fault.failWrite?.(path)) throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    return (actual.writeSync as (...args: unknown[]) => number)(fd, ...rest);
  }) as typeof actual.writeSync;
  const readFileSync = ((path: realFs.PathOrFileDescriptor, ...rest: unknown[]) => {
    const content = (actual.readFileSync as (...args: unknown[]) => unknown)(path, ...rest);
    fault.afterRead?.(String(path));
    return content;
  }) as typeof actual.readFileSync;
  const patched = { ...actual, openSync, writeSync, readFileSync };
  return { ...patched, default: patched };
});

const OUTPUTS = ['pair-a.ts', 'pair-b.ts'];
const SPEC_FILE = 'libs/demo/src/pair.spec.yaml';

async function staleWorkspace(): Promise<TempWorkspace> {
  const ws = tempWorkspace({ 'libs/demo/package.json': PACKAGE_JSON('demo'), [SPEC_FILE]: multiOutputSpec('demo/pair', OUTPUTS, 1) });
  expect((await runDemo(ws.root, { provider: localProvider((id, output) => versionedSource(id, output, 'old')) })).ok).toBe(true);
  ws.write(SPEC_FILE, multiOutputSpec('demo/pair', OUTPUTS, 2));
  return ws;
}

afterEach(() => {
  fault.failWrite = undefined;
  fault.afterRead = undefined;
  fault.writes.length = 0;
});

describe('faults: a full disk (ENOSPC) at each point of a write', () => {
  // Known bugs would be marked per point below (the case is `it.fails` until src/ is fixed). The ones this suite
  // found — a bare ENOSPC from the run lock and from the journal/lock writes, and a rollback that deleted the journal
  // although restoring failed — are fixed.
  const POINTS: { point: string; matches: (path: string) => boolean; knownBug: { once?: string; full?: string } }[] = [
    { point: 'the run lock', matches: (path) => path.endsWith(RUN_LOCK_FILE_NAME), knownBug: {} },
    { point: 'the journal', matches: (path) => path.includes(`.specwright-tmp-${JOURNAL_FILE_NAME}`), knownBug: {} },
    { point: 'the first output', matches: (path) => path.includes('.specwright-tmp-pair-a.ts'), knownBug: {} },
    { point: 'the second output', matches: (path) => path.includes('.specwright-tmp-pair-b.ts'), knownBug: {} },
    { point: 'the lock file', matches: (path) => path.includes('.specwright-tmp-specwright.lock.json'), knownBug: {} },
  ];

  it('writes, in order: run lock, journal, outputs, lock (what the cases below break)', async () => {
    const ws = await staleWorkspace();
    try {
      fault.writes.length = 0;
      expect((await runDemo(ws.root, { provider: localProvider((id, output) => versionedSource(id, output, 'new')) })).ok).toBe(true);
      const order = fault.writes.map((path) => POINTS.findIndex((p) => p.matches(path)));
      expect(order).toEqual([0, 1, 2, 3, 4]);
    } finally {
      ws.cleanup();
    }
  });

  /**
   * `once`: only that write fails (space comes back at once). `full`: that write and every later one fail, as on
   * a disk that stays full — rolling back cannot write either — until the test frees it.
   * Expected: a clear message (ENOSPC, the file, what to do); with `once` not one byte changed; with `full`, once
   * space is back, the next run leaves every spec consistent (its files and its lock entry from the same generation).
   */
  for (const { point, matches, knownBug } of POINTS) {
    for (const mode of ['once', 'full'] as const) {
      const bug = knownBug[mode];
      (bug ? it.fails : it)(`${mode === 'once' ? 'one write fails' : 'the disk stays full'} at ${point}${bug ? ` (KNOWN BUG ${bug})` : ''}`, async () => {
        const ws = await staleWorkspace();
        try {
          const before = snapshotTree(ws.root);
          let failing = false;
          fault.failWrite = (path) => {
            if (mode === 'once') {
              if (failing || !matches(path)) return false;
              failing = true;
              return true;
            }
            failing ||= matches(path);
            return failing;
          };
          let message = '';
          let thrown: unknown;
          try {
            const result = await runDemo(ws.root, { provider: localProvider((id, output) => versionedSource(id, output, 'new')) });
            expect(result.ok).toBe(false);
            message = result.outcomes.map((outcome) => outcome.message ?? '').join('\n');
          } catch (error) {
            thrown = error;
            message = isSpecwrightError(error) ? error.format() : String((error as Error)?.stack ?? error);
          }
          fault.failWrite = undefined;
          expect(failing, 'the fault was injected').toBe(true);
          expect.soft(thrown === undefined || isSpecwrightError(thrown), `a bare error escaped the pipeline:\n${message}`).toBe(true);
          expect.soft(message).toMatch(/ENOSPC/);
          expect.soft(message, 'the message names the file it could not write').toMatch(/libs\/demo\//);
          expect.soft(message, 'the message says what to do').toMatch(/fix: .*(free|disk space)/);

          const changes = treeChanges(before, snapshotTree(ws.root));
          if (mode === 'once') {
            expect.soft(changes).toEqual([]);
            return;
          }
          // Space is back: the next run must find every spec consistent, or finish the journaled write.
          const recovery = await runDemo(ws.root, { provider: forbiddenProvider() });
          expect.soft(recovery.failures).toEqual([]);
          expect.soft(recovery.outcomes.map((outcome) => outcome.state)).not.toContain('drifted');
          const entry = readLock(ws.root, DEMO.root).specs['demo/pair'];
          for (const output of OUTPUTS) {
            const content = realFs.readFileSync(join(ws.root, DEMO.root, 'src', output), 'utf8');
            expect.soft(sha256(content), `${output} vs its lock entry`).toBe(entry?.outputs[`src/${output}`]?.hash);
          }
          expect.soft(realFs.readdirSync(join(ws.root, DEMO.root, 'src')).filter((name) => name.startsWith('.specwright-tmp-'))).toEqual([]);
          expect.soft(realFs.existsSync(join(ws.root, DEMO.root, RUN_LOCK_FILE_NAME))).toBe(false);
        } finally {
          ws.cleanup();
        }
      });
    }
  }
});

describe('faults: the run lock of a killed run, taken over by two runs at once', () => {
  /**
   * A run killed with -9 leaves its run lock behind. Two runs that start together both see the dead owner; the
   * first removes the stale file and creates its own; the second — which read the dead pid a moment earlier —
   * must not then remove the first one's fresh lock. Simulated deterministically: the other process's takeover
   * happens between this run's read of the stale pid and its unlink.
   */
  // Regression: the takeover used to be read → check pid → unlink → create, so a run that read the dead pid just
  // before another run replaced the stale file unlinked that run's fresh lock (seen for real with 6 processes, 1
  // round in 15). Takeovers now go through an exclusive marker and re-read the owner.
  it('never removes the lock of a live run', async () => {
    const ws = tempWorkspace({ 'libs/demo/package.json': PACKAGE_JSON('demo') });
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      const lockPath = join(ws.root, DEMO.root, RUN_LOCK_FILE_NAME);
      const dead = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
      await new Promise((resolve) => dead.on('close', resolve));
      realFs.writeFileSync(lockPath, String(dead.pid));
      let raced = false;
      fault.afterRead = (path) => {
        if (path !== lockPath || raced) return;
        raced = true;
        // This run has just read the dead pid; now the other process takes the stale lock over.
        realFs.unlinkSync(lockPath);
        realFs.writeFileSync(lockPath, String(other.pid), { flag: 'wx' });
      };
      let entered = false;
      const outcome = await withProjectRunLock(ws.root, DEMO.root, 300, async () => {
        entered = true;
        return realFs.existsSync(lockPath) ? realFs.readFileSync(lockPath, 'utf8') : 'gone';
      }).catch((error: unknown) => error);
      expect(raced).toBe(true);
      expect(entered, `entered the run while pid ${other.pid} held the lock (lock file now says: ${String(outcome)})`).toBe(false);
      expect(isSpecwrightError(outcome) && outcome.code).toBe('RUN_LOCKED');
    } finally {
      other.kill('SIGKILL');
      ws.cleanup();
    }
  });
});
