import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { realpathSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { readTextIfExists } from '../fs-utils';
import { parseLock, type ReviewRecord } from '../lock';
import { tryGit } from './git';
import { checkReviewer, reviewerMatches, type Policy } from './policy';
import type { ReviewItem } from './state';

/**
 * Reviews that cannot be forged. A review record in a lock only says who claims to have approved; with
 * `requireSignedReviews: true` in specs/policy.yaml, ci-check also requires that the commit which introduced each
 * record is signed with git's SSH signing by a key that `specs/allowed_signers` (ssh-keygen's allowed-signers
 * format: `email key`) lists for the reviewer the record names, and that this reviewer may approve the file
 * (policy.reviewers). The check is git's own: `git log --format=%G?%GS` with `gpg.ssh.allowedSignersFile`.
 *
 * The commit that introduced a record is found with the pickaxe on the lock (`git log -S'"at": "<time>"'`), oldest
 * first, confirmed by reading the lock of that commit: the record for that output must be in it, and not in its
 * parent.
 */

export const ALLOWED_SIGNERS_FILE = 'specs/allowed_signers';

export interface SignatureFinding {
  file: string;
  message: string;
  fix: string;
}

export interface SignatureCheck {
  findings: SignatureFinding[];
  /** Outputs whose review is in a good signature of an allowed signer. */
  verified: { file: string; commit: string; signer: string }[];
}

export interface SignatureRequest {
  workspaceRoot: string;
  items: readonly ReviewItem[];
  policy: Policy;
  /** Read `specs/allowed_signers` from this revision (e.g. the base branch) instead of the working tree. */
  signersRef?: string;
}

function reviewAt(top: string, commit: string, lockFromTop: string, specId: string, key: string): ReviewRecord | undefined {
  const text = tryGit(top, ['show', `${commit}:${lockFromTop}`]);
  if (text === undefined) return undefined;
  try {
    return parseLock(text, lockFromTop).specs[specId]?.outputs[key]?.review;
  } catch {
    return undefined;
  }
}

/** The oldest commit whose lock holds exactly this review record for this output while its first parent did not. */
export function commitIntroducingReview(top: string, lockFromTop: string, specId: string, key: string, review: ReviewRecord): string | undefined {
  const candidates = (tryGit(top, ['log', '--reverse', '--format=%H', `-S"at": "${review.at}"`, '--', lockFromTop]) ?? '').split('\n').filter(Boolean);
  for (const commit of candidates) {
    if (!isDeepStrictEqual(reviewAt(top, commit, lockFromTop, specId, key), review)) continue;
    const parent = tryGit(top, ['rev-parse', '--verify', '--quiet', `${commit}^`])?.trim();
    if (parent && isDeepStrictEqual(reviewAt(top, parent, lockFromTop, specId, key), review)) continue;
    return commit;
  }
  return undefined;
}

export interface CommitSignature {
  /** git's %G?: G good, B bad, U good but unknown validity, X/Y expired, R revoked, E cannot check, N none. */
  status: string;
  /** %GS: the principal allowed_signers matched for an SSH signature. */
  signer: string;
  fingerprint: string;
}

export function commitSignature(top: string, commit: string, allowedSignersFile: string): CommitSignature | undefined {
  const out = tryGit(top, ['-c', `gpg.ssh.allowedSignersFile=${allowedSignersFile}`, 'log', '-1', '--format=%G?%x00%GS%x00%GF', commit]);
  if (out === undefined) return undefined;
  const [status = 'N', signer = '', fingerprint = ''] = out.trim().split('\0');
  return { status, signer, fingerprint };
}

const STATUS_WORDS: Record<string, string> = {
  B: 'a bad signature',
  U: 'a signature of unknown validity',
  X: 'an expired signature',
  Y: 'a signature by an expired key',
  R: 'a signature by a revoked key',
  E: 'a signature that cannot be checked (its key is not in the allowed signers)',
  N: 'no signature',
};

/** For `review`: whether the reviewer has a key in the allowed signers at all (a hint before they commit). */
export function signersListed(workspaceRoot: string, email: string): boolean {
  const text = readTextIfExists(join(workspaceRoot, ALLOWED_SIGNERS_FILE)) ?? '';
  return text.split('\n').some((line) => {
    const principals = line.trim().split(/\s+/)[0] ?? '';
    return !line.trim().startsWith('#') && principals.split(',').some((p) => p.replace(/^"|"$/g, '').toLowerCase() === email.toLowerCase());
  });
}

export function verifySignedReviews(request: SignatureRequest): SignatureCheck {
  const { workspaceRoot, policy } = request;
  const result: SignatureCheck = { findings: [], verified: [] };
  const top = tryGit(workspaceRoot, ['rev-parse', '--show-toplevel'])?.trim();
  const reviewed = request.items.filter((item) => item.status === 'reviewed' && item.output.review);
  if (reviewed.length === 0) return result;
  if (!top) {
    for (const item of reviewed) result.findings.push({ file: item.file, message: 'signed reviews are required but the workspace is not a git repository', fix: 'run ci-check in a clone of the repository' });
    return result;
  }
  const signersText = request.signersRef ? tryGit(top, ['show', `${request.signersRef}:${ALLOWED_SIGNERS_FILE}`]) : readTextIfExists(join(workspaceRoot, ALLOWED_SIGNERS_FILE));
  if (signersText === undefined) {
    for (const item of reviewed) {
      result.findings.push({
        file: item.file,
        message: `signed reviews are required (requireSignedReviews in ${policy.file ?? 'specs/policy.yaml'}) but ${ALLOWED_SIGNERS_FILE} ${request.signersRef ? `does not exist at ${request.signersRef}` : 'does not exist'}`,
        fix: `create ${ALLOWED_SIGNERS_FILE} with one line per reviewer: \`<email> <ssh public key>\` (ssh-keygen's allowed signers format)`,
      });
    }
    return result;
  }
  const dir = mkdtempSync(join(tmpdir(), 'specwright-signers-'));
  try {
    const signersFile = join(dir, 'allowed_signers');
    writeFileSync(signersFile, signersText);
    const topReal = realpathSync(top);
    for (const item of reviewed) {
      const review = item.output.review as ReviewRecord;
      const lockFromTop = relative(topReal, realpathSync(join(workspaceRoot, item.lockFile))).split(sep).join('/');
      const commit = commitIntroducingReview(top, lockFromTop, item.specId, item.key, review);
      const sign = `commit it signed: \`git commit -S\` with \`git config gpg.format ssh\` and \`git config user.signingkey <your key>.pub\`, the key listed for ${review.by} in ${ALLOWED_SIGNERS_FILE}`;
      if (!commit) {
        result.findings.push({ file: item.file, message: `the review by ${review.by} (${review.at}) is not in any commit of ${item.lockFile}`, fix: sign });
        continue;
      }
      const signature = commitSignature(top, commit, signersFile);
      const short = commit.slice(0, 10);
      if (!signature || signature.status !== 'G') {
        const words = STATUS_WORDS[signature?.status ?? 'N'] ?? `signature status ${signature?.status}`;
        result.findings.push({ file: item.file, message: `the review by ${review.by} was committed in ${short} with ${words}`, fix: `have ${review.by} re-approve (\`npx specwright review ${item.file}\`) and ${sign}` });
        continue;
      }
      if (!reviewerMatches(signature.signer, review.by)) {
        result.findings.push({
          file: item.file,
          message: `the review names ${review.by}, but commit ${short} is signed by ${signature.signer} (${signature.fingerprint}): a review record must be committed by the reviewer it names`,
          fix: `have ${review.by} approve it and sign the commit, or let ${signature.signer} approve it themselves`,
        });
        continue;
      }
      const unmet = checkReviewer(policy, item.file, signature.signer);
      if (unmet) {
        result.findings.push({ file: item.file, message: `signed by ${signature.signer} in ${short}, but ${unmet.message}`, fix: unmet.fix });
        continue;
      }
      result.verified.push({ file: item.file, commit, signer: signature.signer });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}
