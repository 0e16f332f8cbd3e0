import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { AttemptEvent } from '../generate';
import type { SpecOutcome, TokenUsage } from '../types';
import type { Provenance } from '../attribution/provenance';
import { costOf, formatCost, type PriceTable } from './cost';
import { ensureLocalDir, LOCAL_DIR } from './local-dir';

/**
 * The run log: every attempt of every writing run, in full — the request's hash, the candidate files, every gate's
 * findings, the model's notes, tokens and timing — kept outside the tracked tree in `.specwright/runs/` (the folder
 * ignores itself with its own .gitignore), one JSON-lines file per run, appended as attempts end so a killed run
 * keeps what it did. Bounded: the oldest runs are deleted beyond MAX_RUNS or MAX_BYTES. The lock keeps only a
 * summary of each attempt; `specwright runs`, `explain` and `review` read the details here.
 */

export const RUNS_DIR = join(LOCAL_DIR, 'runs');
export const MAX_RUNS = 100;
export const MAX_BYTES = 50 * 1024 * 1024;
/** One finding or raw answer larger than this is cut (a runaway test output must not fill the disk). */
const MAX_TEXT = 64 * 1024;

export interface RunStart {
  type: 'run';
  runId: string;
  startedAt: string;
  mode: string;
  provider: string;
  projects: string[];
}

export interface AttemptLine extends AttemptEvent {
  type: 'attempt';
  runId: string;
  /** USD, when the model has a price. */
  cost?: number;
}

export interface SpecLine {
  type: 'spec';
  runId: string;
  specId: string;
  file: string;
  result: SpecOutcome['result'];
  attempts: number;
  model?: string;
  usage: TokenUsage;
  cost?: number;
  seconds: number;
  message?: string;
}

export interface RunEnd {
  type: 'end';
  runId: string;
  finishedAt: string;
  ok: boolean;
  usage: TokenUsage;
  cost?: number;
}

export type RunLine = RunStart | AttemptLine | SpecLine | RunEnd;

export interface RunSummary {
  runId: string;
  file: string;
  startedAt: string;
  finishedAt?: string;
  mode: string;
  provider: string;
  projects: string[];
  specs: SpecLine[];
  attempts: number;
  usage: TokenUsage;
  cost?: number;
  /** undefined: the run did not finish (killed, or still running). */
  ok?: boolean;
}

function runsDir(workspaceRoot: string): string {
  return join(workspaceRoot, RUNS_DIR);
}

