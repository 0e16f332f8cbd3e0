/**
 * The reaper: one small helper process per gate process that SIGKILLs the children the gates started (sandbox
 * children, vitest process groups) and removes their staging directories if this process dies without cleaning
 * up — e.g. when it is killed while a candidate spins in an infinite loop, which nothing inside the looping child
 * can notice. It learns pids and directories over its stdin (`+p<pid>` / `-p<pid>`, a negative pid meaning a
 * process group; `+d<dir>` / `-d<dir>`) and acts when that pipe closes, which the OS does when this process exits,
 * however it exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Socket } from 'node:net';
import { alive } from '../mutex';
import { minimalEnv } from './util';

const REAPER_SOURCE = String.raw`
const pids = new Set();
const dirs = new Set();
let buffer = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let newline;
  while ((newline = buffer.indexOf('\n')) >= 0) {
    const line = buffer.slice(0, newline);
    buffer = buffer.slice(newline + 1);
    const add = line[0] === '+';
    const value = line.slice(2);
    if (line[1] === 'p') {
      const id = Number(value);
      if (!Number.isInteger(id) || id === 0) continue;
      if (add) pids.add(id); else pids.delete(id);
    } else if (line[1] === 'd' && value) {
      if (add) dirs.add(value); else dirs.delete(value);
    }
  }
});
process.stdin.on('close', () => {
  for (const id of pids) { try { process.kill(id, 'SIGKILL'); } catch (_) {} }
  for (const dir of dirs) { try { require('fs').rmSync(dir, { recursive: true, force: true }); } catch (_) {} }
  process.exit(0);
});
`;

let reaper: ChildProcess | undefined;

function ensureReaper(): ChildProcess | undefined {
  if (reaper && reaper.exitCode === null && reaper.signalCode === null && reaper.stdin?.writable) return reaper;
  try {
    const child = spawn(process.execPath, ['-e', REAPER_SOURCE], { stdio: ['pipe', 'ignore', 'ignore'], detached: true, env: minimalEnv() });
    child.on('error', () => undefined);
    child.stdin?.on('error', () => undefined);
    // never keep the gate process alive for its sake
    child.unref();
    (child.stdin as unknown as Socket | null)?.unref?.();
    reaper = child;
    return child;
  } catch {
    return undefined;
  }
}

function send(line: string): void {
  if (line.includes('\n')) return;
  ensureReaper()?.stdin?.write(`${line}\n`);
}

/** Kill `id` (a pid, or `-pgid` for a process group) if this process dies first. */
export function track(id: number | undefined): void {
  if (id) send(`+p${id}`);
}

/** `id` ended normally: forget it (so a reused pid is never killed). */
export function untrack(id: number | undefined): void {
  if (id && reaper?.stdin?.writable) send(`-p${id}`);
}

/** Remove `dir` (a staging directory) if this process dies first. */
export function trackDir(dir: string): void {
  send(`+d${dir}`);
}

export function untrackDir(dir: string): void {
  if (reaper?.stdin?.writable) send(`-d${dir}`);
}

/** Prefixes of the temp folders the gates make (staging, the tests' copies, the isolation probe). */
export const STAGING_PREFIXES = ['specwright-sandbox-', 'specwright-tests-', 'specwright-probe-'];
/** The file in each staging folder naming the process that owns it. */
export const OWNER_FILE = '.specwright-owner';
/** A folder without an owner file (made by a run killed between creating and marking it) is stale after this long. */
const UNMARKED_STALE_MS = 10 * 60_000;

/** Marks a fresh staging folder as this process's, so the next run can tell a leftover from a live one. */
export function markOwner(dir: string): void {
  fs.writeFileSync(path.join(dir, OWNER_FILE), String(process.pid));
}


/**
 * Removes staging folders whose owner is dead — what a run killed with SIGKILL while its reaper was killed too
 * leaves behind. Folders of live runs (this one, a parallel one) are left alone. Returns the folders removed.
 */
export function sweepStaleStaging(tmpRoot: string = os.tmpdir(), now = Date.now()): string[] {
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync(tmpRoot);
  } catch {
    return removed;
  }
  for (const entry of entries) {
    if (!STAGING_PREFIXES.some((prefix) => entry.startsWith(prefix))) continue;
    const dir = path.join(tmpRoot, entry);
    let stale: boolean;
    try {
      const owner = Number(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8').trim());
      stale = !Number.isInteger(owner) || owner <= 0 || (owner !== process.pid && !alive(owner));
    } catch {
      try {
        stale = now - fs.statSync(dir).mtimeMs > UNMARKED_STALE_MS;
      } catch {
        stale = false;
      }
    }
    if (!stale) continue;
    try {
      fs.rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      /* another sweeper got it, or it is not ours to remove */
    }
  }
  return removed;
}
