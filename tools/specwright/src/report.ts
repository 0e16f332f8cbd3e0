import type { SpecFailure } from './load';
import { formatCost } from './runs/cost';
import type { SpecOutcome } from './sinks';

/** The closing table of a run: one row per spec, then the counts that matter. */
export function formatSummary(outcomes: readonly SpecOutcome[], failures: readonly SpecFailure[], mode: 'write' | 'check' | 'dry-run', costs?: ReadonlyMap<string, number | undefined>): string {
  // Cost per spec (from the price table, src/runs/cost.ts) when the run asked a model.
  const cost = (o: SpecOutcome) => (costs ? [o.attempts > 0 ? formatCost(costs.get(o.id)) : '-'] : []);
  const rows = [
    ['spec', 'state', 'result', 'attempts', 'tokens', 'cached', 'seconds', ...(costs ? ['cost'] : [])],
    ...outcomes.map((o) => [o.id, o.state, o.result, String(o.attempts), `${o.usage.promptTokens + o.usage.completionTokens}${o.replayed ? ' recorded' : ''}`, String(o.usage.cachedTokens), o.seconds.toFixed(1), ...cost(o)]),
    ...failures.map((f) => [f.file, 'invalid', 'failed', '0', '0', '0', '0.0', ...(costs ? ['-'] : [])]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) => row.map((cell, column) => (column >= 3 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ');
  const count = (result: SpecOutcome['result']) => outcomes.filter((o) => o.result === result).length;
  // Replayed answers cost nothing now: their tokens are reported as recorded, apart from what this run spent.
  const spentBy = (replayed: boolean) => outcomes.filter((o) => !!o.replayed === replayed);
  const tokens = spentBy(false).reduce((sum, o) => sum + o.usage.promptTokens + o.usage.completionTokens, 0);
  const cached = spentBy(false).reduce((sum, o) => sum + o.usage.cachedTokens, 0);
  const recorded = spentBy(true).reduce((sum, o) => sum + o.usage.promptTokens + o.usage.completionTokens, 0);
  const priced = costs ? [...costs.values()] : [];
  const totalCost = costs && priced.length > 0 ? `, cost ${priced.includes(undefined) ? `≥ ${formatCost(priced.reduce<number>((a, c) => a + (c ?? 0), 0))} (a model has no price)` : formatCost(priced.reduce<number>((a, c) => a + (c ?? 0), 0))}` : '';
  const totals =
    mode === 'check'
      ? `${count('fresh')} fresh, ${count('out-of-date')} out of date, ${count('drifted')} drifted, ${failures.length} invalid`
      : mode === 'dry-run'
        ? `${count('fresh')} fresh, ${count('would-generate')} would be generated, ${count('drifted')} drifted, ${failures.length} invalid`
        : `${count('fresh')} fresh, ${count('regenerated')} regenerated, ${count('unchanged')} regenerated unchanged, ${count('failed') + failures.length} failed, ${count('skipped')} skipped, ${count('drifted')} drifted; ${tokens} tokens spent (${cached} cached)${recorded > 0 ? `, ${recorded} tokens recorded (replayed, not spent)` : ''}${totalCost}`;
  return ['', line(rows[0]!), ...rows.slice(1).map(line), '', `Specwright ${mode}: ${totals}`].join('\n');
}
