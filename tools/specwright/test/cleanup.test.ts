/**
 * Nothing left behind: run locks are released when a run is interrupted (SIGINT, SIGTERM), and staging folders a
 * killed run left behind are swept by the next one, while those of live runs stay.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWNER_FILE, sweepStaleStaging } from '../src/gates/reaper';
import { RUN_LOCK_FILE_NAME } from '../src/mutex';
import { REPO_ROOT } from './fixtures';

describe('run locks on interruption', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'specwright-lock-signal-'));
    mkdirSync(join(root, 'libs/demo'), { recursive: true });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each(['SIGINT', 'SIGTERM'] as const)('releases the run lock on %s and dies of the signal', async (signal) => {
    const host = `require(${JSON.stringify(join(REPO_ROOT, 'tools/specwright/src/mutex.ts'))}).withProjectRunLock(${JSON.stringify(root)}, 'libs/demo', 1000, () => { console.log('LOCKED'); return new Promise(() => setInterval(() => {}, 1000)); });`;
    const child = spawn(process.execPath, ['-r', '@swc-node/register', '-e', host], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const lock = join(root, 'libs/demo', RUN_LOCK_FILE_NAME);
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => (chunk.toString().includes('LOCKED') ? resolve() : undefined));
      child.on('exit', () => reject(new Error('host exited before taking the lock')));
    });
    expect(existsSync(lock)).toBe(true);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    child.kill(signal);
    expect(await exited).toBe(signal);
    expect(existsSync(lock)).toBe(false);
  });
});

describe('sweeping staging folders a killed run left behind', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'specwright-sweep-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('removes folders of dead owners and old unmarked ones, keeps live runs and other folders', () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const make = (name: string, owner?: string, ageMs = 0): string => {
      const dir = join(root, name);
      mkdirSync(join(dir, 'ws'), { recursive: true });
      writeFileSync(join(dir, 'ws', 'a.js'), '1');
      if (owner !== undefined) writeFileSync(join(dir, OWNER_FILE), owner);
      if (ageMs) utimesSync(dir, new Date(Date.now() - ageMs), new Date(Date.now() - ageMs));
      return dir;
    };
    make('specwright-sandbox-dead', dead);
    make('specwright-tests-dead', dead);
    make('specwright-sandbox-live', String(process.pid));
    make('specwright-tests-unmarked-old', undefined, 60 * 60_000);
    make('specwright-tests-unmarked-new');
    make('something-else', dead);
    const removed = sweepStaleStaging(root).map((dir) => dir.slice(root.length + 1)).sort();
    expect(removed).toEqual(['specwright-sandbox-dead', 'specwright-tests-dead', 'specwright-tests-unmarked-old']);
    expect(readdirSync(root).sort()).toEqual(['something-else', 'specwright-sandbox-live', 'specwright-tests-unmarked-new']);
  });
});
