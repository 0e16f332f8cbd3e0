import { jsonProblems, parseCommandArgs } from '../cli-support';
import type { Command, CommandRegistry } from '../commands';
import { selectProjects, workspaceOptions, type ProjectSelection } from '../entry';

/**
 * The review gate's commands. cli.ts calls registerReviewCommands(COMMANDS), and this module imports only the
 * registry's types (from commands.ts), so neither module imports the other.
 * Each command loads its implementation on use, so `specwright generate` does not pay for them.
 */

export const REVIEW_USAGE = `Usage:
  specwright review [paths…] [--approve [--all] | --check] [--prune] [--project <name>]…
      Lists generated outputs that are not reviewed (review.hash ≠ hash in the lock), shows each one's diff since
      its last approved version and asks y/n/q. Paths are files or folders (relative to the current folder or the
      workspace root). Without a TTY it only lists, and exits 1 when anything is unreviewed.
      --approve   approve the named outputs (for scripts), printing each one's diff, the model's notes, the gate
                  verdicts and the spec diff first; stale, drifted, missing or policy-refused outputs are refused with
                  the reason and the fix. Without paths it refuses unless --all is given
      --all       with --approve and no paths: approve every listed output
      --check     list only; exit 1 when anything is not reviewed
      --prune     remove lock entries whose spec was deleted, and their unchanged generated files
      --json      list as JSON: {ok, outputs: [{file, spec, specFile, status, reason, fix, review}], problems}
  specwright ci-check [--project <name>]… [--signers-ref <rev>] [--json]
      generate-from-spec --check + review state + policy, for CI; never calls a model; exit 1 on any problem.
      With requireSignedReviews: true in specs/policy.yaml, every review record must be in a commit signed by its
      reviewer's key from specs/allowed_signers (read at <rev>, e.g. origin/main, when --signers-ref is given)
  specwright hook pre-commit
      the pre-commit check over the staged content (what .husky/pre-commit runs)`;

const EXITS = `Exit codes: 0 all reviewed / ok; 1 something needs attention; 2 usage error or internal error.`;

const reviewCommand: Command = async (args, workspaceRoot) => {
  const { values, positionals } = parseCommandArgs(
    'review',
    args,
    {
      approve: { type: 'boolean' },
      check: { type: 'boolean' },
      prune: { type: 'boolean' },
      all: { type: 'boolean' },
      project: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    console.log(REVIEW_USAGE);
    return 0;
  }
  if (values.approve && values.check) {
    console.error('--approve and --check exclude each other');
    return 2;
  }
  if (values.approve && positionals.length === 0 && !values.all) {
    console.error('review --approve without paths would approve every unreviewed output unseen.\n  fix: name the files or folders to approve (`npx specwright review --approve libs/money/src/round.ts`), or pass --all to approve everything listed');
    return 2;
  }
  if (values.all && !values.approve) {
    console.error('--all only goes with --approve');
    return 2;
  }
  const chosen = await selectProjects(workspaceRoot, 'review', values.project ?? [], 'specs-or-locks');
  if (values.json) {
    if (values.approve || values.prune) {
      console.error('--json lists only; it cannot be combined with --approve or --prune');
      return 2;
    }
    return reviewJson(workspaceRoot, chosen, positionals);
  }
  const { runReview } = await import('./review');
  // Proposed specs come first: they are what a person reviews before anything is generated from them.
  const drafts = (await import('../decompose/commands')).workspaceDraftTree(workspaceRoot);
  if (drafts) console.log(`${drafts}\nAccept a reviewed draft: npx specwright decompose --accept <file>\n`);
  return runReview({
    workspaceRoot,
    cwd: process.cwd(),
    projects: chosen.projects,
    dependencyProjects: chosen.others,
    options: workspaceOptions(workspaceRoot),
    paths: positionals,
    mode: values.approve ? 'approve' : values.check ? 'check' : 'auto',
    prune: !!values.prune,
  });
};

/** `review --json`: the review state of every selected output, for scripts and editors; exit 1 when any is not reviewed. */
async function reviewJson(workspaceRoot: string, chosen: ProjectSelection, paths: string[]): Promise<number> {
  const [{ collectReviewState }, { loadPolicy }, { resolveReviewPaths }] = await Promise.all([import('./state'), import('./policy'), import('./review')]);
  const state = collectReviewState({ workspaceRoot, projects: chosen.projects, dependencyProjects: chosen.others, options: workspaceOptions(workspaceRoot), policy: loadPolicy(workspaceRoot) });
  const wanted = resolveReviewPaths(workspaceRoot, process.cwd(), paths);
  const items = state.items.filter((item) => wanted.length === 0 || wanted.some((path) => path === '' || item.file === path || item.file.startsWith(`${path}/`)));
  const ok = items.every((item) => item.status === 'reviewed');
  const outputs = items.map((item) => ({ file: item.file, spec: item.specId, specFile: item.specFile, status: item.status, reason: item.reason, fix: item.fix, ...(item.output.review ? { review: item.output.review } : {}) }));
  process.stdout.write(`${JSON.stringify({ ok, outputs, problems: jsonProblems(state.failures) }, null, 2)}\n`);
  return ok ? 0 : 1;
}

const ciCheckCommand: Command = async (args, workspaceRoot) => {
  const { values } = parseCommandArgs('ci-check', args, { project: { type: 'string', multiple: true }, 'signers-ref': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    console.log(REVIEW_USAGE);
    return 0;
  }
  const chosen = await selectProjects(workspaceRoot, 'ci-check', values.project ?? [], 'specs-or-locks');
  const { runCiCheck } = await import('./ci-check');
  const signersRef = values['signers-ref'];
  const lines: string[] = [];
  const result = await runCiCheck({
    workspaceRoot,
    projects: chosen.projects,
    dependencyProjects: chosen.others,
    options: workspaceOptions(workspaceRoot),
    ...(signersRef ? { signersRef } : {}),
    ...(values.json ? { log: (line: string) => void lines.push(line) } : {}),
  });
  if (values.json) process.stdout.write(`${JSON.stringify({ ...result, report: lines }, null, 2)}\n`);
  return result.ok ? 0 : 1;
};

const hookCommand: Command = async (args) => {
  const { hookMain } = await import('./hook');
  return hookMain(args, process.cwd());
};

export function registerReviewCommands(commands: CommandRegistry): void {
  commands.set('review', { summary: 'list, diff and approve unreviewed generated outputs', run: reviewCommand, usage: `${REVIEW_USAGE}\n\n${EXITS}` });
  commands.set('ci-check', { summary: 'generation check + review state + policy, for CI; never calls a model', run: ciCheckCommand, usage: `${REVIEW_USAGE}\n\n${EXITS}` });
  commands.set('hook', { summary: 'git hooks: `hook pre-commit` checks the staged generated code', run: hookCommand, usage: `${REVIEW_USAGE}\n\nExit codes: 0 the commit may proceed; 1 it is refused (the reasons and fixes are printed).` });
}
