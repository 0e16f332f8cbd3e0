import { parseArgs } from 'node:util';
import type { Command } from '../cli';
import type { ProjectRef } from '../load';
import { normalizeOptions, type SpecwrightPluginOptions } from '../options';
import { readPluginOptions } from '../workspace';

/**
 * The review gate's commands. cli.ts calls registerReviewCommands(COMMANDS): a module that imported COMMANDS
 * itself would run while cli.ts is still loading (a require cycle) and find the map not yet initialized.
 * Each command loads its implementation on use, so `specwright generate` does not pay for them.
 */

export const REVIEW_USAGE = `Usage:
  specwright review [paths…] [--approve | --check] [--prune] [--project <name>]…
      Lists generated outputs that are not reviewed (review.hash ≠ hash in the lock), shows each one's diff since
      its last approved version and asks y/n/q. Paths are files or folders (relative to the current folder or the
      workspace root). Without a TTY it only lists, and exits 1 when anything is unreviewed.
      --approve   approve every listed output that can be approved (for scripts); stale, drifted, missing or
                  policy-refused outputs are refused with the reason and the fix
      --check     list only; exit 1 when anything is not reviewed
      --prune     remove lock entries whose spec was deleted, and their unchanged generated files
  specwright ci-check [--project <name>]…
      generate-from-spec --check + review state + policy, for CI; never calls a model; exit 1 on any problem
  specwright hook pre-commit
      the pre-commit check over the staged content (what .husky/pre-commit runs)`;

type Registry = Map<string, { summary: string; run: Command }>;

async function selection(workspaceRoot: string, wanted: readonly string[]): Promise<{ projects: ProjectRef[]; others: ProjectRef[] } | undefined> {
  const { allReviewProjects } = await import('./state');
  const all = allReviewProjects(workspaceRoot);
  const unknown = wanted.filter((name) => !all.some((project) => project.name === name));
  if (unknown.length > 0) {
    console.error(`unknown project(s) ${unknown.join(', ')}; projects with specs or locks: ${all.map((p) => p.name).join(', ')}`);
    return undefined;
  }
  const projects = wanted.length > 0 ? all.filter((project) => wanted.includes(project.name)) : all;
  return { projects, others: all.filter((project) => !projects.includes(project)) };
}

const reviewCommand: Command = async (args, workspaceRoot) => {
  const { values, positionals } = parseArgs({
    args,
    options: {
      approve: { type: 'boolean' },
      check: { type: 'boolean' },
      prune: { type: 'boolean' },
      project: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(REVIEW_USAGE);
    return 0;
  }
  if (values.approve && values.check) {
    console.error('--approve and --check exclude each other');
    return 2;
  }
  const chosen = await selection(workspaceRoot, values.project ?? []);
  if (!chosen) return 2;
  const { runReview } = await import('./review');
  // Proposed specs come first: they are what a person reviews before anything is generated from them.
  const drafts = (await import('../decompose/commands')).workspaceDraftTree(workspaceRoot);
  if (drafts) console.log(`${drafts}\nAccept a reviewed draft: npx specwright decompose --accept <file>\n`);
  return runReview({
    workspaceRoot,
    cwd: process.cwd(),
    projects: chosen.projects,
    dependencyProjects: chosen.others,
    options: normalizeOptions(readPluginOptions(workspaceRoot) as SpecwrightPluginOptions),
    paths: positionals,
    mode: values.approve ? 'approve' : values.check ? 'check' : 'auto',
    prune: !!values.prune,
  });
};

const ciCheckCommand: Command = async (args, workspaceRoot) => {
  const { values } = parseArgs({ args, options: { project: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(REVIEW_USAGE);
    return 0;
  }
  const chosen = await selection(workspaceRoot, values.project ?? []);
  if (!chosen) return 2;
  const { runCiCheck } = await import('./ci-check');
  const result = await runCiCheck({ workspaceRoot, projects: chosen.projects, dependencyProjects: chosen.others, options: normalizeOptions(readPluginOptions(workspaceRoot) as SpecwrightPluginOptions) });
  return result.ok ? 0 : 1;
};

const hookCommand: Command = async (args) => {
  const { hookMain } = await import('./hook');
  return hookMain(args, process.cwd());
};

export function registerReviewCommands(commands: Registry): void {
  commands.set('review', { summary: 'list, diff and approve unreviewed generated outputs', run: reviewCommand });
  commands.set('ci-check', { summary: 'generation check + review state + policy, for CI', run: ciCheckCommand });
  commands.set('hook', { summary: 'git hooks: `hook pre-commit` checks the staged generated code', run: hookCommand });
}
