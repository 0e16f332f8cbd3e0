import { parseArgs } from 'node:util';
import { discoverSpecProjects, projectNameOf } from './discover';
import { describeError } from './errors';
import type { ProjectRef } from './load';
import { normalizeOptions, type SpecwrightPluginOptions } from './options';
import { runPipeline, type RunMode } from './run';
import { registerReviewCommands } from './review/commands';
import { verifySpecs } from './verify';
import { findWorkspaceRoot, readPluginOptions } from './workspace';

const USAGE = `Usage: specwright <command> [options]

Commands:
  generate            regenerate stale specs (the same pipeline as \`nx generate-from-spec\`, over the whole workspace)
  check               list stale, new, missing and drifted specs; never calls a model; exit 1 when any
  dry-run             print the prompts and the files that would be written; calls no model
  verify              run every gate on the committed generated files; calls no model

Options:
  --project <name>    only this project (repeatable)
  --spec <id>         only this spec (repeatable)
  --force             regenerate fresh specs too and overwrite hand-edited outputs (a backup is kept)
  --concurrency <n>   specs generated at once
  --no-gates          skip the code gates (debugging only)
  --accept-behaviour-change <spec-id>
                      let that spec's new code behave differently from the reviewed version (the differences
                      are recorded in the lock and shown in review instead of being rejected)
  -h, --help          this text

Environment: OPENAI_API_KEY, OPENAI_BASE_URL (any OpenAI-compatible server), SPECWRIGHT_PROVIDER=openai|replay|record.`;

export type Command = (args: string[], workspaceRoot: string) => Promise<number>;

/** Other modules add their commands here (review, hook, verify) so the entry point stays one table. */
export const COMMANDS = new Map<string, { summary: string; run: Command }>();

interface Selection {
  options: ReturnType<typeof normalizeOptions>;
  projects: ProjectRef[];
  others: ProjectRef[];
}

/** The projects named with --project (all projects holding specs when none), and the rest for dependencies. */
function selectProjects(workspaceRoot: string, wanted: string[]): Selection | undefined {
  const options = normalizeOptions(readPluginOptions(workspaceRoot) as SpecwrightPluginOptions);
  const all: ProjectRef[] = [...discoverSpecProjects(workspaceRoot).keys()].map((root) => ({ root, name: projectNameOf(workspaceRoot, root) }));
  const unknown = wanted.filter((name) => !all.some((project) => project.name === name));
  if (unknown.length > 0) {
    console.error(`unknown project(s) ${unknown.join(', ')}; projects with specs: ${all.map((p) => p.name).join(', ')}`);
    return undefined;
  }
  const projects = wanted.length > 0 ? all.filter((project) => wanted.includes(project.name)) : all;
  return { options, projects, others: all.filter((project) => !projects.includes(project)) };
}

const verifyCommand: Command = async (args, workspaceRoot) => {
  const { values } = parseArgs({ args, options: { project: { type: 'string', multiple: true }, spec: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const selection = selectProjects(workspaceRoot, values.project ?? []);
  if (!selection) return 2;
  const { createGateRunner } = await import('./gate-runner');
  const gates = await createGateRunner(workspaceRoot);
  try {
    const result = await verifySpecs({ workspaceRoot, projects: selection.projects, dependencyProjects: selection.others, options: selection.options, gates: gates.run, only: values.spec ?? [] });
    return result.ok ? 0 : 1;
  } finally {
    await gates.dispose();
  }
};

function pipelineCommand(mode: RunMode): Command {
  return async (args, workspaceRoot) => {
    const { values } = parseArgs({
      args,
      options: {
        project: { type: 'string', multiple: true },
        spec: { type: 'string', multiple: true },
        force: { type: 'boolean' },
        concurrency: { type: 'string' },
        'no-gates': { type: 'boolean' },
        'accept-behaviour-change': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const selection = selectProjects(workspaceRoot, values.project ?? []);
    if (!selection) return 2;
    const { options, projects, others } = selection;
    const acceptBehaviourChange = (values['accept-behaviour-change'] ?? []).flatMap((value) => value.split(',')).map((id) => id.trim()).filter(Boolean);
    const gates = mode === 'write' && !values['no-gates'] ? await (await import('./gate-runner')).createGateRunner(workspaceRoot, { acceptBehaviourChange }) : undefined;
    try {
      const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
      const result = await runPipeline({
        workspaceRoot,
        projects,
        dependencyProjects: others,
        options,
        mode,
        force: !!values.force,
        only: values.spec ?? [],
        ...(concurrency ? { concurrency } : {}),
        ...(gates ? { gates: gates.run } : {}),
      });
      return result.ok ? 0 : 1;
    } finally {
      await gates?.dispose();
    }
  };
}

COMMANDS.set('generate', { summary: 'regenerate stale specs', run: pipelineCommand('write') });
COMMANDS.set('check', { summary: 'list what is not fresh', run: pipelineCommand('check') });
COMMANDS.set('dry-run', { summary: 'print prompts, write nothing', run: pipelineCommand('dry-run') });
COMMANDS.set('verify', { summary: 'run the gates on committed outputs', run: verifyCommand });
registerReviewCommands(COMMANDS);

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return name ? 0 : 2;
  }
  const command = COMMANDS.get(name);
  if (!command) {
    console.error(`unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command.run(args, findWorkspaceRoot(process.cwd()));
  } catch (error) {
    console.error(describeError(error));
    return 2;
  }
}
