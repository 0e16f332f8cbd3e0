import { existsSync, unlinkSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { describeError, SpecwrightError } from '../errors';
import { fileHashIfExists, readTextIfExists } from '../fs-utils';
import type { ProjectRef } from '../load';
import { bodyHash, readLock, writeLock } from '../lock';
import { withProjectRunLock } from '../mutex';
import type { TargetNames } from '../fix-commands';
import type { NormalizedOptions } from '../options';
import { warmHookCache } from './cache';
import { diffSinceReview } from './diff';
import { gitUserEmail } from './git';
import { checkReviewer, loadPolicy, POLICY_FILE, type Policy } from './policy';
import { collectReviewState, regenerateCommand, type ReviewItem } from './state';
import { generationView } from '../runs/review-view';
import { signersListed, ALLOWED_SIGNERS_FILE } from './signing';

export type ReviewMode = 'auto' | 'check' | 'approve';

export interface ReviewRequest {
  workspaceRoot: string;
  /** Where relative paths are resolved from. */
  cwd: string;
  projects: ProjectRef[];
  dependencyProjects?: ProjectRef[];
  options: NormalizedOptions;
  /** Files or folders (relative to cwd, or to the workspace root); all outputs when empty. */
  paths?: string[];
  /** auto: interactive on a TTY, else list and fail; check: list and fail; approve: approve everything approvable. */
  mode: ReviewMode;
  /** Remove lock entries (and their unchanged outputs) whose spec no longer exists. */
  prune?: boolean;
  log?: (line: string) => void;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** Defaults to whether stdin is a TTY. */
  interactive?: boolean;
  /** Defaults to `git config user.email`. */
  reviewer?: string;
  now?: () => Date;
}

const LOCK_WAIT_MS = 30_000;

/** Workspace-relative paths for the given arguments: relative to cwd when that exists, else to the workspace root. */
export function resolveReviewPaths(workspaceRoot: string, cwd: string, paths: readonly string[]): string[] {
  return paths.map((path) => {
    const fromCwd = resolve(cwd, path);
    const absolute = existsSync(fromCwd) ? fromCwd : resolve(workspaceRoot, path);
    const relativePath = relative(workspaceRoot, absolute).split(sep).join('/');
    if (relativePath.startsWith('..')) {
      throw new SpecwrightError(`${path} is outside the workspace ${workspaceRoot}`, { expected: 'a generated file or folder inside the workspace', fix: 'pass a path inside the workspace', code: 'REVIEW_PATH' });
    }
    return relativePath;
  });
}

function selected(item: ReviewItem, paths: readonly string[]): boolean {
  if (paths.length === 0) return true;
  return paths.some((path) => path === '' || item.file === path || item.file.startsWith(`${path}/`) || item.specFile === path || item.lockFile === path);
}

function rejectionHelp(item: ReviewItem, names: TargetNames): string {
  return [
    `  left unreviewed: ${item.file}`,
    `  to send the problem back to the spec, describe what is wrong in ${item.specFile} — the description, a constraints rule,`,
    '  or an example that shows the expected result — then regenerate and review again:',
    `    ${regenerateCommand(item.project.name, item.specId, names)}`,
    `    npx specwright review ${item.file}`,
  ].join('\n');
}

function describe(item: ReviewItem): string {
  return `${item.status.padEnd(10)} ${item.file}  (spec ${item.specId})  ${item.reason}`;
}

/**
 * Questions over any input stream. Lines are queued as they arrive, so answers piped in ahead of the questions
 * (`printf 'y\nn\n' | specwright review`) are not lost; the end of input reads as "quit".
 */
function linePrompt(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): { ask(question: string): Promise<string>; close(): void } {
  const rl = createInterface({ input, terminal: !!(input as { isTTY?: boolean }).isTTY, ...((input as { isTTY?: boolean }).isTTY ? { output } : {}) });
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let closed = false;
  rl.on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else lines.push(line);
  });
  rl.on('close', () => {
    closed = true;
    for (const next of waiting.splice(0)) next('q');
  });
  return {
    ask(question) {
      output.write(question);
      const queued = lines.shift();
      if (queued !== undefined) return Promise.resolve(queued);
      if (closed) return Promise.resolve('q');
      return new Promise((resolveLine) => waiting.push(resolveLine));
    },
    close: () => rl.close(),
  };
}

