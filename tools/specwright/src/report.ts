import type { SpecFailure } from './load';
import { formatCost } from './runs/cost';
import type { SpecOutcome } from './types';

/** How a problem that is not a spec's outcome shows in the table's state column. */
function problemState(failure: SpecFailure): string {
  switch (failure.error.code) {
    case 'ORPHANED_LOCK_ENTRY':
      return 'orphaned';
    case 'JOURNAL_PENDING':
      return 'interrupted';
    default:
      return 'invalid';
  }
}

/**
 * The closing table of a run: one row per spec and per problem, then `Specwright <name>: <totals>`. The totals —
 * which counts matter — are the sink's to say (each sink sums up its own kind of run).
 */
export function formatSummary(outcomes: readonly SpecOutcome[], failures: readonly SpecFailure[], name: string, totals: string, costs?: ReadonlyMap<string, number | undefined>): string {
  // Cost per spec (from the price table, src/runs/cost.ts) when the run asked a model.
  const cost = (o: SpecOutcome) => (costs ? [o.attempts > 0 ? formatCost(costs.get(o.id)) : '-'] : []);
  const rows = [
    ['spec', 'state', 'result', 'attempts', 'tokens', 'cached', 'seconds', ...(costs ? ['cost'] : [])],
    ...outcomes.map((o) => [o.id, o.state, o.result, String(o.attempts), `${o.usage.promptTokens + o.usage.completionTokens}${o.replayed ? ' recorded' : ''}`, String(o.usage.cachedTokens), o.seconds.toFixed(1), ...cost(o)]),
    ...failures.map((f) => [f.file, problemState(f), 'failed', '0', '0', '0', '0.0', ...(costs ? ['-'] : [])]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) => row.map((cell, column) => (column >= 3 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ');
  return ['', line(rows[0]!), ...rows.slice(1).map(line), '', `Specwright ${name}: ${totals}`].join('\n');
}

/** The tokens (and the cost, when the models have prices) a run that asked a model spent. */
export function spendTotals(outcomes: readonly SpecOutcome[], costs?: ReadonlyMap<string, number | undefined>): string {
  // Replayed answers cost nothing now: their tokens are reported as recorded, apart from what this run spent.
  const spentBy = (replayed: boolean) => outcomes.filter((o) => !!o.replayed === replayed);
  const tokens = spentBy(false).reduce((sum, o) => sum + o.usage.promptTokens + o.usage.completionTokens, 0);
  const cached = spentBy(false).reduce((sum, o) => sum + o.usage.cachedTokens, 0);
  const recorded = spentBy(true).reduce((sum, o) => sum + o.usage.promptTokens + o.usage.completionTokens, 0);
  const priced = costs ? [...costs.values()] : [];
  const sum = formatCost(priced.reduce<number>((a, c) => a + (c ?? 0), 0));
  const totalCost = costs && priced.length > 0 ? `, cost ${priced.includes(undefined) ? `≥ ${sum} (a model has no price)` : sum}` : '';
  return `${tokens} tokens spent (${cached} cached)${recorded > 0 ? `, ${recorded} tokens recorded (replayed, not spent)` : ''}${totalCost}`;
}
