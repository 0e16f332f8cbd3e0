import { accessSync, constants, copyFileSync, existsSync, lstatSync, mkdirSync, realpathSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { SpecwrightError, describeError } from './errors';
import { effectiveModel } from './fingerprint';
import { generateFix, type TargetNames } from './fix-commands';
import { readTextIfExists, sha256 } from './fs-utils';
import type { GateRunner, generateSpec } from './generate';
import { commitSpecWrite, hasPendingJournal, JOURNAL_FILE_NAME, recoverJournal, sweepTemporaryFiles } from './journal';
import type { ProjectRef, SpecFailure } from './load';
import { bodyHash, type LockEntry, type LockFile } from './lock';
import { withProjectRunLock } from './mutex';
import { resolveProvider, type NormalizedOptions } from './options';
import { projectRelative } from './plan';
import type { PromptContext } from './prompt';
import type { Provider } from './providers';
import { formatSummary, spendTotals } from './report';
import type { RunLog } from './runs/log';
import { orphanedLockEntries, type RunSnapshot } from './snapshot';
import type { FingerprintedSpec, PlannedSpec, SpecOutcome, TokenUsage } from './types';

export type { SpecOutcome } from './types';

export interface SinkContext {
  workspaceRoot: string;
  options: NormalizedOptions;
  force: boolean;
  /** Current locks by project root (read once at the start of the run). */
  locks: ReadonlyMap<string, LockFile>;
  log: (line: string) => void;
}

/** The entry's vocabulary for the three sinks (`generate`, `check`, `dry-run`); the pipeline never reads it. */
export type RunMode = 'write' | 'check' | 'dry-run';

/** What a run hands its sink once the snapshot is loaded and planned. */
export interface SinkStart {
  snapshot: RunSnapshot;
  plan: readonly PlannedSpec[];
  options: NormalizedOptions;
  runId: string;
  /** How many model requests may be in flight at once (`--concurrency`, else the options'). */
  concurrency: number;
  log: (line: string) => void;
}

/**
 * Where the pipeline's planned specs go, and everything that differs between the ways of running it (like the
 * artifact writers of Relay's compiler: one pipeline, several writers). The stages — discover, parse, fingerprint,
 * plan — are the same for every sink; the sink decides how a project is prepared, whether the run is exclusive,
 * which problems besides invalid specs it reports, what a failed spec means for its dependents, what happens to
 * each planned spec, and how the run is summed up. The pipeline asks the sink, never which mode it is in.
 */
export interface ArtifactSink {
  /** How the summary names the run: `Specwright <name>: …`. */
  readonly name: RunMode;
  /** Runs the whole run (`work`) with the exclusivity this sink needs. */
  exclusive<T>(workspaceRoot: string, projects: readonly ProjectRef[], work: () => Promise<T>): Promise<T>;
  /** Gets a project ready before the snapshot is read (e.g. finishes a write a crash interrupted). */
  prepare(workspaceRoot: string, project: ProjectRef, log: (line: string) => void): void;
  /** Problems this sink reports besides the specs that cannot be loaded; each fails the run. */
  problems(snapshot: RunSnapshot, options: TargetNames): SpecFailure[];
  /** Called once the plan is known, before the first `accept`. */
  start(start: SinkStart): Promise<void>;
  /** The outcome of a spec one of whose dependencies failed (or was skipped); `undefined`: accept it as usual. */
  afterFailedDependency(planned: PlannedSpec, failed: SpecOutcome, options: TargetNames): SpecOutcome | undefined;
  /** Whether a finished spec gets a progress line. */
  showsProgress(outcome: SpecOutcome): boolean;
  accept(planned: PlannedSpec, context: SinkContext): Promise<SpecOutcome>;
  /** Ends the run (`ok`: nothing failed) and returns its summary. */
  finish(outcomes: readonly SpecOutcome[], failures: readonly SpecFailure[], ok: boolean): string;
}

/** What a sink may need from the entry besides the snapshot (the writing sink's model, gates and lock wait). */
export interface SinkSetup {
  workspaceRoot: string;
  options: NormalizedOptions;
  env?: NodeJS.ProcessEnv;
  /** Overrides the provider the options and environment select (tests, benchmarks). */
  provider?: Provider;
  gates?: GateRunner;
  /** How long a writing run waits for another run on the same project. */
  lockWaitMs?: number;
}

/** Makes a fresh sink for one run (sinks keep per-run state: the provider, the run log). */
export type SinkFactory = (setup: SinkSetup) => ArtifactSink;

/** The sink each entry flag names: `generate` writes, `--check` checks, `--dry-run` prints. */
export function sinkFor(mode: RunMode): SinkFactory {
  return SINKS[mode];
}

const NO_USAGE: TokenUsage = { promptTokens: 0, completionTokens: 0, cachedTokens: 0 };

function outcome(planned: PlannedSpec, result: SpecOutcome['result'], extra: Partial<SpecOutcome> = {}): SpecOutcome {
  return { id: planned.spec.spec.id, file: planned.spec.file, state: planned.state, result, attempts: 0, usage: NO_USAGE, seconds: 0, ...extra };
}

export function fixCommand(spec: FingerprintedSpec, names: TargetNames, force = false): string {
  return generateFix(names, { project: spec.project, spec: spec.spec.id, force });
}

/** The message for an output edited by hand: never overwritten silently, and the two ways out. */
export function driftMessage(planned: PlannedSpec, names: TargetNames): string {
  return `${planned.reason}; move the change into ${planned.spec.file} and run \`${fixCommand(planned.spec, names, true)}\` (keeps a backup), or restore the generated file with \`git checkout -- ${planned.outputs.filter((o) => o.drifted).map((o) => o.file).join(' ')}\``;
}

/**
 * The one refusal rule, the same in every sink: a spec the plan refuses (a draft, outputs the policy keeps for
 * people, a policy that cannot be read) fails when the run would generate it or it is not fresh — exactly the
 * specs a writing run would have to ask the model about. A fresh spec stays fresh: nothing is generated, and the
 * policy's view of its committed outputs is the review state's (`forbidden`), reported by review and ci-check.
 */
export function refusedOutcome(planned: PlannedSpec): SpecOutcome | undefined {
  return planned.refusal && (planned.generate || planned.state !== 'fresh') ? outcome(planned, 'failed', { message: planned.refusal }) : undefined;
}

/** The outcome of a spec the model must not be asked about: refused, drifted without --force, or fresh. */
function settledWithoutModel(planned: PlannedSpec, names: TargetNames): SpecOutcome | undefined {
  const refused = refusedOutcome(planned);
  if (refused) return refused;
  if (planned.generate) return undefined;
  return planned.state === 'drifted' ? outcome(planned, 'drifted', { message: driftMessage(planned, names) }) : outcome(planned, 'fresh');
}

/** A run that was interrupted while writing a project: reported by the sinks that do not finish it. */
function pendingJournals(snapshot: RunSnapshot, names: TargetNames): SpecFailure[] {
  return snapshot.projects
    .filter((project) => hasPendingJournal(snapshot.workspaceRoot, project.root))
    .map((project) => {
      const file = project.root === '.' ? JOURNAL_FILE_NAME : `${project.root}/${JOURNAL_FILE_NAME}`;
      return {
        file,
        error: new SpecwrightError('a generate run was interrupted while writing', { fix: `run \`${generateFix(names, { project: project.name })}\` to finish it`, code: 'JOURNAL_PENDING' }),
      };
    });
}

const count = (outcomes: readonly SpecOutcome[], result: SpecOutcome['result']) => outcomes.filter((o) => o.result === result).length;

/**
 * The reading sinks (check, dry-run): no run lock (they write nothing), a pending journal is a problem to report
 * (finishing it is a write), a failed spec does not stop its dependents from being looked at, and only the specs
 * that are not fresh get a progress line.
 */
abstract class ReadingSink implements ArtifactSink {
  abstract readonly name: RunMode;

  exclusive<T>(_workspaceRoot: string, _projects: readonly ProjectRef[], work: () => Promise<T>): Promise<T> {
    return work();
  }

  prepare(): void {}

  problems(snapshot: RunSnapshot, names: TargetNames): SpecFailure[] {
    return pendingJournals(snapshot, names);
  }

  async start(_start: SinkStart): Promise<void> {}

  afterFailedDependency(): SpecOutcome | undefined {
    return undefined;
  }

  showsProgress(result: SpecOutcome): boolean {
    return result.result !== 'fresh';
  }

  abstract accept(planned: PlannedSpec, context: SinkContext): Promise<SpecOutcome>;

  finish(outcomes: readonly SpecOutcome[], failures: readonly SpecFailure[]): string {
    return formatSummary(outcomes, failures, this.name, this.totals(outcomes, failures));
  }

  protected abstract totals(outcomes: readonly SpecOutcome[], failures: readonly SpecFailure[]): string;
}

const ORPHANED = 'ORPHANED_LOCK_ENTRY';
const orphanCount = (failures: readonly SpecFailure[]) => failures.filter((failure) => failure.error.code === ORPHANED).length;

/** Reports what is not fresh — and the lock entries whose spec is gone — without calling a model or writing. */
export class CheckSink extends ReadingSink {
  readonly name = 'check' as const;

  override problems(snapshot: RunSnapshot, names: TargetNames): SpecFailure[] {
    return [...super.problems(snapshot, names), ...orphanedLockEntries(snapshot)];
  }

  async accept(planned: PlannedSpec, context: SinkContext): Promise<SpecOutcome> {
    const refused = refusedOutcome(planned);
    if (refused) return refused;
    switch (planned.state) {
      case 'fresh':
        return outcome(planned, 'fresh');
      case 'drifted':
        return outcome(planned, 'drifted', { message: driftMessage(planned, context.options) });
      default:
        return outcome(planned, 'out-of-date', { message: `${planned.state}: ${planned.reason}; run \`${fixCommand(planned.spec, context.options)}\`` });
    }
  }

  protected totals(outcomes: readonly SpecOutcome[], failures: readonly SpecFailure[]): string {
    const orphans = orphanCount(failures);
    const orphaned = orphans > 0 ? `, ${orphans} orphaned lock entr${orphans === 1 ? 'y' : 'ies'}` : '';
    return `${count(outcomes, 'fresh')} fresh, ${count(outcomes, 'out-of-date')} out of date, ${count(outcomes, 'drifted')} drifted, ${failures.length - orphans} invalid${orphaned}`;
  }
}

/** Reads what a spec's prompt needs besides the spec: its types file and its dependencies' current outputs. */
export function promptContext(workspaceRoot: string, spec: FingerprintedSpec, specsById: ReadonlyMap<string, FingerprintedSpec>): PromptContext {
  const dependencySources = new Map<string, string>();
  for (const id of spec.spec.dependsOn) {
    for (const file of specsById.get(id)?.outputFiles ?? []) {
      const source = readTextIfExists(join(workspaceRoot, file));
      if (source !== undefined) dependencySources.set(file, source);
    }
  }
  const typesSource = spec.typesFile ? readTextIfExists(join(workspaceRoot, spec.typesFile)) : undefined;
  // The spec's tests are its acceptance criteria: the model sees them, not only the gate.
  const testSources = new Map<string, string>();
  for (const file of spec.testFiles) {
    const source = readTextIfExists(join(workspaceRoot, file));
    if (source !== undefined) testSources.set(file, source);
  }
  return { dependencySources, testSources, ...(typesSource === undefined ? {} : { typesSource }) };
}

/** Prints the prompt of every spec that would be generated, and the files it would write; calls no model. */
export class DryRunSink extends ReadingSink {
  readonly name = 'dry-run' as const;
  private specsById: ReadonlyMap<string, FingerprintedSpec> = new Map();

  override async start(start: SinkStart): Promise<void> {
    this.specsById = start.snapshot.specsById;
  }

  async accept(planned: PlannedSpec, context: SinkContext): Promise<SpecOutcome> {
    const settled = settledWithoutModel(planned, context.options);
    if (settled) return settled;
    // Loaded here, like the writing sink's model and gates: the check that runs on every commit never needs them.
    const { buildMessages } = await import('./prompt');
    const messages = buildMessages(planned.spec, promptContext(context.workspaceRoot, planned.spec, this.specsById));
    const model = effectiveModel(planned.spec, context.options);
    context.log(`\n── ${planned.spec.spec.id} (${planned.state}) → would write ${planned.spec.outputFiles.join(', ')} with ${model.name}`);
    for (const message of messages) context.log(`[${message.role}]\n${message.content}\n`);
    return outcome(planned, 'would-generate');
  }

  protected totals(outcomes: readonly SpecOutcome[], failures: readonly SpecFailure[]): string {
    return `${count(outcomes, 'fresh')} fresh, ${count(outcomes, 'would-generate')} would be generated, ${count(outcomes, 'drifted')} drifted, ${failures.length} invalid`;
  }
}

/** Runs set up by `start`: the model, the generator, the specs by id, the run's id and log. */
interface WriteRun {
  provider: Provider;
  generate: typeof generateSpec;
  /** The entry's gates, a few candidates at a time (gate-slots.ts). */
  gates?: GateRunner;
  specsById: ReadonlyMap<string, FingerprintedSpec>;
  runId: string;
  runLog?: RunLog;
}

/**
 * Generates, gates, writes and records. It holds every target project's run lock for the whole run (two writers
 * on one lock file would lose entries), finishes a write a crash interrupted before reading anything, skips the
 * dependents of a failed spec without asking the model, and keeps a run log of every attempt when it asks one.
 */
export class WriteSink implements ArtifactSink {
  readonly name = 'write' as const;
  private run: WriteRun | undefined;

  constructor(
    private readonly setup: SinkSetup,
    private readonly now: () => Date = () => new Date(),
  ) {}

  exclusive<T>(workspaceRoot: string, projects: readonly ProjectRef[], work: () => Promise<T>): Promise<T> {
    // Sorted, so two runs over overlapping projects take the locks in the same order and cannot deadlock.
    const roots = [...new Set(projects.map((project) => project.root))].sort();
    const waitMs = this.setup.lockWaitMs ?? 60_000;
    const withLocks = (index: number): Promise<T> => (index === roots.length ? work() : withProjectRunLock(workspaceRoot, roots[index] as string, waitMs, () => withLocks(index + 1)));
    return withLocks(0);
  }

  prepare(workspaceRoot: string, project: ProjectRef, log: (line: string) => void): void {
    const finished = recoverJournal(workspaceRoot, project.root, this.setup.options);
    if (finished) log(`finished the interrupted write of ${finished}`);
    sweepTemporaryFiles(workspaceRoot, project.root);
  }

  problems(): SpecFailure[] {
    return [];
  }

  async start(start: SinkStart): Promise<void> {
    const { workspaceRoot, env, gates } = this.setup;
    const { options } = start;
    // Loaded only when writing: the check that runs on every commit never pays for the HTTP client, the generator
    // or the run log.
    const [{ createProvider }, { limitRequests }, { limitGateRuns }, { generateSpec }, { RunLog }, { workspacePrices }] = await Promise.all([
      import('./providers'),
      import('./providers/request-limit'),
      import('./gate-slots'),
      import('./generate'),
      import('./runs/log'),
      import('./runs/cost'),
    ]);
    if (gates) {
      // Said once per run, before any candidate code runs: which isolation is in force (or refused if too weak).
      const { isolationNotice, strongIsolationRequired } = await import('./gates/sandbox/isolation');
      start.log(isolationNotice(strongIsolationRequired(options.requireStrongIsolation, env ?? process.env)));
    }
    const providerName = resolveProvider(options.provider, env, options);
    const provider = limitRequests(this.setup.provider ?? createProvider(providerName, workspaceRoot, options, env), start.concurrency);
    const runLog = start.plan.some((planned) => planned.generate)
      ? new RunLog(
          workspaceRoot,
          { runId: start.runId, startedAt: this.now().toISOString(), mode: this.name, provider: providerName, projects: start.snapshot.projects.map((p) => p.name) },
          workspacePrices(workspaceRoot, options.prices),
        )
      : undefined;
    const limitedGates = gates ? limitGateRuns(gates) : undefined;
    this.run = { provider, generate: generateSpec, ...(limitedGates ? { gates: limitedGates } : {}), specsById: start.snapshot.specsById, runId: start.runId, ...(runLog ? { runLog } : {}) };
  }

  afterFailedDependency(planned: PlannedSpec, failed: SpecOutcome): SpecOutcome | undefined {
    return outcome(planned, 'skipped', { message: `dependency ${failed.id} failed; fix it first` });
  }

  showsProgress(): boolean {
    return true;
  }

  finish(outcomes: readonly SpecOutcome[], failures: readonly SpecFailure[], ok: boolean): string {
    const costs = this.run?.runLog?.finish([...outcomes], ok);
    const totals = `${count(outcomes, 'fresh')} fresh, ${count(outcomes, 'regenerated')} regenerated, ${count(outcomes, 'unchanged')} regenerated unchanged, ${count(outcomes, 'failed') + failures.length} failed, ${count(outcomes, 'skipped')} skipped, ${count(outcomes, 'drifted')} drifted; ${spendTotals(outcomes, costs)}`;
    return formatSummary(outcomes, failures, this.name, totals, costs);
  }

  async accept(planned: PlannedSpec, context: SinkContext): Promise<SpecOutcome> {
    const { spec } = planned;
    const settled = settledWithoutModel(planned, context.options);
    if (settled) return settled;
    const run = this.run;
    if (!run) throw new Error('WriteSink.accept before start');
    const started = Date.now();
    const model = effectiveModel(spec, context.options);
    const result = await run.generate({
      spec,
      provider: run.provider,
      model,
      maxAttempts: spec.spec.model.maxAttempts ?? context.options.maxAttempts,
      timeoutMs: spec.spec.model.timeoutMs ?? context.options.timeoutMs,
      maxOutputTokens: spec.spec.model.maxOutputTokens ?? context.options.maxOutputTokens,
      prompt: promptContext(context.workspaceRoot, spec, run.specsById),
      specsById: run.specsById,
      ...(run.gates ? { gates: run.gates } : {}),
      ...(run.runLog ? { onAttempt: (event) => run.runLog?.attempt(event) } : {}),
    });
    const seconds = (Date.now() - started) / 1000;
    const stats = { attempts: result.attempts, usage: result.usage, seconds, ...(result.replayed ? { replayed: true } : {}) };
    for (const note of result.adaptations ?? []) context.log(`  ${spec.spec.id}: ${note}`);
    if (!result.ok || !result.files) {
      return outcome(planned, 'failed', { ...stats, message: `${result.error ?? 'generation failed'}\n  the current files and lock entry are unchanged; fix the spec (or the model settings) and run \`${fixCommand(spec, context.options)}\`` });
    }

    const previous = context.locks.get(spec.projectRoot)?.specs[spec.spec.id];
    const unchanged =
      previous?.fingerprint === spec.fingerprint &&
      [...result.files].every(([file, content]) => readTextIfExists(join(context.workspaceRoot, file)) === content);
    if (unchanged) {
      // Same spec, same content: the lock's record of how this content came to be is still true; keep it.
      return outcome(planned, 'unchanged', stats);
    }

    try {
      assertWritable(context.workspaceRoot, spec, result.files, context.options);
      if (planned.state === 'drifted') backUpDrifted(context.workspaceRoot, planned, this.now(), context.log);
      const entry = this.lockEntry(context.workspaceRoot, spec, result.files, previous, run, {
        model: result.model,
        attempts: result.attempts,
        usage: result.usage,
        history: result.history,
        ...(result.behaviourChanges ? { behaviourChanges: result.behaviourChanges } : {}),
      });
      commitSpecWrite(context.workspaceRoot, spec.projectRoot, spec.spec.id, entry, result.files, context.options);
    } catch (error) {
      return outcome(planned, 'failed', { ...stats, message: describeError(error) });
    }
    return outcome(planned, 'regenerated', stats);
  }

  private lockEntry(
    workspaceRoot: string,
    spec: FingerprintedSpec,
    files: ReadonlyMap<string, string>,
    previous: LockEntry | undefined,
    run: WriteRun,
    generation: Pick<LockEntry['generation'], 'model' | 'attempts' | 'usage' | 'history' | 'behaviourChanges'>,
  ): LockEntry {
    const outputs: LockEntry['outputs'] = {};
    for (const [file, content] of files) {
      const key = projectRelative(spec.projectRoot, file);
      const previousOutput = previous?.outputs[key];
      let review = previousOutput?.review;
      if (review && review.body === undefined && review.hash === previousOutput?.hash) {
        // A review recorded before body hashes existed: the file still on disk is the reviewed one (its hash says so),
        // so its body can be noted, and a regeneration that returns the same code keeps the review.
        const reviewed = readTextIfExists(join(workspaceRoot, file));
        if (reviewed !== undefined && sha256(reviewed) === review.hash) review = { ...review, body: bodyHash(reviewed) };
      }
      // The old review stays on record; it only counts while its body hash matches the new content's.
      outputs[key] = { hash: sha256(content), body: bodyHash(content), ...(review ? { review } : {}) };
    }
    return {
      spec: projectRelative(spec.projectRoot, spec.file),
      fingerprint: spec.fingerprint,
      outputs,
      generation: {
        provider: run.provider.name,
        ...generation,
        runId: run.runId,
        time: this.now().toISOString(),
      },
    };
  }
}

function outsideProject(spec: FingerprintedSpec, file: string, resolved: string): SpecwrightError {
  return new SpecwrightError(`refusing to write ${file}: its folder resolves to ${resolved}, outside project ${spec.project}`, {
    file: spec.file,
    expected: 'outputs inside the project, without symlinked folders leading out of it',
    fix: `remove the symlink on the way to ${file}`,
    code: 'WRITE_OUTSIDE_PROJECT',
  });
}

/**
 * Follows every existing folder on the way from the project to `folder` (without creating anything): each symlink
 * among them must resolve inside the project, and a dangling one is refused (creating through it would create its
 * target, wherever that is). Folders that do not exist yet cannot be links: creating them stays inside.
 */
export function assertFolderConfined(projectDir: string, projectReal: string, folder: string, spec: FingerprintedSpec, file: string): void {
  const inside = (real: string): boolean => real === projectReal || real.startsWith(projectReal + sep);
  const steps = relative(projectDir, folder).split(sep).filter((step) => step !== '' && step !== '.');
  let current = projectDir;
  for (const step of ['', ...steps]) {
    current = step ? join(current, step) : current;
    let isLink: boolean;
    try {
      isLink = lstatSync(current).isSymbolicLink();
    } catch {
      return; // does not exist yet: neither does anything below it
    }
    if (!isLink && step !== '') continue;
    let real: string;
    try {
      real = realpathSync(current);
    } catch {
      throw outsideProject(spec, file, `${current} (a dangling symlink)`);
    }
    if (!inside(real)) throw outsideProject(spec, file, real);
  }
}

/**
 * The last line of defence before writing: every target is inside the project even after following symlinks
 * (a symlinked folder could otherwise carry a write outside) — checked before any folder is created, so a refused
 * output leaves nothing behind — and existing targets are writable, so a read-only file fails the spec before
 * anything is replaced.
 */
function assertWritable(workspaceRoot: string, spec: FingerprintedSpec, files: ReadonlyMap<string, string>, names: TargetNames): void {
  const projectDir = join(workspaceRoot, spec.projectRoot);
  const projectReal = realpathSync(projectDir);
  for (const file of files.keys()) assertFolderConfined(projectDir, projectReal, dirname(join(workspaceRoot, file)), spec, file);
  for (const file of files.keys()) {
    const absolute = join(workspaceRoot, file);
    mkdirSync(dirname(absolute), { recursive: true });
    const parentReal = realpathSync(dirname(absolute));
    if (parentReal !== projectReal && !parentReal.startsWith(projectReal + sep)) throw outsideProject(spec, file, parentReal);
    try {
      if (existsSync(absolute)) accessSync(absolute, constants.W_OK);
    } catch (error) {
      throw new SpecwrightError(`cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? 'not writable'}`, {
        file,
        expected: 'a writable output file',
        fix: `make it writable (\`chmod u+w ${file}\`), then run \`${fixCommand(spec, names)}\``,
        code: 'WRITE_FAILED',
      });
    }
  }
}

function backUpDrifted(workspaceRoot: string, planned: PlannedSpec, now: Date, log: (line: string) => void): void {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  for (const output of planned.outputs.filter((o) => o.drifted)) {
    const backup = `${output.file}.specwright-backup-${stamp}`;
    copyFileSync(join(workspaceRoot, output.file), join(workspaceRoot, backup));
    log(`  ${output.file} was edited by hand; kept a copy at ${backup}`);
  }
}

const SINKS: Record<RunMode, SinkFactory> = {
  write: (setup) => new WriteSink(setup),
  check: () => new CheckSink(),
  'dry-run': () => new DryRunSink(),
};
