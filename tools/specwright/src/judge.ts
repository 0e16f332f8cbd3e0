import { draftAcceptFix } from './decompose/draft';
import { generateFix, reviewFix, type TargetNames } from './fix-commands';
import { isReviewed, type LockEntry, type LockOutput } from './lock';
import { inRoot } from './source-tree';
import { checkGenerationAllowed, checkReviewer, type Policy } from './review/policy';
import type { OutputStatus, SpecState } from './types';

/**
 * THE place where the state of a spec and of a generated output is decided, with one vocabulary, for every caller:
 * the planner (plan.ts: what a run generates), review state (review/state.ts: `specwright review`, `ci-check`,
 * `nx review-spec --check`) and the pre-commit hook (review/staged.ts). The rules are pure: callers gather the
 * facts from their source tree (working tree or git index) and pass them in; the hook adds only facts the index
 * alone has ("not staged", "left behind"), never a second version of a rule here.
 *
 * The vocabulary (each judgement carries a one-line reason and the command that fixes it):
 * - `new`        a spec with no lock entry: never generated
 * - `fresh`      generated from the spec as it is now, outputs as generated
 * - `stale`      the spec, its contracts, dependencies or model settings changed since generation (fingerprint)
 * - `missing`    an output the lock records does not exist
 * - `drifted`    an output's content is not what was generated: edited by hand (or written by a person)
 * - `unreviewed` generated content nobody has approved — or approved by someone the policy does not accept
 * - `reviewed`   approved, for this very content
 * - `orphaned`   a lock entry (and its outputs) whose spec is gone from the project
 * - `invalid`    the spec cannot be loaded
 * - `forbidden`  specs/policy.yaml does not allow generated code at the output's path
 * - `draft`      a draft spec (`draft: true`): a proposal, never generated nor committed
 */

export type State = SpecState | OutputState | 'draft';
/** The states of a generated output (review state, ci-check). */
export type OutputState = 'missing' | 'drifted' | 'stale' | 'forbidden' | 'unreviewed' | 'reviewed' | 'orphaned' | 'invalid';

export interface Judgement<S extends State = State> {
  state: S;
  /** One line, for people. */
  reason: string;
  /** The command or edit that resolves it, to run from the workspace root (empty when nothing is to be done). */
  fix: string;
}

/** What names the place the facts come from, in reasons (`the staged libs/a/specwright.lock.json`). */
export interface Wording {
  /** How to name a lock file: `libs/a/specwright.lock.json` (working tree) or `the staged …` (index). */
  lock: (lockPath: string) => string;
  /** How to name an output's content: `its content` or `the staged content`. */
  content: string;
  /** When set (the index), fixes end by staging what they changed: `git add …`. */
  stage: boolean;
}

export const WORKING_TREE_WORDS: Wording = { lock: (lockPath) => lockPath, content: 'its content', stage: false };
export const INDEX_WORDS: Wording = { lock: (lockPath) => `the staged ${lockPath}`, content: 'the staged content', stage: true };

/** Who a judgement is about: the spec, its project (for the regenerate command) and its lock. */
export interface SpecRef {
  id: string;
  /** Workspace-relative spec file. */
  specFile: string;
  /** The Nx project name. */
  project: string;
  /** Workspace-relative lock file of the project. */
  lockPath: string;
}

/** The drift rule, for every caller: content that is there and is not what the lock recorded (or no lock recorded it). */
export function isDrifted(currentHash: string | undefined, lockedHash: string | undefined): boolean {
  return currentHash !== undefined && currentHash !== lockedHash;
}

const regenerate = (names: TargetNames, ref: SpecRef, force = false) => generateFix(names, { project: ref.project, spec: ref.id, ...(force ? { force } : {}) });
const staging = (words: Wording, paths: readonly string[]) => (words.stage && paths.length > 0 ? ` && git add ${paths.join(' ')}` : '');

// ---------------------------------------------------------------------------------------------------------------
// Spec level: the planner's state of a spec, and the hook's verdict on a staged spec.

export interface SpecFacts extends SpecRef {
  /** Workspace-relative project root (`.` for the workspace root). */
  projectRoot: string;
  /** The spec's lock entry; absent when it was never generated. */
  entry?: LockEntry;
  /** The spec's fingerprint now; not needed when there is no entry (a caller may skip computing it then). */
  fingerprint?: string;
  /** Each output the spec declares, as found in the tree; omit to judge the fingerprint only (the hook judges outputs one by one). */
  outputs?: readonly Pick<OutputStatus, 'file' | 'exists' | 'drifted'>[];
}

/**
 * A drifted output wins over every other state, because regenerating it would destroy a person's edit (only
 * `--force` does that, after a backup); then never generated, then a missing output, then a changed fingerprint.
 */
