import { parseArgs } from 'node:util';
import type { Command, CommandEntry } from '../commands';

export const RUNS_USAGE = `Usage:
  specwright runs [--json] [--limit <n>]
      the writing runs in the run log (.specwright/runs/, git-ignored, the newest ${'100'} runs): when, which projects,
      specs and their results, attempts, tokens, cost
  specwright runs <run-id> [--spec <id>] [--json]
      every attempt of that run (an id prefix is enough): request hash, gate verdicts with all their findings, the
      model's notes, tokens, cost and timing`;

type Registry = Map<string, CommandEntry>;

const runsCommand: Command = async (args, workspaceRoot) => {
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: 'boolean' }, limit: { type: 'string' }, spec: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(RUNS_USAGE);
    return 0;
  }
  const { listRuns, readRun, formatAttempts } = await import('./log');
  const { formatCost } = await import('./cost');
  if (positionals.length > 0) {
    const id = positionals[0] as string;
    const lines = readRun(workspaceRoot, id);
    if (!lines) {
      console.error(`no single run in .specwright/runs matches "${id}"; list them with \`npx specwright runs\``);
      return 2;
    }
    const attempts = lines.filter((line) => line.type === 'attempt' && (!values.spec || line.specId === values.spec));
    if (values.json) {
      console.log(JSON.stringify(values.spec ? attempts : lines, null, 2));
      return 0;
    }
    const bySpec = new Map<string, typeof attempts>();
    for (const attempt of attempts) if (attempt.type === 'attempt') bySpec.set(attempt.specId, [...(bySpec.get(attempt.specId) ?? []), attempt]);
    const runId = lines[0]?.runId ?? id;
    console.log(formatAttempts([...bySpec].map(([specId, list]) => ({ runId, specId, attempts: list.flatMap((a) => (a.type === 'attempt' ? [a] : [])) })), Number.MAX_SAFE_INTEGER));
    return 0;
  }
  const limit = values.limit ? Number(values.limit) : 20;
  const runs = listRuns(workspaceRoot).slice(0, limit);
  if (values.json) {
    console.log(JSON.stringify(runs, null, 2));
    return 0;
  }
  if (runs.length === 0) {
    console.log('The run log is empty: `nx generate-from-spec` / `npx specwright generate` records every attempt in .specwright/runs/.');
    return 0;
  }
  for (const run of runs) {
    const tokens = run.usage.promptTokens + run.usage.completionTokens;
    const status = run.ok === undefined ? 'unfinished' : run.ok ? 'ok' : 'FAILED';
    console.log(`${run.runId.slice(0, 8)}  ${run.startedAt}  ${status.padEnd(10)} ${run.provider}  ${run.projects.join(',')}  ${run.attempts} attempt(s)  ${tokens} tokens  ${formatCost(run.cost)}`);
    for (const spec of run.specs) console.log(`    ${spec.specId.padEnd(28)} ${spec.result.padEnd(12)} ${spec.attempts} attempt(s)  ${spec.model ?? ''}  ${spec.usage.promptTokens + spec.usage.completionTokens} tokens  ${formatCost(spec.cost)}`);
  }
  return 0;
};

export function registerRunsCommands(commands: Registry): void {
  commands.set('runs', { summary: 'the run log: every attempt of every generation run', run: runsCommand, usage: RUNS_USAGE });
}
