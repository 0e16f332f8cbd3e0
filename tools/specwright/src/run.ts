import pLimit from 'p-limit';
import { randomUUID } from 'node:crypto';
import { describeError, SpecwrightError } from './errors';
import type { GateRunner } from './generate';
import type { ProjectRef, SpecFailure } from './load';
import type { NormalizedOptions } from './options';
import type { Provider } from './providers';
import { sinkFor, type ArtifactSink, type RunMode, type SinkContext, type SinkFactory, type SpecOutcome } from './sinks';
import { loadSnapshot, planSnapshot, snapshotProblems, type RunSnapshot } from './snapshot';
import type { PlannedSpec } from './types';

export { sinkFor, type RunMode, type SinkFactory } from './sinks';

export interface RunRequest {
  workspaceRoot: string;
  /** The projects whose specs this run checks or generates. */
  projects: ProjectRef[];
  /** Projects loaded only because the specs above depend on theirs. */
  dependencyProjects?: ProjectRef[];
  options: NormalizedOptions;
  /** Where the planned specs go (`sinkFor('check')`, …): the entry picks it from its flags. */
  sink?: SinkFactory;
  /** The entry's name for a sink, when `sink` is not given: `sinkFor(mode)`. */
  mode?: RunMode;
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
  /** What the run loaded (specs, failures, locks, policy), for callers that look further (ci-check's review). */
  snapshot: RunSnapshot;
}

const BAD_RESULTS: ReadonlySet<SpecOutcome['result']> = new Set(['failed', 'drifted', 'out-of-date', 'skipped']);

/**
 * The pipeline: discover → parse → contracts → fingerprint → plan (one snapshot), then every planned spec goes to
 * the sink, in dependency order, with `concurrency` model requests in flight. Everything that differs between
 * generating, checking and dry-running — preparing projects, run locks, extra problems, what a failure skips, the
 * summary — is the sink's.
 */
export async function runPipeline(request: RunRequest): Promise<RunResult> {
  const log = request.log ?? ((line: string) => console.log(line));
  const { workspaceRoot, options } = request;
  const makeSink = request.sink ?? (request.mode ? sinkFor(request.mode) : undefined);
  if (!makeSink) throw new Error('runPipeline: the request names no sink (`sink` or `mode`)');
  const sink = makeSink({
    workspaceRoot,
    options,
    ...(request.env ? { env: request.env } : {}),
    ...(request.provider ? { provider: request.provider } : {}),
    ...(request.gates ? { gates: request.gates } : {}),
    ...(request.lockWaitMs !== undefined ? { lockWaitMs: request.lockWaitMs } : {}),
  });

  return sink.exclusive(workspaceRoot, request.projects, async (): Promise<RunResult> => {
    for (const project of request.projects) sink.prepare(workspaceRoot, project, log);

    const snapshot = loadSnapshot({ workspaceRoot, projects: request.projects, dependencyProjects: request.dependencyProjects ?? [], options });
    const only = request.only ?? [];
    for (const id of only) {
      if (!snapshot.specsById.has(id) && !snapshot.failures.length) {
        throw new SpecwrightError(`--spec ${id}: no such spec in ${request.projects.map((p) => p.name).join(', ')}`, {
          expected: `one of: ${snapshot.own.map((spec) => spec.spec.id).join(', ') || '(no specs)'}`,
          fix: 'check the id (the `id:` field of the spec file)',
          code: 'UNKNOWN_SPEC',
        });
      }
    }

    const failures = [...snapshotProblems(snapshot), ...sink.problems(snapshot, options)];
    const plan = planSnapshot(snapshot, { force: !!request.force, only }, options);
    const concurrency = Math.max(1, request.concurrency ?? options.concurrency);
    await sink.start({ snapshot, plan, options, runId: randomUUID(), concurrency, log });
    const context: SinkContext = { workspaceRoot, options, force: !!request.force, locks: snapshot.locks, log };
    const outcomes = await schedule(plan, sink, context, concurrency, log);

    for (const failure of failures) log(failure.error.format());
    const ok = failures.length === 0 && outcomes.every((outcome) => !BAD_RESULTS.has(outcome.result));
    const summary = sink.finish(outcomes, failures, ok);
    log(summary);
    return { ok, outcomes, failures, summary, snapshot };
  });
}

/**
 * Runs the sink over the plan: a spec starts when the specs it depends on (in this run) are done. `concurrency` is
 * the number of model requests in flight (the writing sink holds it to that); a spec in the pipeline is either
 * waiting for its answer or for the gates, so twice as many specs are admitted: the next requests go out while the
 * answers that came back are being gated, and when the gates fall behind, admission stops asking for more answers
 * than they can take. What a failed dependency means for a spec is the sink's to say.
 */
async function schedule(plan: PlannedSpec[], sink: ArtifactSink, context: SinkContext, concurrency: number, log: (line: string) => void): Promise<SpecOutcome[]> {
  const limit = pLimit(2 * concurrency);
  const done = new Map<string, Promise<SpecOutcome>>();
  const total = plan.length;
  let finished = 0;
  for (const planned of plan) {
    const dependencies = planned.spec.spec.dependsOn.map((id) => done.get(id)).filter((p): p is Promise<SpecOutcome> => p !== undefined);
    const task = Promise.all(dependencies).then((results) => {
      const failed = results.find((result) => result.result === 'failed' || result.result === 'skipped');
      const settled = failed ? sink.afterFailedDependency(planned, failed, context.options) : undefined;
      if (settled) return settled;
      return limit(() => sink.accept(planned, context)).catch((error: unknown) => failedOutcome(planned, describeError(error)));
    });
    done.set(
      planned.spec.spec.id,
      task.then((outcome) => {
        finished++;
        if (sink.showsProgress(outcome)) log(progressLine(outcome, finished, total));
        return outcome;
      }),
    );
  }
  return Promise.all(plan.map((planned) => done.get(planned.spec.spec.id) as Promise<SpecOutcome>));
}

function failedOutcome(planned: PlannedSpec, message: string): SpecOutcome {
  return { id: planned.spec.spec.id, file: planned.spec.file, state: planned.state, result: 'failed', attempts: 0, usage: { promptTokens: 0, completionTokens: 0, cachedTokens: 0 }, seconds: 0, message };
}

function progressLine(outcome: SpecOutcome, finished: number, total: number): string {
  const tokens = outcome.usage.promptTokens + outcome.usage.completionTokens;
  const stats = outcome.attempts > 0 ? `  attempts ${outcome.attempts}  tokens ${tokens}${outcome.replayed ? ' recorded' : ''}  ${outcome.seconds.toFixed(1)}s` : '';
  const head = `[${finished}/${total}] ${outcome.id.padEnd(28)} ${outcome.result}${stats}`;
  return outcome.message ? `${head}\n  ${outcome.file}: ${outcome.message.split('\n').join('\n  ')}` : head;
}
