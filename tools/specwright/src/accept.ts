import { join } from 'node:path';
import { describeError, SpecwrightError } from './errors';
import { formatFeedback } from './feedback';
import { generateFix, type TargetNames } from './fix-commands';
import { readTextIfExists, sha256, workspaceRelative } from './fs-utils';
import type { GateRunner } from './generate';
import { withHeader } from './header';
import { loadSpecs, type ProjectRef } from './load';
import { commitSpecWrite } from './journal';
import { bodyHash, isReviewed, readLock, type LockEntry } from './lock';
import { withProjectRunLock } from './mutex';
import type { NormalizedOptions } from './options';
import { projectRelative } from './plan';
import type { FingerprintedSpec } from './types';

/**
 * `specwright accept <spec>`: a spec was edited (often only its prose) and the code already generated still meets it.
 * When every output is exactly what the lock recorded and passes every gate of the edited spec, the new fingerprint
 * is recorded — the header's fingerprint line and the lock entry — without a model call. The code below the header
 * does not change, so its review (which covers the body) stays valid.
 */
export interface AcceptRequest {
  workspaceRoot: string;
  cwd: string;
  projects: ProjectRef[];
  /** Spec ids, or spec files (relative to cwd or to the workspace root). */
  targets: string[];
  options: NormalizedOptions;
  gates: GateRunner;
  log?: (line: string) => void;
}

export interface AcceptOutcome {
  id: string;
  file: string;
  result: 'accepted' | 'fresh' | 'refused';
  reason?: string;
  fix?: string;
}

const LOCK_WAIT_MS = 30_000;

function findSpec(specs: readonly FingerprintedSpec[], target: string, workspaceRoot: string, cwd: string): FingerprintedSpec | undefined {
  const fromCwd = workspaceRelative(workspaceRoot, join(cwd, target));
  return specs.find((spec) => spec.spec.id === target || spec.file === target || spec.file === fromCwd);
}

/** Why the outputs on disk cannot simply be re-stamped, or undefined when they can. */
function refusal(workspaceRoot: string, spec: FingerprintedSpec, entry: LockEntry | undefined, targets: TargetNames): { reason: string; fix: string } | undefined {
  const generate = generateFix(targets, { project: spec.project, spec: spec.spec.id });
  if (!entry) return { reason: 'it was never generated, so there is no code to accept', fix: generate };
  const expected = new Set(spec.outputFiles.map((file) => projectRelative(spec.projectRoot, file)));
  const recorded = new Set(Object.keys(entry.outputs));
  if (expected.size !== recorded.size || [...expected].some((key) => !recorded.has(key))) {
    return { reason: `its outputs changed (now ${[...expected].join(', ')}; generated ${[...recorded].join(', ')})`, fix: generate };
  }
  for (const file of spec.outputFiles) {
    const content = readTextIfExists(join(workspaceRoot, file));
    const output = entry.outputs[projectRelative(spec.projectRoot, file)];
    if (content === undefined) return { reason: `${file} is missing`, fix: generate };
    if (sha256(content) !== output?.hash) return { reason: `${file} differs from what was generated (a hand edit?)`, fix: `move the change into the spec and run \`${generate}\`, or \`${generateFix(targets, { project: spec.project, spec: spec.spec.id, force: true })}\`` };
  }
  return undefined;
}