export function judgeSpec(facts: SpecFacts, names: TargetNames, words: Wording = WORKING_TREE_WORDS): Judgement<SpecState> {
  const outputs = facts.outputs ?? [];
  const { entry } = facts;
  const lock = words.lock(facts.lockPath);
  const drifted = outputs.filter((output) => output.drifted);
  if (drifted.length > 0) {
    const files = drifted.map((output) => output.file).join(', ');
    return {
      state: 'drifted',
      reason: entry ? `${files} edited by hand since generation` : `${files} exists but was not generated from this spec`,
      fix: `move the change into ${facts.specFile} and run \`${regenerate(names, facts, true)}\` (keeps a backup of the edit)`,
    };
  }
  if (!entry) {
    return {
      state: 'new',
      reason: `spec "${facts.id}" has never been generated (no entry in ${lock})`,
      fix: `${regenerate(names, facts)} && ${reviewFix(facts.specFile)}${words.stage ? ` && git add ${facts.lockPath} <its outputs>` : ''}`,
    };
  }
  const entryOutputs = Object.keys(entry.outputs).map((key) => inRoot(facts.projectRoot, key));
  const missing = outputs.filter((output) => !output.exists);
  if (missing.length > 0) return { state: 'missing', reason: `${missing.map((output) => output.file).join(', ')} missing`, fix: regenerate(names, facts) };
  if (facts.fingerprint !== undefined && entry.fingerprint !== facts.fingerprint) {
    return {
      state: 'stale',
      reason: `spec "${facts.id}" (its text, contracts, dependencies or model settings) changed since its outputs were generated (its fingerprint is not the one in ${lock})`,
      fix: `${regenerate(names, facts)} && ${reviewFix(entryOutputs.join(' '))}${staging(words, [facts.lockPath, ...entryOutputs])}`,
    };
  }
  return { state: 'fresh', reason: 'up to date', fix: '' };
}

/** A spec that cannot be loaded (parse, contracts, a broken dependency); `id` is unknown when it does not parse. */
export function judgeInvalidSpec(ref: Pick<SpecRef, 'specFile' | 'project'> & { id?: string }, problem: { message: string; fix?: string }, names: TargetNames): Judgement<'invalid'> {
  const command = generateFix(names, { project: ref.project, ...(ref.id ? { spec: ref.id } : {}) });
  return { state: 'invalid', reason: `spec ${ref.specFile} cannot be loaded: ${problem.message}`, fix: problem.fix ?? `fix ${ref.specFile} (the error says where), then run \`${command}\`` };
}

/** Two spec files of the workspace with one id: no fingerprint can be trusted until one is renamed. */
export function judgeDuplicateId(id: string, files: readonly string[]): Judgement<'invalid'> {
  return { state: 'invalid', reason: `spec id "${id}" is also used by ${files[0]}`, fix: `rename the id in one of ${files.join(', ')}` };
}

/** A draft spec with no lock entry: a proposal no one has accepted (the run refuses to generate it). */
export function judgeDraftSpec(ref: Pick<SpecRef, 'id' | 'specFile'>): Judgement<'draft'> {
  return { state: 'draft', reason: `spec "${ref.id}" is a draft (draft: true), a proposal no one has accepted`, fix: draftAcceptFix(ref.specFile) };
}

/** An output of a draft spec about to be kept (committed): drafts are proposals, their outputs are not kept. */
export function judgeDraftOutput(ref: Pick<SpecRef, 'id' | 'specFile'>, file: string): Judgement<'draft'> {
  return {
    state: 'draft',
    reason: `output of spec "${ref.id}", which is a draft (draft: true); drafts are proposals, their outputs are not committed`,
    fix: `git restore --staged ${file}; to accept the spec: ${draftAcceptFix(ref.specFile)}`,
  };
}

