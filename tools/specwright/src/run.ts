import pLimit from 'p-limit';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ContractResolver } from './contracts';
import { describeError, SpecwrightError } from './errors';
import { fileHashIfExists } from './fs-utils';
import type { GateRunner } from './generate';
import { hasPendingJournal, recoverJournal, sweepTemporaryFiles } from './journal';
import { loadSpecs, type ProjectRef, type SpecFailure } from './load';
import { readLock, type LockFile } from './lock';
import { withProjectRunLock } from './mutex';
import { resolveProvider, type NormalizedOptions } from './options';
import { planSpecs } from './plan';
import type { Provider } from './providers';
import { draftRefusal } from './decompose/draft';
import { formatSummary } from './report';
import { workspacePrices } from './runs/cost';
import { RunLog } from './runs/log';
import { checkGenerationAllowed, loadPolicy } from './review/policy';
import { CheckSink, DryRunSink, WriteSink, type ArtifactSink, type SinkContext, type SpecOutcome } from './sinks';
import type { FingerprintedSpec, PlannedSpec } from './types';

export type RunMode = 'write' | 'check' | 'dry-run';

export interface RunRequest {
  workspaceRoot: string;
  /** The projects whose specs this run checks or generates. */
  projects: ProjectRef[];
  /** Projects loaded only because the specs above depend on theirs. */
  dependencyProjects?: ProjectRef[];
  options: NormalizedOptions;
  mode: RunMode;
  force?: boolean;
  /** Only these spec ids. */
  only?: string[];
  concurrency?: number;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Overrides the provider the options and environment select (tests, benchmarks). */
  provider?: Provider;
  gates?: GateRunner;
  /** How long a writing run waits for another run on the same project. */
  lockWaitMs?: number;
}

export interface RunResult {
  ok: boolean;
  outcomes: SpecOutcome[];
  failures: SpecFailure[];
  summary: string;
}

const BAD_RESULTS: ReadonlySet<SpecOutcome['result']> = new Set(['failed', 'drifted', 'out-of-date', 'skipped']);

/**
 * The pipeline: discover → parse → contracts → fingerprint → plan, then every planned spec goes to the sink of
 * the mode (write: generate → gate → write → record; check; dry-run), in dependency order, `concurrency` at a time.
 */
export async function runPipeline(request: RunRequest): Promise<RunResult> {
  const log = request.log ?? ((line: string) => console.log(line));
  const { workspaceRoot, options } = request;
  const run = async (): Promise<RunResult> => {
    if (request.mode === 'write') {
      for (const project of request.projects) {
        const finished = recoverJournal(workspaceRoot, project.root);
        if (finished) log(`finished the interrupted write of ${finished}`);
        sweepTemporaryFiles(workspaceRoot, project.root);
      }
    }

    const loaded = loadSpecs(workspaceRoot, [...request.projects, ...(request.dependencyProjects ?? [])], options, new ContractResolver(workspaceRoot));
    const targetRoots = new Set(request.projects.map((project) => project.root));
    const failures = loaded.failures.filter((failure) => [...targetRoots].some((root) => root === '.' || failure.file.startsWith(`${root}/`)));
    const specsById = new Map(loaded.specs.map((spec) => [spec.spec.id, spec]));
    const own = loaded.specs.filter((spec) => targetRoots.has(spec.projectRoot));

    const only = request.only ?? [];
    for (const id of only) {
      if (!specsById.has(id) && !failures.length) {
        throw new SpecwrightError(`--spec ${id}: no such spec in ${request.projects.map((p) => p.name).join(', ')}`, {
          expected: `one of: ${own.map((spec) => spec.spec.id).join(', ') || '(no specs)'}`,
          fix: 'check the id (the `id:` field of the spec file)',
          code: 'UNKNOWN_SPEC',
        });
      }
    }

    const locks = new Map<string, LockFile>();
    for (const project of request.projects) locks.set(project.root, readLock(workspaceRoot, project.root));
    for (const project of request.projects) {
      if (request.mode !== 'write' && hasPendingJournal(workspaceRoot, project.root)) {
        failures.push({
          file: join(project.root, '.specwright-journal.json'),
          error: new SpecwrightError('a generate run was interrupted while writing', { fix: `run \`nx generate-from-spec ${project.name}\` to finish it`, code: 'JOURNAL_PENDING' }),
        });
      }
    }
    const selected = only.length > 0 ? own.filter((spec) => only.includes(spec.spec.id)) : own;
    const policy = loadPolicy(workspaceRoot);
    const plan = planSpecs(selected, locks, (file) => fileHashIfExists(join(workspaceRoot, file), file), { force: !!request.force, only }).map((planned) => {
      if (planned.spec.spec.draft) return { ...planned, refusal: draftRefusal(planned.spec) };
      const refused = checkGenerationAllowed(policy, planned.spec.outputFiles);
      return refused.length === 0 ? planned : { ...planned, refusal: refused.map((finding) => `${finding.message}; ${finding.fix}`).join('\n') };
    });
    const context: SinkContext = { workspaceRoot, options, force: !!request.force, locks, log };
    const runId = randomUUID();
    const runLog =
      request.mode === 'write' && plan.some((planned) => planned.generate)
        ? new RunLog(workspaceRoot, { runId, startedAt: new Date().toISOString(), mode: request.mode, provider: resolveProvider(options.provider, request.env, options), projects: request.projects.map((p) => p.name) }, workspacePrices(workspaceRoot, options.prices))
        : undefined;
    const sink = await createSink(request, specsById, workspaceRoot, runId, runLog);
    const outcomes = await schedule(plan, sink, context, request.concurrency ?? options.concurrency, log);

    for (const failure of failures) log(failure.error.format());
    const ok = failures.length === 0 && outcomes.every((outcome) => !BAD_RESULTS.has(outcome.result));
    const costs = runLog?.finish(outcomes, ok);
    const summary = formatSummary(outcomes, failures, request.mode, costs);
    log(summary);
    return { ok, outcomes, failures, summary };
  };
  if (request.mode !== 'write') return run();
  // Writing runs hold every target project's run lock (sorted, so two runs cannot deadlock).
  const roots = [...new Set(request.projects.map((project) => project.root))].sort();
  const withLocks = (index: number): Promise<RunResult> =>
    index === roots.length ? run() : withProjectRunLock(workspaceRoot, roots[index] as string, request.lockWaitMs ?? 60_000, () => withLocks(index + 1));
  return withLocks(0);
}

