import type { BenchResult } from './bench';
import { median } from './proc';

const ms = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? '—' : value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(0)} ms`);
const ratio = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? '—' : `${value.toFixed(2)}×`);
const mb = (value: number | undefined) => (value === undefined ? '—' : `${value.toFixed(0)} MB`);
const verdict = (ok: boolean | undefined) => (ok === undefined ? 'n/a' : ok ? 'ok' : 'MISSED');

/** The human-readable table: one row per measurement, each ratio next to its target. */
export function formatTable(result: BenchResult): string {
  const rows: [string, string, string, string][] = [];
  const row = (name: string, value: string, target = '', status = '') => rows.push([name, value, target, status]);
  // breakdowns too long for a table cell: printed under the table
  const notes: string[] = [];
  const { meta, graph, check, verify, generate, hook, memory } = result;
  const targets = new Map(result.targets.map((t) => [t.name, t]));
  const targetCell = (name: string) => {
    const t = targets.get(name);
    return t ? `≤ ${t.limit}${t.unit === '×' ? '×' : ` ${t.unit}`}` : '';
  };
  const statusCell = (name: string) => verdict(targets.get(name)?.ok);

  if (check) {
    row('fresh check: nx run-many -t generate-from-spec --check --skip-nx-cache', ms(median(check.freshMs)));
    row('floor: nx run-many -t noop (nx:run-commands `true`) --skip-nx-cache', ms(median(check.floorMs)));
    row('  (nx:noop, no process per task, for reference)', ms(median(check.floorInlineMs)));
    row('  fresh check / floor', ratio(check.ratio), targetCell('fresh check / floor'), statusCell('fresh check / floor'));
    if (check.freshColdMs?.length) {
      row('fresh check, spec YAML cache cold (every spec parsed)', ms(median(check.freshColdMs)));
      row('  cold fresh check / floor', ratio(check.coldRatio), targetCell('fresh check, cold spec YAML cache / floor'), statusCell('fresh check, cold spec YAML cache / floor'));
    }
    row('cached check (second run, cache hits)', ms(median(check.cachedMs)));
    row('cached floor', ms(median(check.cachedFloorMs)));
    row('  cached check / cached floor', ratio(check.cachedRatio), targetCell('cached check / cached floor'), statusCell('cached check / cached floor'));
    if (check.cliCheckMs) row('specwright check (CLI, one process, whole workspace)', ms(check.cliCheckMs));
  }
  if (graph) {
    row('project graph after nx reset: without plugin / plugin, no specs / plugin', `${ms(median(graph.coldWithoutPluginMs))} / ${ms(median(graph.coldPluginNoSpecsMs))} / ${ms(median(graph.coldWithPluginMs))}`);
    row('  createNodes per spec, cold: (with − without) / N', `${graph.coldPerSpecMs.toFixed(3)} ms`);
    row('    = plugin load (fixed) + per spec (marginal)', `${ms(graph.coldFixedMs)} + ${graph.coldMarginalPerSpecMs.toFixed(3)} ms`);
    row('project graph again, warm: without / plugin, no specs / plugin', `${ms(median(graph.warmWithoutPluginMs))} / ${ms(median(graph.warmPluginNoSpecsMs))} / ${ms(median(graph.warmWithPluginMs))}`);
    row('  createNodes per spec, warm: (with − without) / N; marginal', `${graph.warmPerSpecMs.toFixed(3)} ms; ${graph.warmMarginalPerSpecMs.toFixed(3)} ms`);
  }
  if (verify) {
    row(`verify-spec: nx run-many -t verify-spec --skip-nx-cache (${verify.specsVerified} specs, exit ${verify.status})`, ms(verify.verifyMs));
    row(`floor: one vitest run (${verify.testFiles} test files) + one tsc --noEmit (same files)`, ms(verify.floorMs));
    row('  = vitest run + tsc --noEmit', `${ms(verify.vitestMs)} + ${ms(verify.tscMs)}`);
    row('  verify-spec / floor', ratio(verify.ratio), targetCell('verify-spec / floor (vitest run + tsc)'), statusCell('verify-spec / floor (vitest run + tsc)'));
    const gates = Object.entries(verify.gateMs).sort((a, b) => b[1] - a[1]);
    if (gates.length > 0) notes.push(`verify-spec, gate time summed over specs (overlapping; each spec's tests include waiting for its project's one vitest run): ${gates.map(([gate, value]) => `${gate} ${ms(value)}`).join(', ')}`);
  }
  const generation = (outcome: NonNullable<typeof generate>, target: boolean) => {
    row(`generation: ${outcome.stale} stale @ ${outcome.latencyMs} ms, concurrency ${outcome.concurrency}, all gates${target ? '' : ' (figure)'}`, ms(outcome.wallMs));
    row('  ideal ceil(N/c)·latency', ms(outcome.idealMs));
    if (target) row('  generation / ideal', ratio(outcome.ratio), targetCell('generation / ideal'), statusCell('generation / ideal'));
    else row('  generation / ideal', ratio(outcome.ratio));
    row('  model requests (first run)', `${outcome.requests}${outcome.faultsInjected ? ` (${outcome.faultsInjected} faults injected)` : ''}`, `= ${outcome.stale}`, outcome.requests - outcome.faultsInjected === outcome.stale ? 'ok' : 'MISSED');
    row('  second run: wall / model requests', `${ms(outcome.secondRunMs)} / ${outcome.secondRequests}`, '= 0', outcome.secondRequests === 0 ? 'ok' : 'MISSED');
    const gates = Object.entries(outcome.gateMs ?? {}).sort((a, b) => b[1] - a[1]);
    if (gates.length > 0) notes.push(`generation @ ${outcome.latencyMs} ms, summed over attempts (overlapping): model wait ${ms(outcome.modelMs)}${outcome.queuedMs ? ` (+${ms(outcome.queuedMs)} waiting for a request slot)` : ''}${outcome.gatesWallMs ? `; answer to verdict ${ms(outcome.gatesWallMs)} (waiting for a gate slot included)` : ''}; gates ${gates.map(([gate, value]) => `${gate} ${ms(value)}`).join(', ')}`);
  };
  if (generate) generation(generate, true);
  for (const other of result.generateAlso ?? []) generation(other, false);
  if (hook) {
    if (hook.available) row(`pre-commit hook, ${hook.files}-file commit (median of ${hook.ms.length}, exit ${hook.status})`, ms(hook.medianMs), targetCell('pre-commit (20 files)'), statusCell('pre-commit (20 files)'));
    else row('pre-commit hook, 20-file commit', `not measured: ${hook.reason}`, targetCell('pre-commit (20 files)'), 'n/a');
  }
  if (memory) {
    const peak = (label: string, value: typeof memory.check) => {
      if (!value) return;
      row(`peak RSS, ${label}: largest process / whole tree${value.timeMaxRssMb !== undefined ? ' / time -v' : ''}`, `${mb(value.largestProcessMb)} / ${mb(value.treeMb)}${value.timeMaxRssMb !== undefined ? ` / ${mb(value.timeMaxRssMb)}` : ''}`);
    };
    peak('nx check', memory.check);
    peak('specwright check', memory.checkCli);
    peak('verify-spec', memory.verify);
    peak('generate', memory.generate);
    const largest = [memory.check, memory.checkCli, memory.verify, memory.generate].filter((value): value is NonNullable<typeof value> => value !== undefined).sort((a, b) => b.largestProcessMb - a.largestProcessMb)[0];
    row(`  peak RSS (largest single process${largest ? `: ${largest.largestProcess.slice(0, 60)}` : ''})`, mb(targets.get('peak RSS (largest process)')?.value), targetCell('peak RSS (largest process)'), statusCell('peak RSS (largest process)'));
  }

  const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((r) => (r[column] ?? '').length), 0));
  const lines = rows.map((r) => r.map((cell, column) => (column === 1 ? cell.padStart(widths[column] as number) : cell.padEnd(widths[column] as number))).join('  ').trimEnd());
  const header = `Specwright bench — ${meta.options.specs} specs / ${meta.options.projects} projects, node ${meta.node}, nx ${meta.nx}, ${meta.cpus} CPUs, load ${meta.loadBefore.map((l) => l.toFixed(1)).join(' ')} → ${meta.loadAfter.map((l) => l.toFixed(1)).join(' ')}; medians of ${meta.options.repeat}`;
  const problems = result.problems.length ? `\n\nProblems:\n${result.problems.map((p) => `- ${p.split('\n').join('\n  ')}`).join('\n')}` : '';
  const breakdowns = notes.length ? `\n\nWhere the time goes:\n${notes.map((note) => `- ${note}`).join('\n')}` : '';
  return `${header}\n${'─'.repeat(Math.min(header.length, 140))}\n${lines.join('\n')}${breakdowns}${problems}`;
}
