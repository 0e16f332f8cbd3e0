import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { sha256 } from '../fs-utils';
import type { LockOutput } from '../lock';
import { readObjects, tryGit } from './git';

/**
 * What a reviewer sees: the change since the content that was last approved. A review record holds the sha256 of
 * the approved content, so the approved version is found by content, not by guessing a commit: the file's
 * history (newest first, then the index) is searched for a version whose hash equals `review.hash`. When found, the
 * diff is exactly "approved → now". When it is not (never reviewed, or approved content that was never
 * committed), the whole file is shown: diffing against HEAD would present unreviewed code as if it were the
 * approved baseline.
 */

export interface ReviewDiff {
  /** One line: what the diff is against. */
  baseline: string;
  /** A unified diff (or the whole file as additions). */
  text: string;
}

const HISTORY_DEPTH = 200;

function git(top: string, args: string[]): string {
  // `git diff` exits 1 when there are differences; only the output matters here.
  const result = spawnSync('git', args, { cwd: top, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' });
  return result.stdout ?? '';
}

export function diffSinceReview(workspaceRoot: string, file: string, output: LockOutput, color: boolean): ReviewDiff {
  const top = tryGit(workspaceRoot, ['rev-parse', '--show-toplevel'])?.trim();
  const colorFlag = color ? '--color=always' : '--color=never';
  const wholeFile = (baseline: string): ReviewDiff => ({ baseline, text: git(workspaceRoot, ['diff', '--no-index', colorFlag, '--', '/dev/null', join(workspaceRoot, file)]) });
  if (!top) return wholeFile('not a git repository: the whole file');
  const fromTop = relative(realpathSync(top), realpathSync(join(workspaceRoot, file))).split(sep).join('/');
  const reviewed = output.review?.hash;
  if (!reviewed) return wholeFile('never reviewed: the whole file');

  const commits = (tryGit(top, ['log', `-n${HISTORY_DEPTH}`, '--format=%H', '--', fromTop]) ?? '').split('\n').filter(Boolean);
  if (commits.length > 0) {
    const versions = readObjects(top, commits.map((commit) => `${commit}:${fromTop}`));
    const match = commits.find((commit) => {
      const content = versions.get(`${commit}:${fromTop}`);
      return content !== undefined && sha256(content) === reviewed;
    });
    if (match) {
      return {
        baseline: `since the approved version (${output.review?.by}, ${output.review?.at}), as committed in ${match.slice(0, 10)}`,
        text: git(top, ['diff', colorFlag, match, '--', fromTop]),
      };
    }
  }
  const staged = readObjects(top, [`:${fromTop}`]).get(`:${fromTop}`);
  if (staged && sha256(staged) === reviewed) {
    return { baseline: `since the approved version (${output.review?.by}, ${output.review?.at}), which is staged`, text: git(top, ['diff', colorFlag, '--', fromTop]) };
  }
  return wholeFile(`the approved version (${output.review?.by}, ${output.review?.at}) is not in the index or the last ${HISTORY_DEPTH} commits of ${file}: the whole file`);
}
