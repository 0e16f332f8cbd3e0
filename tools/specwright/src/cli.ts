import type { Command, CommandEntry } from './commands';
import { cliPipelineFlags, selectProjects, specIds, workspaceOptions } from './entry';
import { describeError } from './errors';
import { runPipeline, sinkFor, type RunMode } from './run';
import { jsonProblems, parseCommandArgs, printJson } from './cli-support';
import { registerAcceptCommands } from './accept-command';
import { registerReviewCommands } from './review/commands';
import { registerAttributionCommands } from './attribution/commands';
import { registerRunsCommands } from './runs/commands';
import { registerReportCommands } from './report/commands';
import { registerLintCommands } from './lint/commands';
import { registerDecomposeCommands } from './decompose/commands';
import { registerStrengthCommands } from './strength/commands';
import { verifySpecs } from './verify';
import { findWorkspaceRoot } from './workspace';

export type { Command, CommandEntry } from './commands';

/** Other modules add their commands here (review, hook, verify) so the entry point stays one table. */
export const COMMANDS = new Map<string, CommandEntry>();

export const EXIT_CODES = `Exit codes:
  0  success: everything is fresh, reviewed, or passed
  1  the check found problems: stale, new, missing, drifted or invalid specs, failed gates, unreviewed outputs
  2  usage error (unknown command or option, invalid value, unknown project) or an internal error`;

const SELECTION_OPTIONS = `  --project <name>    only this project (repeatable)
  --spec <id>         only this spec (repeatable)`;

const ENVIRONMENT = `Environment: OPENAI_API_KEY, OPENAI_BASE_URL (any OpenAI-compatible server), SPECWRIGHT_PROVIDER=openai|replay|record.`;

function globalUsage(): string {
  const width = Math.max(...[...COMMANDS.keys()].map((name) => name.length)) + 2;
  const commands = [...COMMANDS.entries()].map(([name, command]) => `  ${name.padEnd(width)}${command.summary}`);
  return `Usage: specwright <command> [options]

Commands:
${commands.join('\n')}

Run \`specwright <command> --help\` for a command's options. Inside Nx: \`nx generate-from-spec <project>\`,
\`nx verify-spec <project>\`, \`nx review-spec <project>\` run the same code as targets.

${ENVIRONMENT}

${EXIT_CODES}`;
}

export function commandUsage(name: string): string {
  const command = COMMANDS.get(name);
  if (!command) return globalUsage();
  return command.usage ?? `Usage: specwright ${name} [options]\n\n${command.summary}\n\nOptions:\n  -h, --help          this text\n\n${EXIT_CODES}`;
}

const verifyCommand: Command = async (args, workspaceRoot) => {
  const { values } = parseCommandArgs('verify', args, { project: { type: 'string', multiple: true }, spec: { type: 'string', multiple: true }, json: { type: 'boolean' } });
  const selection = await selectProjects(workspaceRoot, 'verify', values.project ?? []);
  const options = workspaceOptions(workspaceRoot);
  const { createGateRunner } = await import('./gate-runner');
  const gates = await createGateRunner(workspaceRoot);
  try {
    const result = await verifySpecs({
      workspaceRoot,
      projects: selection.projects,
      dependencyProjects: selection.others,
      options,
      gates: gates.run,
      only: specIds(values.spec),
      ...(values.json ? { log: () => undefined } : {}),
    });
    if (values.json) {
      printJson({
        ok: result.ok,
        specs: result.specs.map((spec) => ({ id: spec.id, file: spec.file, ok: spec.ok, ...(spec.message ? { message: spec.message } : {}), gates: spec.verdicts })),
        problems: jsonProblems(result.failures),
      });
    }
    return result.ok ? 0 : 1;
  } finally {
    await gates.dispose();
  }
};

