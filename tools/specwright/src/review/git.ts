import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { SpecwrightError } from '../errors';

/**
 * The few git plumbing calls review and the pre-commit hook need. Everything is synchronous and batched: one
 * `git cat-file --batch` reads any number of blobs, so a hook run costs a handful of processes, not one per file.
 * Inside a hook git sets GIT_INDEX_FILE (e.g. `git commit <paths>` commits from a temporary index): the
 * environment is inherited on purpose, and every call runs at the top of the working tree, where such relative
 * variables point from.
 */

export const ZERO_SHA = '0000000000000000000000000000000000000000';

export function runGit(cwd: string, args: string[], input?: string | Buffer): Buffer {
  const result = spawnSync('git', args, { cwd, input, maxBuffer: 1024 * 1024 * 1024, windowsHide: true });
  if (result.error) {
    throw new SpecwrightError(`cannot run git: ${result.error.message}`, { expected: 'git on the PATH', fix: 'install git, or run from a shell where `git --version` works', code: 'GIT_MISSING', cause: result.error });
  }
  if (result.status !== 0) {
    const stderr = result.stderr.toString('utf8').trim().split('\n')[0] ?? '';
    throw new SpecwrightError(`git ${args.join(' ')} failed: ${stderr}`, { expected: 'a git repository', fix: 'run inside the repository that holds the workspace', code: 'GIT_FAILED' });
  }
  return result.stdout;
}

/** Like runGit, but `undefined` instead of an error (a missing config value, an unborn HEAD). */
export function tryGit(cwd: string, args: string[]): string | undefined {
  const result = spawnSync('git', args, { cwd, maxBuffer: 64 * 1024 * 1024, windowsHide: true });
  if (result.error || result.status !== 0) return undefined;
  return result.stdout.toString('utf8');
}

export function gitTopLevel(cwd: string): string {
  return runGit(cwd, ['rev-parse', '--show-toplevel']).toString('utf8').trim();
}

/** The reviewer's identity for review records: `git config user.email`. */
export function gitUserEmail(cwd: string): string | undefined {
  const email = tryGit(cwd, ['config', 'user.email'])?.trim();
  return email ? email : undefined;
}

/** Git's own id of some content (`git hash-object`), to compare working-tree files with index entries without git. */
export function gitBlobSha(content: Buffer | string): string {
  const buffer = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return createHash('sha1').update(`blob ${buffer.length}\0`).update(buffer).digest('hex');
}

/**
 * Reads objects by name (a blob sha, `:path` for the index, `<rev>:path`) with one `git cat-file --batch`.
 * A name git cannot resolve maps to `undefined`.
 */
export function readObjects(top: string, names: readonly string[]): Map<string, Buffer | undefined> {
  const out = new Map<string, Buffer | undefined>();
  const unique = [...new Set(names)].filter((name) => !name.includes('\n'));
  if (unique.length === 0) return out;
  const stdout = runGit(top, ['cat-file', '--batch'], `${unique.join('\n')}\n`);
  let offset = 0;
  for (const name of unique) {
    const newline = stdout.indexOf(0x0a, offset);
    if (newline < 0) break;
    const header = stdout.subarray(offset, newline).toString('utf8');
    offset = newline + 1;
    const match = /^([0-9a-f]{40,64}) (\S+) (\d+)$/.exec(header);
    if (!match) {
      out.set(name, undefined); // "<name> missing" or "ambiguous"
      continue;
    }
    const size = Number(match[3]);
    out.set(name, stdout.subarray(offset, offset + size));
    offset += size + 1;
  }
  return out;
}

/** One line of `git diff --cached --raw -z -M`: what the commit changes about one path. */
export interface StagedChange {
  /** A(dded), M(odified), D(eleted), R(enamed), C(opied), T(ype change), U(nmerged). */
  status: string;
  /** The path after the change (for D: the deleted path). */
  path: string;
  /** The path before a rename or copy. */
  oldPath?: string;
  /** Blob in HEAD (ZERO_SHA when added). */
  oldSha: string;
  /** Blob in the index (ZERO_SHA when deleted). */
  newSha: string;
  newMode: string;
}

export function parseRawDiff(output: string): StagedChange[] {
  const fields = output.split('\0');
  const changes: StagedChange[] = [];
  for (let index = 0; index < fields.length; ) {
    const meta = fields[index++] ?? '';
    if (!meta.startsWith(':')) continue;
    const [, newMode = '', oldSha = ZERO_SHA, newSha = ZERO_SHA, statusField = ''] = meta.slice(1).split(' ');
    const status = statusField.charAt(0);
    if (status === 'R' || status === 'C') {
      const oldPath = fields[index++] ?? '';
      const path = fields[index++] ?? '';
      changes.push({ status, path, oldPath, oldSha, newSha, newMode });
    } else {
      changes.push({ status, path: fields[index++] ?? '', oldSha, newSha, newMode });
    }
  }
  return changes;
}

/** What the commit being made changes: the index against HEAD (against nothing for a first commit), renames found. */
export function stagedChanges(top: string): StagedChange[] {
  return parseRawDiff(runGit(top, ['diff', '--cached', '--raw', '-z', '-M', '--no-abbrev', '--no-ext-diff', '--no-textconv', '--ignore-submodules']).toString('utf8'));
}

export interface IndexEntry {
  sha: string;
  mode: string;
  /** 0 normally; 1–3 while a merge conflict is unresolved. */
  stage: number;
}

/** `git ls-files -s` of the given pathspecs (everything when none), keyed by top-relative path. */
export function indexEntries(top: string, pathspecs: readonly string[] = []): Map<string, IndexEntry> {
  const output = runGit(top, ['ls-files', '-s', '-z', '--', ...pathspecs]).toString('utf8');
  const entries = new Map<string, IndexEntry>();
  for (const record of output.split('\0')) {
    if (!record) continue;
    const tab = record.indexOf('\t');
    const [mode = '', sha = '', stage = '0'] = record.slice(0, tab).split(' ');
    const path = record.slice(tab + 1);
    const existing = entries.get(path);
    if (!existing || Number(stage) > existing.stage) entries.set(path, { sha, mode, stage: Number(stage) });
  }
  return entries;
}
