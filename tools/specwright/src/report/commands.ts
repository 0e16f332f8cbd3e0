import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Command, CommandEntry } from '../commands';

export const REPORT_USAGE = `Usage:
  specwright report --markdown [--project <name>]…
      what was generated, by which model, attempts, tokens, cost, gate verdicts and who reviewed it, as Markdown
      (e.g. \`npx specwright report --markdown >> "$GITHUB_STEP_SUMMARY"\`)
  specwright report --agent-trace [--project <name>]…
      the same provenance as an Agent Trace record (JSON): files → conversations (contributor ai, model id) → ranges
      with content hashes, plus the git revision and the tool`;

type Registry = Map<string, CommandEntry>;

const reportCommand: Command = async (args, workspaceRoot) => {
  const { values } = parseArgs({ args, options: { markdown: { type: 'boolean' }, 'agent-trace': { type: 'boolean' }, project: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } } });
  if (values.help || (!values.markdown && !values['agent-trace'])) {
    console.log(REPORT_USAGE);
    return values.help ? 0 : 2;
  }
  const { allReviewProjects } = await import('../review/state');
  const { tryGit } = await import('../review/git');
  const { workspacePrices } = await import('../runs/cost');
  const { listRuns } = await import('../runs/log');
  const { collectReport } = await import('./collect');
  const wanted = values.project ?? [];
  const projects = allReviewProjects(workspaceRoot).filter((p) => wanted.length === 0 || wanted.includes(p.name));
  const specs = collectReport(workspaceRoot, projects, workspacePrices(workspaceRoot));
  if (values['agent-trace']) {
    const { agentTrace } = await import('./agent-trace');
    const revision = tryGit(workspaceRoot, ['rev-parse', 'HEAD'])?.trim();
    const toolVersion = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
    console.log(JSON.stringify(agentTrace(workspaceRoot, specs, { ...(revision ? { revision } : {}), toolVersion }), null, 2));
    return 0;
  }
  const { formatMarkdownReport } = await import('./markdown');
  console.log(formatMarkdownReport(specs, listRuns(workspaceRoot)[0]));
  return 0;
};

export function registerReportCommands(commands: Registry): void {
  commands.set('report', { summary: 'provenance reports: --markdown (CI summary, PR comment), --agent-trace (JSON)', run: reportCommand, usage: REPORT_USAGE });
}
