import { formatCost } from '../runs/cost';
import type { RunSummary } from '../runs/log';
import type { ReportedSpec } from './collect';

/** Markdown for $GITHUB_STEP_SUMMARY or a PR comment. Cells are escaped so a spec id or message cannot break the table. */

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

function gates(spec: ReportedSpec): string {
  const entries = Object.entries(spec.gates);
  if (entries.length === 0) return '–';
  return entries.map(([gate, verdict]) => `${gate} ${verdict === 'pass' ? '✅' : verdict === 'skip' ? '⏭️' : '❌'}`).join(' ');
}

function reviewed(spec: ReportedSpec): string {
  return spec.outputs
    .map((output) => {
      const icon = output.state === 'reviewed' ? '✅' : output.state === 'drifted' ? '⚠️ drifted' : output.state === 'missing' ? '❓ missing' : '⏳ unreviewed';
      return `${icon}${output.reviewer && output.state === 'reviewed' ? ` ${output.reviewer}` : ''}`;
    })
    .join('<br>');
}

export function formatMarkdownReport(specs: readonly ReportedSpec[], latestRun?: RunSummary): string {
  const lines: string[] = ['## Specwright: generated code', ''];
  if (specs.length === 0) return [...lines, 'No generated code is recorded in a lock.'].join('\n');
  const tokens = specs.reduce((sum, s) => sum + s.usage.promptTokens + s.usage.completionTokens, 0);
  const priced = specs.every((s) => s.cost !== undefined || s.usage.promptTokens + s.usage.completionTokens === 0);
  const cost = specs.reduce((sum, s) => sum + (s.cost ?? 0), 0);
  const unreviewed = specs.flatMap((s) => s.outputs).filter((o) => o.state !== 'reviewed');
  lines.push(
    `${specs.length} spec(s), ${specs.reduce((n, s) => n + s.outputs.length, 0)} generated file(s); ${tokens} tokens; cost ${priced ? formatCost(cost) : `≥ ${formatCost(cost)} (a model has no price)`}; ` +
      (unreviewed.length === 0 ? 'every file is reviewed ✅' : `**${unreviewed.length} file(s) not reviewed**`),
    '',
    '| spec | files | model | attempts | tokens | cost | gates | reviewed by |',
    '|---|---|---|---:|---:|---:|---|---|',
  );
  for (const spec of specs) {
    lines.push(
      `| \`${cell(spec.specId)}\` | ${spec.outputs.map((o) => `\`${cell(o.file)}\``).join('<br>')} | ${cell(spec.model)} (${cell(spec.provider)}) | ${spec.attempts} | ${spec.usage.promptTokens + spec.usage.completionTokens} | ${formatCost(spec.cost)} | ${gates(spec)} | ${cell(reviewed(spec))} |`,
    );
  }
  const rejected = specs.filter((s) => s.attemptLog?.some((a) => !a.accepted));
  if (rejected.length > 0) {
    lines.push('', '<details><summary>Rejected attempts (from the run log)</summary>', '');
    for (const spec of rejected) {
      for (const attempt of spec.attemptLog ?? []) {
        if (attempt.accepted) continue;
        const failed = attempt.verdicts.filter((v) => !v.ok && !v.skipped);
        lines.push(`- \`${cell(spec.specId)}\` attempt ${attempt.attempt}: ${failed.map((v) => `${v.gate}: ${cell(v.findings[0]?.message.split('\n')[0] ?? 'failed')}`).join('; ') || cell(attempt.providerError ?? 'rejected')}`);
      }
    }
    lines.push('', '</details>');
  }
  if (latestRun) {
    lines.push('', `Latest run \`${latestRun.runId.slice(0, 8)}\` (${latestRun.startedAt}, ${latestRun.provider}): ${latestRun.specs.map((s) => `\`${cell(s.specId)}\` ${s.result}`).join(', ') || 'nothing generated'}; ${latestRun.usage.promptTokens + latestRun.usage.completionTokens} tokens, ${formatCost(latestRun.cost)}.`);
  }
  return lines.join('\n');
}
