import { join } from 'node:path';
import { describeError } from '../errors';
import { readTextIfExists } from '../fs-utils';
import type { ProjectRef } from '../load';
import type { NormalizedOptions } from '../options';
import { runPipeline } from '../run';
import { warmHookCache } from './cache';
import { checkGenerationAllowed, loadPolicy, POLICY_FILE, type Policy } from './policy';
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
}

/**
 * The CI backstop for everything the pre-commit hook checks (which `--no-verify` skips): the check mode of the
 * pipeline (stale, new, missing, drifted specs; never calls a model) plus the review state of every recorded
 * output and the policy over every declared output.
 */
export async function runCiCheck(request: CiCheckRequest): Promise<CiCheckResult> {
  const log = request.log ?? ((line: string) => console.log(line));
  const { workspaceRoot, projects, options } = request;
  const dependencyProjects = request.dependencyProjects ?? [];

  log(`── generation (the check mode of generate-from-spec; no model is called): ${projects.map((p) => p.name).join(', ') || '(no projects with specs)'}`);
  const pipeline = await runPipeline({ workspaceRoot, projects, dependencyProjects, options, mode: 'check', log });

  log('── review and policy');
  let policy: Policy | undefined;
  let policyOk = true;
  try {
    policy = loadPolicy(workspaceRoot);
  } catch (error) {
    log(describeError(error));
    policyOk = false;
  }
  const state = collectReviewState({ workspaceRoot, projects, dependencyProjects, options, ...(policy ? { policy } : {}) });
  const problems = state.items.filter((item) => item.status !== 'reviewed');
  for (const item of problems) log(`  ${item.status.padEnd(10)} ${item.file}  (spec ${item.specId}): ${item.reason}\n             fix: ${item.fix}`);
  const roots = new Set(projects.map((project) => project.root));
  const declared = state.specs.filter((spec) => roots.has(spec.projectRoot)).flatMap((spec) => spec.outputFiles);
  const refused = policy ? checkGenerationAllowed(policy, declared) : [];
  const alreadyReported = new Set(problems.filter((item) => item.status === 'forbidden').map((item) => item.file));
  for (const finding of refused.filter((f) => !alreadyReported.has(f.file))) log(`  forbidden  ${finding.file}: ${finding.message}\n             fix: ${finding.fix}`);
  const policySource = readTextIfExists(join(workspaceRoot, POLICY_FILE));
  warmHookCache(workspaceRoot, state.specs, options, policy && policySource !== undefined ? { source: policySource, policy } : undefined);

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
  const reviewed = state.items.length - problems.length;
  const ok = pipeline.ok && problems.length === 0 && refused.length === 0 && policyOk && signatureFindings === 0;
  log(
    `Specwright ci-check: ${ok ? 'ok' : 'FAILED'} — generation ${pipeline.ok ? 'up to date' : 'NOT up to date'}; ${reviewed}/${state.items.length} output(s) reviewed` +
      `${problems.length ? `, ${problems.length} not` : ''}${signatureFindings ? `, ${signatureFindings} without a valid signature` : ''}${refused.length ? `; ${refused.length} refused by ${POLICY_FILE}` : ''}${policyOk ? '' : `; ${POLICY_FILE} is invalid`}`,
  );
  return { ok, generationOk: pipeline.ok, notReviewed: problems.length, policyFindings: refused.length, signatureFindings };
}