/** Records `review: { by, at, hash }` for one output, re-checking under the project's run lock that nothing moved. */
async function recordApproval(workspaceRoot: string, item: ReviewItem, reviewer: string, now: Date): Promise<void> {
  await withProjectRunLock(workspaceRoot, item.project.root, LOCK_WAIT_MS, async () => {
    const lock = readLock(workspaceRoot, item.project.root);
    const output = lock.specs[item.specId]?.outputs[item.key];
    if (!output || output.hash !== item.output.hash || lock.specs[item.specId]?.fingerprint !== item.entry.fingerprint) {
      throw new SpecwrightError(`${item.lockFile} changed while ${item.file} was being reviewed`, { file: item.lockFile, expected: 'the lock entry that was shown', fix: `run \`npx specwright review ${item.file}\` again`, code: 'REVIEW_RACE' });
    }
    const content = readTextIfExists(join(workspaceRoot, item.file));
    if (content === undefined || fileHashIfExists(join(workspaceRoot, item.file)) !== output.hash) {
      throw new SpecwrightError(`${item.file} changed while it was being reviewed`, { file: item.file, expected: 'the content that was shown', fix: `run \`npx specwright review ${item.file}\` again`, code: 'REVIEW_RACE' });
    }
    // The body hash is what keeps the review when only the generated header changes (see ReviewRecord).
    output.body = bodyHash(content);
    output.review = { by: reviewer, at: now.toISOString(), hash: output.hash, body: output.body };
    writeLock(workspaceRoot, item.project.root, lock);
  });
}

/** Lock entries whose spec is gone: the entry goes, and so do its outputs unless someone edited them. */
async function prune(workspaceRoot: string, items: ReviewItem[], log: (line: string) => void): Promise<number> {
  const orphans = items.filter((item) => item.status === 'orphaned');
  if (orphans.length === 0) {
    log('Nothing to prune: every lock entry has its spec.');
    return 0;
  }
  const touched = new Set<string>();
  const byEntry = new Map<string, ReviewItem[]>();
  for (const item of orphans) byEntry.set(`${item.project.root}\0${item.specId}`, [...(byEntry.get(`${item.project.root}\0${item.specId}`) ?? []), item]);
  for (const group of byEntry.values()) {
    const first = group[0] as ReviewItem;
    await withProjectRunLock(workspaceRoot, first.project.root, LOCK_WAIT_MS, async () => {
      const lock = readLock(workspaceRoot, first.project.root);
      const entry = lock.specs[first.specId];
      if (!entry) return;
      for (const [key, output] of Object.entries(entry.outputs)) {
        const file = first.project.root === '.' ? key : `${first.project.root}/${key}`;
        const hash = fileHashIfExists(join(workspaceRoot, file));
        if (hash === undefined) continue;
        if (hash === output.hash) {
          unlinkSync(join(workspaceRoot, file));
          touched.add(file);
          log(`  deleted ${file} (generated from the deleted spec "${first.specId}")`);
        } else {
          log(`  kept ${file}: it was edited by hand; delete it yourself if it is no longer needed`);
        }
      }
      delete lock.specs[first.specId];
      writeLock(workspaceRoot, first.project.root, lock);
      touched.add(first.lockFile);
      log(`  removed "${first.specId}" from ${first.lockFile}`);
    });
  }
  log(`Stage the result: git add -A -- ${[...touched].sort().join(' ')}`);
  return 0;
}

function loadPolicySafely(workspaceRoot: string, log: (line: string) => void): { policy?: Policy; ok: boolean } {
  try {
    return { policy: loadPolicy(workspaceRoot), ok: true };
  } catch (error) {
    log(describeError(error));
    return { ok: false };
  }
}

/**
 * `specwright review [paths…]`: lists the generated outputs that are not reviewed, shows each one's diff since its
 * last approved version, and records approvals in the lock. Returns the exit code.
 */
