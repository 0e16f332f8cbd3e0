import { parseArgs } from 'node:util';
import type { Command, CommandEntry } from '../commands';

/**
 * `specwright explain`: registered by cli.ts through registerAttributionCommands(COMMANDS) (see review/commands.ts
 * for why registration is a function). The implementation loads on use.
 */

export const EXPLAIN_USAGE = `Usage:
  specwright explain <file[:line[:col]] | spec-id> [--json]
      whether the file is generated (spec, fingerprint, model, provider, attempts, when, reviewer, and whether the
      content is still the reviewed one) or human; for a spec id, every output, plus the attempts in the run log
  specwright explain --stack [--json] < stack.txt
      labels every frame of a stack trace or of vitest's output (pipe it in) generated or human, and highlights the
      frames where the two meet; guard verdicts in the same output are repeated
  specwright explain --guards [--json]
      the latest verdicts of the contract guards (.specwright/guards/verdicts.jsonl), newest last
  specwright explain --boundaries [--json]
      checks every dependsOn edge: a value one spec may pass on that the other spec's contract refuses

Contract guards: run the tests with SPECWRIGHT_GUARDS=1 (the workspace's vitest configs add specwrightGuards()), and a
failing test names who broke it: the human caller, the generated code, two specs that disagree, or a spec gap.`;

type Registry = Map<string, CommandEntry>;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

const explainCommand: Command = async (args, workspaceRoot) => {
  const { values, positionals } = parseArgs({
    args,
    options: { stack: { type: 'boolean' }, boundaries: { type: 'boolean' }, guards: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(EXPLAIN_USAGE);
    return 0;
  }
  const explain = await import('./explain');
  const context = explain.pathContext(workspaceRoot, process.cwd());
  if (values.guards) {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { formatVerdict } = await import('./guards/verdict');
    let text = '';
    try {
      text = readFileSync(join(workspaceRoot, '.specwright', 'guards', 'verdicts.jsonl'), 'utf8');
    } catch {
      console.log('No guard verdicts yet: run the tests with SPECWRIGHT_GUARDS=1 (e.g. `SPECWRIGHT_GUARDS=1 npx nx run-many -t test --skip-nx-cache`).');
      return 0;
    }
    const entries = text
      .split('\n')
      .filter((line) => line.trim())
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as { test: string; file?: string; time: string; verdict: Parameters<typeof formatVerdict>[0] }];
        } catch {
          return [];
        }
      })
      .slice(-20);
    if (values.json) console.log(JSON.stringify(entries, null, 2));
    else for (const entry of entries) console.log(`── ${entry.time}  ${entry.file ? `${entry.file} > ` : ''}${entry.test}\n${formatVerdict(entry.verdict)}\n`);
    return 0;
  }
  if (values.boundaries) {
    const { loadSpecs } = await import('../load');
    const { workspaceOptions, workspaceProjects } = await import('../entry');
    const { checkBoundaries } = await import('./boundaries');
    const loaded = loadSpecs(workspaceRoot, await workspaceProjects(workspaceRoot, 'specs-or-locks'), workspaceOptions(workspaceRoot));
    const report = checkBoundaries(loaded.specs);
    if (values.json) console.log(JSON.stringify(report, null, 2));
    else {
      for (const finding of report.findings) console.log(`✖ ${finding.message}`);
      for (const skipped of report.skipped) console.log(`  (not checked: ${skipped})`);
      console.log(`Specwright boundaries: ${report.checked} contract pair(s) checked (dependsOn edges and shared types), ${report.findings.length} disagreement(s)`);
    }
    return report.findings.length === 0 ? 0 : 1;
  }
  if (values.stack) {
    const text = await readStdin();
    const result = explain.explainStack(text, context);
    console.log(values.json ? JSON.stringify(result, null, 2) : explain.formatStackExplanation(result));
    return result.frames.length === 0 ? 1 : 0;
  }
  const target = positionals[0];
  if (!target || positionals.length > 1) {
    console.error(EXPLAIN_USAGE);
    return 2;
  }
  const result = explain.explainTarget(target, context);
  if (!result) {
    console.error(`${target}: neither a file in the workspace nor a spec id recorded in a lock\n  fix: pass a path (relative to here or to the workspace root), optionally with :line, or a spec id such as money/allocate`);
    return 2;
  }
  const { attemptsFor } = await import('../runs/log');
  const withRuns = { ...result, runs: attemptsFor(workspaceRoot, result.files) };
  if (values.json) console.log(JSON.stringify(withRuns, null, 2));
  else {
    console.log(explain.formatTargetExplanation(result));
    const { formatAttempts } = await import('../runs/log');
    const text = formatAttempts(withRuns.runs);
    if (text) console.log(text);
  }
  return 0;
};

export function registerAttributionCommands(commands: Registry): void {
  commands.set('explain', { summary: 'generated or human? provenance of a file, a spec, or every frame of a stack', run: explainCommand, usage: EXPLAIN_USAGE });
}
