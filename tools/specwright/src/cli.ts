import { parseArgs } from 'node:util';
import { discoverSpecProjects, projectNameOf } from './discover';
import { describeError } from './errors';
import { createGateRunner } from './gate-runner';
import type { ProjectRef } from './load';
import { normalizeOptions, type SpecwrightPluginOptions } from './options';
import { runPipeline, type RunMode } from './run';
import { findWorkspaceRoot, readPluginOptions } from './workspace';

const USAGE = `Usage: specwright <command> [options]

Commands:
  generate            regenerate stale specs (the same pipeline as \`nx generate-from-spec\`, over the whole workspace)
  check               list stale, new, missing and drifted specs; never calls a model; exit 1 when any
  dry-run             print the prompts and the files that would be written; calls no model

Options:
  --project <name>    only this project (repeatable)
  --spec <id>         only this spec (repeatable)
  --force             regenerate fresh specs too and overwrite hand-edited outputs (a backup is kept)
  --concurrency <n>   specs generated at once
  --no-gates          skip the code gates (debugging only)
  -h, --help          this text

Environment: OPENAI_API_KEY, OPENAI_BASE_URL (any OpenAI-compatible server), SPECWRIGHT_PROVIDER=openai|replay|record.`;

export type Command = (args: string[], workspaceRoot: string) => Promise<number>;

/** Other modules add their commands here (review, hook, verify) so the entry point stays one table. */
export const COMMANDS = new Map<string, { summary: string; run: Command }>();

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
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const options = normalizeOptions(readPluginOptions(workspaceRoot) as SpecwrightPluginOptions);
    const all: ProjectRef[] = [...discoverSpecProjects(workspaceRoot).keys()].map((root) => ({ root, name: projectNameOf(workspaceRoot, root) }));
    const wanted = values.project ?? [];
    const unknown = wanted.filter((name) => !all.some((project) => project.name === name));
    if (unknown.length > 0) {
      console.error(`unknown project(s) ${unknown.join(', ')}; projects with specs: ${all.map((p) => p.name).join(', ')}`);
      return 2;
    }
    const projects = wanted.length > 0 ? all.filter((project) => wanted.includes(project.name)) : all;
    const gates = mode === 'write' && !values['no-gates'] ? await createGateRunner(workspaceRoot) : undefined;
    try {
      const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
      const result = await runPipeline({
        workspaceRoot,
        projects,
        dependencyProjects: all.filter((project) => !projects.includes(project)),
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