export async function runReview(request: ReviewRequest): Promise<number> {
  const log = request.log ?? ((line: string) => console.log(line));
  const { workspaceRoot } = request;
  const policyResult = loadPolicySafely(workspaceRoot, log);
  if (!policyResult.ok) return 1;
  const policy = policyResult.policy as Policy;
  const state = collectReviewState({ workspaceRoot, projects: request.projects, dependencyProjects: request.dependencyProjects ?? [], options: request.options, policy });
  const policySource = readTextIfExists(join(workspaceRoot, POLICY_FILE));
  warmHookCache(workspaceRoot, state.specs, request.options, policySource === undefined ? undefined : { source: policySource, policy });

  const paths = resolveReviewPaths(workspaceRoot, request.cwd, request.paths ?? []);
  const items = state.items.filter((item) => selected(item, paths));
  if (paths.length > 0 && items.length === 0) {
    log(`No generated output recorded in a lock matches ${paths.map((p) => p || '.').join(', ')}.`);
    return 2;
  }
  if (request.prune) return prune(workspaceRoot, items, log);

  const pending = items.filter((item) => item.status !== 'reviewed');
  if (pending.length === 0) {
    log(`Specwright review: all ${items.length} generated output(s) are reviewed.`);
    return 0;
  }
  log(`Specwright review: ${pending.length} of ${items.length} generated output(s) need attention`);
  for (const item of pending) log(`  ${describe(item)}`);

  const interactive = request.interactive ?? !!process.stdin.isTTY;
  if (request.mode === 'check' || (request.mode === 'auto' && !interactive)) {
    log('');
    for (const item of pending.filter((candidate) => candidate.status !== 'unreviewed')) log(`  ${item.file}: fix: ${item.fix}`);
    log('Approve with `npx specwright review` (interactive: shows each diff) or `npx specwright review --approve <paths…>` (`--approve --all` for everything listed).');
    return 1;
  }

  const reviewer = request.reviewer ?? gitUserEmail(workspaceRoot);
  if (!reviewer) {
    throw new SpecwrightError('no reviewer identity: `git config user.email` is empty', { expected: 'an e-mail address to record as the reviewer', fix: 'git config user.email you@example.com', code: 'REVIEWER_UNKNOWN' });
  }
  const now = request.now ?? (() => new Date());
  const refusal = (item: ReviewItem): string | undefined => {
    if (item.status !== 'unreviewed') return `cannot approve ${item.file}: ${item.status} — ${item.reason}\n    fix: ${item.fix}`;
    const reviewerProblem = checkReviewer(policy, item.file, reviewer);
    return reviewerProblem ? `cannot approve ${item.file}: ${reviewerProblem.message}\n    fix: ${reviewerProblem.fix}` : undefined;
  };

  const signedHint = (): void => {
    if (!policy.requireSignedReviews) return;
    log(`Signed reviews are required (requireSignedReviews): commit the lock with \`git commit -S\` (git config gpg.format ssh; git config user.signingkey <key>.pub).`);
    if (!signersListed(workspaceRoot, reviewer)) log(`  ${reviewer} has no key in ${ALLOWED_SIGNERS_FILE}: ci-check will refuse this approval until a line \`${reviewer} <ssh public key>\` is added there (by its owners).`);
  };
  let left = 0;
  if (request.mode === 'approve') {
    log('');
    for (const item of pending) {
      const refused = refusal(item);
      if (refused) {
        log(`  ✖ ${refused}`);
        left++;
        continue;
      }
      // Non-interactive approval still shows what is approved: the diff, how it was generated, the spec's change.
      const diff = diffSinceReview(workspaceRoot, item.file, item.output, false);
      log(`── ${item.file}  (spec ${item.specId}, ${item.specFile})`);
      for (const line of generationView(workspaceRoot, item, false)) log(line);
      log(`   diff ${diff.baseline}`);
      log(diff.text.trimEnd());
      await recordApproval(workspaceRoot, item, reviewer, now());
      log(`  ✔ approved ${item.file} as ${reviewer}`);
    }
    log(left === 0 ? `Recorded in the lock; stage it with the outputs: git add ${[...new Set(pending.map((item) => item.lockFile))].join(' ')}` : `${left} output(s) could not be approved.`);
    if (left < pending.length) signedHint();
    return left === 0 ? 0 : 1;
  }

  const prompt = linePrompt(request.input ?? process.stdin, request.output ?? process.stdout);
  const color = !!((request.output ?? process.stdout) as { isTTY?: boolean }).isTTY && !process.env.NO_COLOR;
  const approvedLocks = new Set<string>();
  try {
    for (const [index, item] of pending.entries()) {
      log(`\n── [${index + 1}/${pending.length}] ${item.file}  (spec ${item.specId}, ${item.specFile}; generated by ${item.entry.generation?.model ?? '?'} in ${item.entry.generation?.attempts ?? '?'} attempt(s))`);
      const refused = refusal(item);
      if (refused) {
        log(`  ✖ ${refused}`);
        left++;
        continue;
      }
      const diff = diffSinceReview(workspaceRoot, item.file, item.output, color);
      for (const line of generationView(workspaceRoot, item, color)) log(line);
      log(`   diff ${diff.baseline}`);
      log(diff.text.trimEnd());
      const changes = item.entry.generation?.behaviourChanges ?? [];
      if (changes.length > 0) log(`   behaviour changed against the version reviewed before (differential gate):\n${changes.map((change) => `     - ${change}`).join('\n')}`);
      let answer = '';
      while (!['y', 'yes', 'n', 'no', 'q', 'quit'].includes(answer)) {
        answer = (await prompt.ask(`Approve ${item.file}? [y]es / [n]o / [q]uit: `)).trim().toLowerCase();
      }
      if (answer.startsWith('y')) {
        await recordApproval(workspaceRoot, item, reviewer, now());
        approvedLocks.add(item.lockFile);
        log(`  ✔ approved as ${reviewer}`);
      } else if (answer.startsWith('n')) {
        log(rejectionHelp(item, request.options));
        left++;
      } else {
        left += pending.length - index;
        break;
      }
    }
  } finally {
    prompt.close();
  }
  if (approvedLocks.size > 0) log(`\nRecorded in the lock; stage it with the outputs: git add ${[...approvedLocks].join(' ')}`);
  if (approvedLocks.size > 0) signedHint();
  if (left > 0) log(`${left} output(s) left unreviewed.`);
  return left === 0 ? 0 : 1;
}