async function createSink(request: RunRequest, specsById: ReadonlyMap<string, FingerprintedSpec>, workspaceRoot: string, runId: string, runLog?: RunLog): Promise<ArtifactSink> {
  switch (request.mode) {
    case 'check':
      return new CheckSink();
    case 'dry-run':
      return new DryRunSink(specsById);
    case 'write': {
      // Loaded only when writing: the check that runs on every commit never pays for the HTTP client.
      const { createProvider } = await import('./providers');
      if (request.gates) {
        // Said once per run, before any candidate code runs: which isolation is in force (or refused if too weak).
        const { isolationNotice, strongIsolationRequired } = await import('./gates/sandbox/isolation');
        (request.log ?? console.log)(isolationNotice(strongIsolationRequired(request.options.requireStrongIsolation, request.env ?? process.env)));
      }
      const provider = request.provider ?? createProvider(resolveProvider(request.options.provider, request.env, request.options), workspaceRoot, request.options, request.env);
      return new WriteSink({ provider, specsById, runId, now: () => new Date(), ...(request.gates ? { gates: request.gates } : {}), ...(runLog ? { onAttempt: (event) => runLog.attempt(event) } : {}) });
    }
  }
}

/**
 * Runs the sink over the plan: a spec starts when the specs it depends on (in this run) are done, at most
 * `concurrency` at a time. A spec whose dependency failed is skipped without asking the model.
 */
async function schedule(plan: PlannedSpec[], sink: ArtifactSink, context: SinkContext, concurrency: number, log: (line: string) => void): Promise<SpecOutcome[]> {
  const limit = pLimit(Math.max(1, concurrency));
  const done = new Map<string, Promise<SpecOutcome>>();
  const total = plan.length;
  let finished = 0;
  for (const planned of plan) {
    const dependencies = planned.spec.spec.dependsOn.map((id) => done.get(id)).filter((p): p is Promise<SpecOutcome> => p !== undefined);
    const task = Promise.all(dependencies).then((results) => {
      const failed = results.find((result) => result.result === 'failed' || result.result === 'skipped');
      if (failed && sink.mode === 'write') {
        return skipped(planned, `dependency ${failed.id} failed; fix it first`);
      }
      return limit(() => sink.accept(planned, context)).catch((error: unknown) => failedOutcome(planned, describeError(error)));
    });
    done.set(
      planned.spec.spec.id,
      task.then((outcome) => {
        finished++;
        if (outcome.result !== 'fresh' || sink.mode === 'write') log(progressLine(outcome, finished, total));
        return outcome;
      }),
    );
  }
  return Promise.all(plan.map((planned) => done.get(planned.spec.spec.id) as Promise<SpecOutcome>));
}

function skipped(planned: PlannedSpec, message: string): SpecOutcome {
  return { id: planned.spec.spec.id, file: planned.spec.file, state: planned.state, result: 'skipped', attempts: 0, usage: { promptTokens: 0, completionTokens: 0, cachedTokens: 0 }, seconds: 0, message };
}

function failedOutcome(planned: PlannedSpec, message: string): SpecOutcome {
  return { ...skipped(planned, message), result: 'failed' };
}

function progressLine(outcome: SpecOutcome, finished: number, total: number): string {
  const tokens = outcome.usage.promptTokens + outcome.usage.completionTokens;
  const stats = outcome.attempts > 0 ? `  attempts ${outcome.attempts}  tokens ${tokens}${outcome.replayed ? ' recorded' : ''}  ${outcome.seconds.toFixed(1)}s` : '';
  const head = `[${finished}/${total}] ${outcome.id.padEnd(28)} ${outcome.result}${stats}`;
  return outcome.message ? `${head}\n  ${outcome.file}: ${outcome.message.split('\n').join('\n  ')}` : head;
}
