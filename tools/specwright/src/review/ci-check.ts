import type { ProjectRef } from '../load';
import type { NormalizedOptions } from '../options';
import { runPipeline } from '../run';
import { sinkFor } from '../sinks';
import { warmHookCache } from './cache';
import { checkGenerationAllowed, POLICY_FILE } from './policy';
import { collectReviewState } from './state';

export interface CiCheckRequest {
  workspaceRoot: string;
  projects: ProjectRef[];
  dependencyProjects?: ProjectRef[];
  options: NormalizedOptions;
  log?: (line: string) => void;
  /** With requireSignedReviews: read specs/allowed_signers from this revision (e.g. origin/main), not the working tree. */
  signersRef?: string;
}

export interface CiCheckResult {
  ok: boolean;
  /** generate-from-spec --check passed. */
  generationOk: boolean;
  /** Outputs that are not reviewed (or stale, drifted, missing, orphaned, forbidden). */
  notReviewed: number;
  /** Declared outputs the policy refuses. */
  policyFindings: number;
  /** Reviews whose signature is missing or wrong (only with requireSignedReviews). */
  signatureFindings: number;
  /** specs/policy.yaml cannot be read (its problem is reported with its position and fix). */
  policyInvalid: boolean;
}

/**
 * The CI backstop for everything the pre-commit hook checks (which `--no-verify` skips): the check sink of the
 * pipeline (stale, new, missing, drifted specs, orphaned lock entries; never calls a model) plus the review state of
 * every recorded output and the policy over every declared output. One snapshot serves both: each spec is parsed
 * and fingerprinted once, the policy read once.
 */
export async function runCiCheck(request: CiCheckRequest): Promise<CiCheckResult> {
  const log = request.log ?? ((line: string) => console.log(line));
  const { workspaceRoot, projects, options } = request;
  const dependencyProjects = request.dependencyProjects ?? [];

  log(`── generation (the check mode of generate-from-spec; no model is called): ${projects.map((p) => p.name).join(', ') || '(no projects with specs)'}`);
  const pipeline = await runPipeline({ workspaceRoot, projects, dependencyProjects, options, sink: sinkFor('check'), log });
  const { snapshot } = pipeline;
  const { policy, policyError } = snapshot;

  log('── review and policy');
  if (policyError) {
    // Its full text (position, expectation) is in the generation report above; here, what it means for this check.
    log(`  invalid    ${policyError.location ?? POLICY_FILE}: ${policyError.message}; the policy and reviewer checks are skipped until it is fixed\n             fix: ${policyError.fix ?? `edit ${POLICY_FILE}`}`);
  }
  const state = collectReviewState({ workspaceRoot, projects, dependencyProjects, options, loaded: snapshot.loaded, ...(policy ? { policy } : {}) });
  const problems = state.items.filter((item) => item.status !== 'reviewed');
  for (const item of problems) log(`  ${item.status.padEnd(10)} ${item.file}  (spec ${item.specId}): ${item.reason}\n             fix: ${item.fix}`);
  const declared = snapshot.own.flatMap((spec) => spec.outputFiles);
  const refused = policy ? checkGenerationAllowed(policy, declared) : [];
  const alreadyReported = new Set(problems.filter((item) => item.status === 'forbidden').map((item) => item.file));
  for (const finding of refused.filter((f) => !alreadyReported.has(f.file))) log(`  forbidden  ${finding.file}: ${finding.message}\n             fix: ${finding.fix}`);
  warmHookCache(workspaceRoot, state.specs, options, policy && snapshot.policySource !== undefined ? { source: snapshot.policySource, policy } : undefined);

  let signatureFindings = 0;
  if (policy?.requireSignedReviews) {
    const { verifySignedReviews, ALLOWED_SIGNERS_FILE } = await import('./signing');
    // The env var reaches `nx review-spec --check` too (CI sets it to the base branch).
    const signersRef = request.signersRef ?? (process.env.SPECWRIGHT_SIGNERS_REF || undefined);
    const signatures = verifySignedReviews({ workspaceRoot, items: state.items, policy, ...(signersRef ? { signersRef } : {}) });
    log(`── signed reviews (requireSignedReviews; keys in ${ALLOWED_SIGNERS_FILE}${signersRef ? ` at ${signersRef}` : ''}): ${signatures.verified.length} verified`);
    for (const finding of signatures.findings) log(`  unsigned   ${finding.file}: ${finding.message}\n             fix: ${finding.fix}`);
    signatureFindings = signatures.findings.length;
  }
  const policyOk = !policyError;
  // The unreadable policy is a problem of its own (counted below), not a sign that generation is behind.
  const generationOk = pipeline.outcomes.every((outcome) => outcome.result === 'fresh') && pipeline.failures.every((failure) => failure.error === policyError);
  const reviewed = state.items.length - problems.length;
  const ok = generationOk && problems.length === 0 && refused.length === 0 && policyOk && signatureFindings === 0;
  log(
    `Specwright ci-check: ${ok ? 'ok' : 'FAILED'} — generation ${generationOk ? 'up to date' : 'NOT up to date'}; ${reviewed}/${state.items.length} output(s) reviewed` +
      `${problems.length ? `, ${problems.length} not` : ''}${signatureFindings ? `, ${signatureFindings} without a valid signature` : ''}${refused.length ? `; ${refused.length} refused by ${POLICY_FILE}` : ''}${policyOk ? '' : `; ${POLICY_FILE} is invalid`}`,
  );
  return { ok, generationOk, notReviewed: problems.length, policyFindings: refused.length, signatureFindings, policyInvalid: !policyOk };
}