function pipelineCommand(name: string, mode: RunMode): Command {
  return async (args, workspaceRoot) => {
    const { values } = parseCommandArgs(name, args, {
      project: { type: 'string', multiple: true },
      spec: { type: 'string', multiple: true },
      force: { type: 'boolean' },
      concurrency: { type: 'string' },
      'no-gates': { type: 'boolean' },
      'accept-behaviour-change': { type: 'string', multiple: true },
      json: { type: 'boolean' },
    });
    const run = cliPipelineFlags(name, mode, values);
    const json = !!values.json;
    // Projects whose specs were all deleted still have a lock: check reports its orphaned entries.
    const { projects, others } = await selectProjects(workspaceRoot, name, values.project ?? [], 'specs-or-locks');
    const options = workspaceOptions(workspaceRoot);
    const gates = run.mode === 'write' && run.gates ? await (await import('./gate-runner')).createGateRunner(workspaceRoot, { acceptBehaviourChange: run.acceptBehaviourChange }) : undefined;
    try {
      const result = await runPipeline({
        workspaceRoot,
        projects,
        dependencyProjects: others,
        options,
        sink: sinkFor(run.mode),
        force: run.force,
        only: run.only,
        ...(run.concurrency ? { concurrency: run.concurrency } : {}),
        ...(gates ? { gates: gates.run } : {}),
        ...(json ? { log: () => undefined } : {}),
      });
      if (json) {
        printJson({
          ok: result.ok,
          specs: result.outcomes.map((outcome) => ({ id: outcome.id, file: outcome.file, state: outcome.state, result: outcome.result, ...(outcome.message ? { message: outcome.message } : {}) })),
          problems: jsonProblems(result.failures),
        });
      }
      return result.ok ? 0 : 1;
    } finally {
      await gates?.dispose();
    }
  };
}

function pipelineUsage(name: string, what: string, extra: string): string {
  return `Usage: specwright ${name} [options]

${what}

Options:
${SELECTION_OPTIONS}
${extra}  -h, --help          this text

${ENVIRONMENT}

${EXIT_CODES}`;
}

COMMANDS.set('generate', {
  summary: 'regenerate stale specs through the model (the pipeline of `nx generate-from-spec`, workspace-wide)',
  run: pipelineCommand('generate', 'write'),
  usage: pipelineUsage(
    'generate',
    'Regenerates new, stale and missing specs through the model; every candidate passes the gates before it is written.',
    '  --force             regenerate fresh specs too and overwrite hand-edited outputs (a backup is kept)\n  --concurrency <n>   model requests in flight at once (a positive integer); candidates are gated two per CPU\n                      core meanwhile\n  --no-gates          skip the code gates (debugging only)\n  --accept-behaviour-change <spec-id>\n                      let that spec\'s new code behave differently from the reviewed version (the differences are\n                      recorded in the lock and shown in review instead of being rejected)\n  --json              print {ok, specs: [{id, file, state, result, message}], problems: [...]}\n',
  ),
});
COMMANDS.set('check', {
  summary: 'list stale, new, missing, drifted and invalid specs; never calls a model',
  run: pipelineCommand('check', 'check'),
  usage: pipelineUsage(
    'check',
    'Lists every spec that is not fresh (stale, new, missing, drifted) and every invalid spec, all problems at once.\nNever calls a model.',
    '  --json              print {ok, specs: [{id, file, state, result, message}], problems: [{file, line, column, message, expected, fix, code}]}\n',
  ),
});
COMMANDS.set('dry-run', {
  summary: 'print the prompts and the files that would be written; calls no model',
  run: pipelineCommand('dry-run', 'dry-run'),
  usage: pipelineUsage('dry-run', 'Prints the prompt of every spec that would be generated, and the files it would write. Calls no model, writes nothing.', '  --json              print the outcomes as JSON instead\n'),
});
COMMANDS.set('verify', {
  summary: 'run every gate on the committed generated files; calls no model',
  run: verifyCommand,
  usage: pipelineUsage(
    'verify',
    'Runs every gate (types, safety, examples, properties, tests) on the committed generated files, without a model.',
    '  --json              print {ok, specs: [{id, file, ok, gates: [{gate, ok, findings}]}], problems: [...]}\n',
  ),
});
registerReviewCommands(COMMANDS);
registerAttributionCommands(COMMANDS);
registerRunsCommands(COMMANDS);
registerReportCommands(COMMANDS);
registerAcceptCommands(COMMANDS);

const HELP_FLAGS = new Set(['--help', '-h']);
registerLintCommands(COMMANDS);
registerDecomposeCommands(COMMANDS);
registerStrengthCommands(COMMANDS);

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || HELP_FLAGS.has(name) || name === 'help') {
    // `specwright help <command>` works like `specwright <command> --help`.
    console.log(name === 'help' && args[0] ? commandUsage(args[0]) : globalUsage());
    return name ? 0 : 2;
  }
  const command = COMMANDS.get(name);
  if (!command) {
    console.error(`unknown command "${name}"\n\n${globalUsage()}`);
    return 2;
  }
  if (args.some((arg) => HELP_FLAGS.has(arg))) {
    console.log(commandUsage(name));
    return 0;
  }
  try {
    return await command.run(args, findWorkspaceRoot(process.cwd()));
  } catch (error) {
    console.error(describeError(error));
    return 2;
  }
}