/** A lock entry whose spec is gone from its project; `outputs`: the entry's outputs still in the tree. */
export function judgeOrphan(ref: SpecRef, outputs: readonly string[], words: Wording = WORKING_TREE_WORDS): Judgement<'orphaned'> {
  const files = outputs.length ? ` and its generated files (${outputs.join(', ')})` : '';
  return {
    state: 'orphaned',
    reason: `spec "${ref.id}" (${ref.specFile}) is deleted (or moved to another project), but its entry in ${words.lock(ref.lockPath)}${files} remain`,
    fix: words.stage ? `npx specwright review --prune && git add -A -- ${[ref.lockPath, ...outputs].join(' ')}   (or keep the spec: git checkout HEAD -- ${ref.specFile})` : 'npx specwright review --prune',
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Output level: review state's status of an output, and the hook's verdicts on a staged output.

export interface OutputFacts extends SpecRef {
  /** Workspace-relative output file. */
  file: string;
  /** The output's lock record (generated hash, review). */
  output: LockOutput;
  /** Hash of the output's content in the tree; `undefined` when it is not there. */
  currentHash?: string;
  /**
   * The spec's side, when the caller judges it together with the output (review state); the hook judges the spec
   * once, on the spec file (judgeSpec), and leaves this out.
   */
  spec?: { invalid: { message: string; fix?: string } } | { orphaned: true } | { fingerprint: string; lockedFingerprint: string };
  /** A command that brings the generated content back, when the caller knows one (`git checkout HEAD -- file`). */
  restore?: string;
  /** `undefined`: no policy checks (the policy itself is invalid, and reported). */
  policy?: Policy;
}

/**
 * Every verdict on an output, most decisive first: the first is its state (review state shows that one); the
 * hook reports all of them but `reviewed`. An invalid spec, an orphaned entry or a missing file say all there is;
 * otherwise a hand edit, a stale spec and a policy refusal are each reported, and the review only counts for
 * content that is what was generated.
 */
export function judgeOutput(facts: OutputFacts, names: TargetNames, words: Wording = WORKING_TREE_WORDS): [Judgement<OutputState>, ...Judgement<OutputState>[]] {
  const { file, output, spec, policy } = facts;
  if (spec && 'invalid' in spec) return [judgeInvalidSpec(facts, spec.invalid, names)];
  if (spec && 'orphaned' in spec) return [judgeOrphan(facts, facts.currentHash === undefined ? [] : [file], words)];
  if (facts.currentHash === undefined) {
    return [
      {
        state: 'missing',
        reason: `output of spec "${facts.id}" does not exist, but ${words.lock(facts.lockPath)} records it`,
        fix: `${regenerate(names, facts)}   (or, if the spec should no longer produce it, remove it from ${facts.specFile}'s outputs and regenerate)`,
      },
    ];
  }
  const verdicts: Judgement<OutputState>[] = [];
  const drifted = isDrifted(facts.currentHash, output.hash);
  if (drifted) {
    verdicts.push({
      state: 'drifted',
      reason: `edited by hand since spec "${facts.id}" generated it (${words.content} is not what the lock records)`,
      fix: `move the change into ${facts.specFile} and run \`${regenerate(names, facts, true)}\` (keeps a backup of the edit)${facts.restore ? `, or drop the edit: ${facts.restore}` : ''}`,
    });
  }
  if (spec && 'fingerprint' in spec && spec.fingerprint !== spec.lockedFingerprint) {
    verdicts.push({ state: 'stale', reason: `spec "${facts.id}" (its text, contracts, dependencies or model settings) changed since generation`, fix: `${regenerate(names, facts)} && ${reviewFix(file)}` });
  }
  const refused = policy ? judgeForbidden(policy, file) : undefined;
  if (refused) verdicts.push(refused);
  // A review counts only for the content that was generated: after a hand edit there is nothing to say about it.
  const [first, ...others] = drifted ? verdicts : [...verdicts, judgeReview(facts, words)];
  return first ? [first, ...others] : [judgeReview(facts, words)];
}

/** Whether specs/policy.yaml forbids generated code at the path. */
export function judgeForbidden(policy: Policy, file: string): Judgement<'forbidden'> | undefined {
  const refused = checkGenerationAllowed(policy, [file])[0];
  return refused ? { state: 'forbidden', reason: refused.message, fix: refused.fix } : undefined;
}

/** Reviewed iff the lock's review is for this content and by someone the policy accepts for the file. */
export function judgeReview(facts: Pick<OutputFacts, 'id' | 'file' | 'output' | 'policy' | 'lockPath'>, words: Wording = WORKING_TREE_WORDS): Judgement<'reviewed' | 'unreviewed'> {
  const { file, output, policy } = facts;
  if (isReviewed(output) && output.review) {
    const reviewer = policy ? checkReviewer(policy, file, output.review.by) : undefined;
    if (reviewer) return { state: 'unreviewed', reason: reviewer.message, fix: words.stage ? `${reviewer.fix}, then git add ${facts.lockPath}` : reviewer.fix };
    return { state: 'reviewed', reason: `reviewed by ${output.review.by} at ${output.review.at}`, fix: '' };
  }
  return {
    state: 'unreviewed',
    reason: output.review ? `generated by spec "${facts.id}"; the review on record (${output.review.by}, ${output.review.at}) is for earlier content` : `generated by spec "${facts.id}" and never reviewed`,
    fix: `${reviewFix(file)}${staging(words, [facts.lockPath])}`,
  };
}