const cut = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}… (${text.length - MAX_TEXT} more characters cut by the run log)` : text);

function bounded(event: AttemptEvent): AttemptEvent {
  return {
    ...event,
    ...(event.rawAnswer !== undefined ? { rawAnswer: cut(event.rawAnswer) } : {}),
    verdicts: event.verdicts.map((verdict) => ({ ...verdict, findings: verdict.findings.map((finding) => ({ ...finding, message: cut(finding.message) })) })),
  };
}

/** Deletes the oldest run files until at most `maxRuns` remain and they take at most `maxBytes`. */
export function pruneRuns(workspaceRoot: string, maxRuns = MAX_RUNS, maxBytes = MAX_BYTES): string[] {
  const dir = runsDir(workspaceRoot);
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.jsonl'))
    .sort()
    .map((name) => ({ name, size: statSync(join(dir, name)).size }));
  let total = files.reduce((sum, file) => sum + file.size, 0);
  const removed: string[] = [];
  while (files.length > 0 && (files.length > maxRuns || total > maxBytes)) {
    const oldest = files.shift() as { name: string; size: number };
    unlinkSync(join(dir, oldest.name));
    total -= oldest.size;
    removed.push(oldest.name);
  }
  return removed;
}

export class RunLog {
  readonly file: string;
  private readonly models = new Map<string, string>();
  private failed = false;

  constructor(
    private readonly workspaceRoot: string,
    private readonly start: Omit<RunStart, 'type'>,
    private readonly prices: PriceTable,
    limits: { maxRuns?: number; maxBytes?: number } = {},
  ) {
    this.file = join(workspaceRoot, RUNS_DIR, `${start.startedAt.replace(/[:.]/g, '-')}_${start.runId}.jsonl`);
    try {
      ensureLocalDir(workspaceRoot, 'runs');
      // Leave room for this run: prune to one fewer than the limit first.
      pruneRuns(workspaceRoot, Math.max(0, (limits.maxRuns ?? MAX_RUNS) - 1), limits.maxBytes ?? MAX_BYTES);
    } catch (error) {
      this.disable(error);
    }
    this.append({ type: 'run', ...start });
  }

  private append(line: RunLine): void {
    if (this.failed) return;
    try {
      appendFileSync(this.file, `${JSON.stringify(line)}\n`);
    } catch (error) {
      this.disable(error);
    }
  }

  /** The log is a record, not part of the product: a read-only workspace or a full disk must not fail the run. */
  private disable(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    process.emitWarning(`specwright: cannot write the run log ${this.file}: ${(error as Error).message}`);
  }

  attempt(event: AttemptEvent): void {
    this.models.set(event.specId, event.model);
    // A replayed answer was paid for when it was recorded, not now.
    const cost = event.replayed ? 0 : costOf(this.prices, event.model, event.usage);
    this.append({ type: 'attempt', runId: this.start.runId, ...bounded(event), ...(cost === undefined ? {} : { cost }) });
  }

  /** Records each spec's outcome and the run's end; returns the cost per spec id (when priced). */
  finish(outcomes: readonly SpecOutcome[], ok: boolean): Map<string, number | undefined> {
    const costs = new Map<string, number | undefined>();
    const usage: TokenUsage = { promptTokens: 0, completionTokens: 0, cachedTokens: 0 };
    let total: number | undefined = 0;
    for (const outcome of outcomes) {
      if (outcome.attempts === 0) continue;
      const model = this.models.get(outcome.id);
      const cost = outcome.replayed ? 0 : model ? costOf(this.prices, model, outcome.usage) : undefined;
      costs.set(outcome.id, cost);
      usage.promptTokens += outcome.usage.promptTokens;
      usage.completionTokens += outcome.usage.completionTokens;
      usage.cachedTokens += outcome.usage.cachedTokens;
      total = total === undefined || cost === undefined ? undefined : total + cost;
      this.append({
        type: 'spec',
        runId: this.start.runId,
        specId: outcome.id,
        file: outcome.file,
        result: outcome.result,
        attempts: outcome.attempts,
        ...(model ? { model } : {}),
        usage: outcome.usage,
        ...(cost === undefined ? {} : { cost }),
        seconds: outcome.seconds,
        ...(outcome.message ? { message: cut(outcome.message) } : {}),
      });
    }
    this.append({ type: 'end', runId: this.start.runId, finishedAt: new Date().toISOString(), ok, usage, ...(total === undefined ? {} : { cost: total }) });
    return costs;
  }
}

export function readRunFile(path: string): RunLine[] {
  const lines: RunLine[] = [];
  for (const text of readFileSync(path, 'utf8').split('\n')) {
    if (!text.trim()) continue;
    try {
      lines.push(JSON.parse(text) as RunLine);
    } catch {
      // A line cut by a crash: the rest of the log still reads.
    }
  }
  return lines;
}

/** Every run in the log, newest first. */
export function listRuns(workspaceRoot: string): RunSummary[] {
  const dir = runsDir(workspaceRoot);
  if (!existsSync(dir)) return [];
  const runs: RunSummary[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort().reverse()) {
    const lines = readRunFile(join(dir, name));
    const start = lines.find((line): line is RunStart => line.type === 'run');
    if (!start) continue;
    const end = lines.find((line): line is RunEnd => line.type === 'end');
    const attempts = lines.filter((line): line is AttemptLine => line.type === 'attempt');
    const usage = end?.usage ?? attempts.reduce((sum, a) => ({ promptTokens: sum.promptTokens + a.usage.promptTokens, completionTokens: sum.completionTokens + a.usage.completionTokens, cachedTokens: sum.cachedTokens + a.usage.cachedTokens }), { promptTokens: 0, completionTokens: 0, cachedTokens: 0 });
    runs.push({
      runId: start.runId,
      file: join(RUNS_DIR, name).split('\\').join('/'),
      startedAt: start.startedAt,
      ...(end ? { finishedAt: end.finishedAt, ok: end.ok } : {}),
      mode: start.mode,
      provider: start.provider,
      projects: start.projects,
      specs: lines.filter((line): line is SpecLine => line.type === 'spec'),
      attempts: attempts.length,
      usage,
      ...(end?.cost !== undefined ? { cost: end.cost } : {}),
    });
  }
  return runs;
}

/** The lines of one run (by id or a unique prefix of it). */
export function readRun(workspaceRoot: string, runId: string): RunLine[] | undefined {
  const run = listRuns(workspaceRoot).filter((r) => r.runId.startsWith(runId));
  return run.length === 1 ? readRunFile(join(workspaceRoot, (run[0] as RunSummary).file)) : undefined;
}

export interface SpecAttempts {
  runId: string;
  specId: string;
  attempts: AttemptLine[];
}

/** The attempts of a spec in one run (the run that produced the current lock entry, when the log still has it). */
export function attemptsOf(workspaceRoot: string, runId: string | undefined, specId: string): SpecAttempts | undefined {
  if (!runId) return undefined;
  const lines = readRun(workspaceRoot, runId);
  if (!lines) return undefined;
  return { runId, specId, attempts: lines.filter((line): line is AttemptLine => line.type === 'attempt' && line.specId === specId) };
}

/** For explain: the recorded attempts behind each generated file (once per spec). */
export function attemptsFor(workspaceRoot: string, files: readonly Provenance[]): SpecAttempts[] {
  const seen = new Set<string>();
  const out: SpecAttempts[] = [];
  for (const file of files) {
    if (file.kind !== 'generated' || seen.has(file.specId)) continue;
    seen.add(file.specId);
    const found = attemptsOf(workspaceRoot, file.runId, file.specId);
    if (found && found.attempts.length > 0) out.push(found);
  }
  return out;
}

/** Gate verdicts of one attempt on one line: `types ✔ safety ✔ examples ✖ (2)`. */
export function gateLine(attempt: AttemptEvent): string {
  if (attempt.providerError) return `provider error: ${attempt.providerError.split('\n')[0]}`;
  return attempt.verdicts.map((v) => `${v.gate} ${v.skipped ? '–' : v.ok ? '✔' : `✖${v.findings.length ? ` (${v.findings.length})` : ''}`}`).join('  ');
}

export function formatAttempts(runs: readonly SpecAttempts[], findingsPerGate = 3): string {
  const lines: string[] = [];
  for (const run of runs) {
    lines.push(`  run ${run.runId} — ${run.specId}: ${run.attempts.length} attempt(s) in the run log`);
    for (const attempt of run.attempts) {
      const tokens = attempt.usage.promptTokens + attempt.usage.completionTokens;
      lines.push(`    attempt ${attempt.attempt}/${attempt.maxAttempts} ${attempt.accepted ? 'ACCEPTED' : 'rejected'}  ${attempt.model}  ${tokens} tokens  ${formatCost(attempt.cost)}  model ${(attempt.modelMs / 1000).toFixed(1)}s${attempt.queuedMs ? ` (+${(attempt.queuedMs / 1000).toFixed(1)}s waiting for a request slot)` : ''} gates ${(attempt.gatesMs / 1000).toFixed(1)}s  request ${attempt.requestHash.slice(0, 19)}…`);
      lines.push(`      gates: ${gateLine(attempt)}`);
      for (const verdict of attempt.verdicts.filter((v) => !v.ok && !v.skipped)) {
        for (const finding of verdict.findings.slice(0, findingsPerGate)) lines.push(`      ${verdict.gate}: ${finding.message.split('\n')[0]}`);
        if (verdict.findings.length > findingsPerGate) lines.push(`      ${verdict.gate}: … ${verdict.findings.length - findingsPerGate} more (\`npx specwright runs ${run.runId.slice(0, 8)}\`)`);
      }
      if (attempt.notes) lines.push(`      model notes: ${attempt.notes.replace(/\s+/g, ' ').trim()}`);
    }
  }
  return lines.join('\n');
}
