import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { describeError } from '../errors';
import { GENERATED_MARKER } from '../header';
import { LOCK_FILE_NAME } from '../lock';
import { CODE_FILE, firstLineHasMarker, isLockPath, isSpecPath } from './paths';
import { findWorkspaceRoot } from '../workspace';
import { gitTopLevel, stagedChanges, ZERO_SHA, type StagedChange } from './git';
import { POLICY_FILE } from './policy';
import type { HookProblem, StagedCheckStats } from './staged';

/**
 * `specwright hook pre-commit` (and `.husky/pre-commit` through hook-entry.cjs). Two stages:
 *
 * 1. triage, always: `git diff --cached --raw` and at most one `git grep --cached` decide whether the commit
 *    touches anything Specwright owns — a spec, a lock, the policy, nx.json, a staged code file whose first line
 *    carries the generated-file marker, a file a lock lists, or a `types` file a spec refers to. This module
 *    imports nothing heavy, so an ordinary commit costs one Node start-up and two git processes.
 * 2. the check (staged.ts), only then: reads the index, never the working tree; judge.ts decides every state.
 *
 * Triage decides no rule. It only answers "could any rule apply?", and it must answer yes whenever one could: it
 * may send an innocent commit to the check (which then passes), never let a guilty one skip it. So a new rule in
 * staged.ts / judge.ts that looks at a new kind of file must also make triage look at that file (the list of
 * what counts as "touches anything Specwright owns" above), and test/hook.test.ts covers both stages together.
 */

export interface HookIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

export interface Triage {
  relevant: boolean;
  /** Why, for SPECWRIGHT_HOOK_TIMING=1 and tests. */
  reason: string;
}

function ancestors(path: string): string[] {
  const dirs: string[] = [];
  for (let dir = posix.dirname(path); dir !== '.' && dir !== '/' && dir !== ''; dir = posix.dirname(dir)) dirs.push(dir);
  dirs.push('.');
  return dirs;
}

/**
 * Cheap: decides whether the staged changes need the real check, with one `git grep --cached` over the index —
 * the changed code files' first lines (the marker), the locks above the changed files (is the path an output?),
 * and every spec's `types:` line (is the path a contract file?). Conservative: anything that looks related goes to
 * the full check, which decides. A deleted or renamed-away file is caught through the lock that lists it.
 */