export async function acceptSpecs(request: AcceptRequest): Promise<{ ok: boolean; outcomes: AcceptOutcome[] }> {
  const log = request.log ?? ((line: string) => console.log(line));
  const { workspaceRoot } = request;
  const loaded = loadSpecs(workspaceRoot, request.projects, request.options);
  const specsById = new Map(loaded.specs.map((spec) => [spec.spec.id, spec]));
  const outcomes: AcceptOutcome[] = [];

  for (const target of request.targets) {
    const spec = findSpec(loaded.specs, target, workspaceRoot, request.cwd);
    if (!spec) {
      const failure = loaded.failures.find((candidate) => candidate.file === target || candidate.file === workspaceRelative(workspaceRoot, join(request.cwd, target)));
      outcomes.push({ id: target, file: failure?.file ?? target, result: 'refused', reason: failure ? failure.error.format() : 'no such spec id or spec file', fix: failure ? 'fix the spec first' : '`npx specwright check` lists the specs' });
      continue;
    }
    const lock = readLock(workspaceRoot, spec.projectRoot);
    const entry = lock.specs[spec.spec.id];
    if (entry?.fingerprint === spec.fingerprint) {
      outcomes.push({ id: spec.spec.id, file: spec.file, result: 'fresh', reason: 'already up to date; nothing to accept' });
      continue;
    }
    const refused = refusal(workspaceRoot, spec, entry, request.options);
    if (refused) {
      outcomes.push({ id: spec.spec.id, file: spec.file, result: 'refused', ...refused });
      continue;
    }
    const files = new Map(spec.outputFiles.map((file) => [file, readTextIfExists(join(workspaceRoot, file)) as string]));
    let verdicts;
    try {
      verdicts = await request.gates({ spec, files, specsById });
    } catch (error) {
      outcomes.push({ id: spec.spec.id, file: spec.file, result: 'refused', reason: `the gates could not run: ${describeError(error)}`, fix: 'fix the problem above and run accept again' });
      continue;
    }
    const failed = verdicts.filter((verdict) => !verdict.ok && !verdict.skipped);
    if (failed.length > 0) {
      outcomes.push({
        id: spec.spec.id,
        file: spec.file,
        result: 'refused',
        reason: `the current code does not meet the edited spec:\n${formatFeedback(verdicts)}`,
        fix: `regenerate it: ${generateFix(request.options, { project: spec.project, spec: spec.spec.id })}`,
      });
      continue;
    }
    await withProjectRunLock(workspaceRoot, spec.projectRoot, LOCK_WAIT_MS, async () => restamp(workspaceRoot, spec, files, request.options));
    outcomes.push({ id: spec.spec.id, file: spec.file, result: 'accepted' });
  }

  for (const outcome of outcomes) {
    if (outcome.result === 'accepted') log(`✔ ${outcome.id}: the current code passes every gate of the edited spec; recorded its new fingerprint (no model call)`);
    else if (outcome.result === 'fresh') log(`· ${outcome.id}: ${outcome.reason}`);
    else log(`✖ ${outcome.id} (${outcome.file}): not accepted — ${outcome.reason}\n    fix: ${outcome.fix}`);
  }
  return { ok: outcomes.every((outcome) => outcome.result !== 'refused'), outcomes };
}

/** New header lines in every output, the new fingerprint and hashes in the lock; reviews carry over by body hash. */
function restamp(workspaceRoot: string, spec: FingerprintedSpec, files: ReadonlyMap<string, string>, targets: TargetNames): void {
  const lock = readLock(workspaceRoot, spec.projectRoot);
  const entry = lock.specs[spec.spec.id];
  if (!entry) throw new SpecwrightError(`the lock entry of ${spec.spec.id} disappeared during accept`, { file: spec.file, fix: 'run accept again', code: 'ACCEPT_RACE' });
  const outputs: LockEntry['outputs'] = {};
  const restampedFiles = new Map<string, string>();
  for (const [file, content] of files) {
    const key = projectRelative(spec.projectRoot, file);
    const previous = entry.outputs[key];
    if (readTextIfExists(join(workspaceRoot, file)) !== content || sha256(content) !== previous?.hash) {
      throw new SpecwrightError(`${file} changed during accept`, { file, fix: 'run accept again', code: 'ACCEPT_RACE' });
    }
    const restamped = withHeader(spec, content);
    const body = bodyHash(restamped);
    // A review of the old content covers the same body; older records (no body hash) are carried by their hash.
    const review = previous.review && (isReviewed(previous) || previous.review.body === body) ? { ...previous.review, body } : previous.review;
    outputs[key] = { hash: sha256(restamped), body, ...(review ? { review } : {}) };
    restampedFiles.set(file, restamped);
  }
  // The same journaled write as a generation: a crash in the middle is rolled forward by the next writing run.
  commitSpecWrite(workspaceRoot, spec.projectRoot, spec.spec.id, { ...entry, fingerprint: spec.fingerprint, outputs }, restampedFiles, targets);
}