export function triage(top: string, prefix: string, changes: readonly StagedChange[]): Triage {
  const paths = [...new Set(changes.flatMap((change) => (change.oldPath ? [change.path, change.oldPath] : [change.path])))];
  const direct = paths.find((path) => isSpecPath(path) || isLockPath(path) || path === POLICY_FILE || path === 'nx.json');
  if (direct) return { relevant: true, reason: `touches ${direct}` };

  const changed = new Set(paths);
  const stagedCode = changes.filter((change) => change.status !== 'D' && CODE_FILE.test(change.path)).map((change) => change.path);
  // How each changed path would appear as an output key in a lock of one of its ancestor folders.
  const keys = new Map<string, Set<string>>();
  for (const path of paths) {
    for (const dir of ancestors(path)) {
      const key = JSON.stringify(dir === '.' ? path : posix.relative(dir, path));
      keys.set(dir, (keys.get(dir) ?? new Set()).add(key));
    }
  }
  const patterns = [GENERATED_MARKER, 'types', ...new Set([...keys.values()].flatMap((set) => [...set]))];
  const literal = (path: string) => `:(literal)${prefix}${path}`;
  const result = spawnSync('git', ['grep', '--cached', '-I', '-n', '-z', '--full-name', '--no-color', '-F', '-f', '-', '--', `${prefix}*.spec.yaml`, `${prefix}*${LOCK_FILE_NAME}`, ...stagedCode.map(literal)], {
    cwd: top,
    input: `${patterns.join('\n')}\n`,
    maxBuffer: 256 * 1024 * 1024,
    windowsHide: true,
  });
  if (result.error || (result.status !== 0 && result.status !== 1)) return { relevant: true, reason: `git grep failed (${result.stderr?.toString().trim() || result.error?.message}); checking everything` };

  for (const line of result.stdout.toString('utf8').split('\n')) {
    const [topPath = '', lineNumber = '', content = ''] = line.split('\0');
    if (!topPath.startsWith(prefix)) continue;
    const path = topPath.slice(prefix.length);
    if (isLockPath(path)) {
      const dir = posix.dirname(path);
      const trimmed = content.trim();
      for (const key of keys.get(dir) ?? []) if (trimmed.startsWith(`${key}:`)) return { relevant: true, reason: `${JSON.parse(key) as string} is listed in ${path}` };
    } else if (isSpecPath(path)) {
      const match = /^types\s*:\s*(['"]?)([^'"#\s]+)\1/.exec(content);
      const typesFile = match ? posix.normalize(posix.join(posix.dirname(path), match[2] as string)) : undefined;
      if (typesFile && changed.has(typesFile)) return { relevant: true, reason: `${typesFile} is the types file of ${path}` };
    } else if (lineNumber === '1' && firstLineHasMarker(content)) {
      return { relevant: true, reason: `${path} carries the generated-file marker` };
    }
  }
  return { relevant: false, reason: 'no generated file, spec or lock involved' };
}

function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}

/** The workspace-relative view of the staged changes (changes outside the workspace are dropped). */
function inWorkspace(changes: StagedChange[], prefix: string): StagedChange[] {
  if (!prefix) return changes;
  const strip = (path: string | undefined) => (path !== undefined && path.startsWith(prefix) ? path.slice(prefix.length) : undefined);
  return changes.flatMap((change) => {
    const path = strip(change.path);
    const oldPath = strip(change.oldPath);
    if (path === undefined && oldPath === undefined) return [];
    if (path === undefined) return [{ ...change, status: 'D', path: oldPath as string, oldPath: undefined, newSha: ZERO_SHA }];
    return [{ ...change, path, ...(oldPath === undefined ? { oldPath: undefined } : { oldPath }) }];
  });
}

export function formatProblems(problems: readonly HookProblem[], workspaceRoot: string): string {
  const lines = [`✖ Specwright pre-commit: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the staged generated code; the commit is blocked.`, `  (run the fixes from the workspace root: ${workspaceRoot})`, ''];
  for (const problem of problems) {
    lines.push(`  ${problem.file}: ${problem.kind}`);
    lines.push(`    ${problem.reason.split('\n').join('\n    ')}`);
    lines.push(`    fix: ${problem.fix}`);
    lines.push('');
  }
  lines.push('Skip this check once (CI runs `specwright ci-check` anyway): git commit --no-verify, or HUSKY=0 git commit');
  return lines.join('\n');
}

export async function runPreCommit(cwd: string, io: HookIo = { out: (line) => console.log(line), err: (line) => console.error(line) }): Promise<number> {
  const started = performance.now();
  const timing = process.env.SPECWRIGHT_HOOK_TIMING === '1';
  // Git runs hooks at the top of the working tree (where `.git` is); elsewhere ask git, one process more.
  const top = existsSync(join(cwd, '.git')) ? cwd : gitTopLevel(cwd);
  const workspaceRoot = findWorkspaceRoot(cwd);
  const fromTop = toPosix(relative(realpathSync(top), realpathSync(workspaceRoot)));
  if (fromTop.startsWith('..')) {
    io.err(`specwright pre-commit: the workspace ${workspaceRoot} is not inside the git working tree ${top}; nothing checked`);
    return 0;
  }
  const prefix = fromTop === '' ? '' : `${fromTop}/`;
  const changes = inWorkspace(stagedChanges(top), prefix);
  const verdict = changes.length === 0 ? { relevant: false, reason: 'nothing staged in the workspace' } : triage(top, prefix, changes);
  if (!verdict.relevant) {
    if (timing) io.err(`specwright pre-commit: ok, ${changes.length} staged file(s), ${verdict.reason} (${(performance.now() - started).toFixed(0)} ms)`);
    return 0;
  }
  const { checkStaged } = await import('./staged');
  const stats: StagedCheckStats = { parsed: 0, fingerprintHits: 0, fingerprintMisses: 0 };
  const problems = await checkStaged({ top, workspaceRoot, prefix, changes }, stats);
  if (timing) {
    const cache = `${stats.parsed} spec(s) parsed, fingerprints: ${stats.fingerprintHits} cached, ${stats.fingerprintMisses} computed`;
    io.err(`specwright pre-commit: checked ${changes.length} staged file(s) (${verdict.reason}; ${cache}): ${problems.length} problem(s) (${(performance.now() - started).toFixed(0)} ms)`);
  }
  if (problems.length === 0) return 0;
  io.err(formatProblems(problems, workspaceRoot));
  return 1;
}

/** `specwright hook <name>`; only pre-commit exists. */
export async function hookMain(args: readonly string[], cwd = process.cwd()): Promise<number> {
  const [name] = args;
  if (name !== 'pre-commit') {
    console.error(`usage: specwright hook pre-commit   (checks the staged generated code; see .husky/pre-commit)${name ? `\nunknown hook "${name}"` : ''}`);
    return 2;
  }
  try {
    return await runPreCommit(cwd);
  } catch (error) {
    console.error(`specwright pre-commit: the check itself failed, so the commit is blocked:\n${describeError(error)}\nSkip it once (CI runs \`specwright ci-check\` anyway): git commit --no-verify, or HUSKY=0 git commit`);
    return 2;
  }
}
