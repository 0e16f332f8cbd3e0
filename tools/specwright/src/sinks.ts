import { accessSync, constants, copyFileSync, existsSync, lstatSync, mkdirSync, realpathSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { SpecwrightError, describeError } from './errors';
import { effectiveModel } from './fingerprint';
import { readTextIfExists, sha256 } from './fs-utils';
import { generateSpec, type AttemptEvent, type GateRunner } from './generate';
import { commitSpecWrite } from './journal';
import { bodyHash, type LockEntry, type LockFile } from './lock';
import type { NormalizedOptions } from './options';
import { projectRelative } from './plan';
import { buildMessages, type PromptContext } from './prompt';
import type { Provider } from './providers';
import type { FingerprintedSpec, PlannedSpec, TokenUsage } from './types';

/** What happened to one spec in a run: one row of the summary table. */
export interface SpecOutcome {
  id: string;
  file: string;
  state: PlannedSpec['state'];
  result: 'fresh' | 'regenerated' | 'unchanged' | 'would-generate' | 'failed' | 'drifted' | 'out-of-date' | 'skipped';
  attempts: number;
  usage: TokenUsage;
  /** The usage came from recordings (replay): recorded once, not spent by this run. */
  replayed?: boolean;
  seconds: number;
  /** For failures and problems: what is wrong and how to fix it. */
  message?: string;
}

export interface SinkContext {
  workspaceRoot: string;
  options: NormalizedOptions;
  force: boolean;
  /** Current locks by project root (read once at the start of the run). */
  locks: ReadonlyMap<string, LockFile>;
  log: (line: string) => void;
}

/**
 * Where the pipeline's planned specs go. The stages before it — discover, parse, fingerprint, plan — are the
 * same for every mode; only the sink differs: the write sink generates, gates, writes and records; the check sink
 * reports what is not fresh; the dry-run sink prints the prompt and the files that would be written.
 */
export interface ArtifactSink {
  readonly mode: 'write' | 'check' | 'dry-run';
  accept(planned: PlannedSpec, context: SinkContext): Promise<SpecOutcome>;
}

const NO_USAGE: TokenUsage = { promptTokens: 0, completionTokens: 0, cachedTokens: 0 };

function outcome(planned: PlannedSpec, result: SpecOutcome['result'], extra: Partial<SpecOutcome> = {}): SpecOutcome {
  return { id: planned.spec.spec.id, file: planned.spec.file, state: planned.state, result, attempts: 0, usage: NO_USAGE, seconds: 0, ...extra };
}

export function fixCommand(spec: FingerprintedSpec): string {
  return `nx generate-from-spec ${spec.project} --spec ${spec.spec.id}`;
}

/** The message for an output edited by hand: never overwritten silently, and the two ways out. */
export function driftMessage(planned: PlannedSpec): string {
  return `${planned.reason}; move the change into ${planned.spec.file} and run \`${fixCommand(planned.spec)} --force\` (keeps a backup), or restore the generated file with \`git checkout -- ${planned.outputs.filter((o) => o.drifted).map((o) => o.file).join(' ')}\``;
}

/**
 * The outcome of a spec the model must not be asked about: refused by the policy, drifted without --force, or
 * fresh. Shared by the sinks that would otherwise call the model (write, dry-run).
 */
function settledWithoutModel(planned: PlannedSpec): SpecOutcome | undefined {
  if (planned.refusal && (planned.generate || planned.state !== 'fresh')) return outcome(planned, 'failed', { message: planned.refusal });
  if (planned.generate) return undefined;
  return planned.state === 'drifted' ? outcome(planned, 'drifted', { message: driftMessage(planned) }) : outcome(planned, 'fresh');
}

export class CheckSink implements ArtifactSink {
  readonly mode = 'check' as const;

  async accept(planned: PlannedSpec): Promise<SpecOutcome> {
    if (planned.refusal) return outcome(planned, 'failed', { message: planned.refusal });
    switch (planned.state) {
      case 'fresh':
        return outcome(planned, 'fresh');
      case 'drifted':
        return outcome(planned, 'drifted', { message: driftMessage(planned) });
      default:
        return outcome(planned, 'out-of-date', { message: `${planned.state}: ${planned.reason}; run \`${fixCommand(planned.spec)}\`` });
    }
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

export class DryRunSink implements ArtifactSink {
  readonly mode = 'dry-run' as const;

  constructor(private readonly specsById: ReadonlyMap<string, FingerprintedSpec>) {}

  async accept(planned: PlannedSpec, context: SinkContext): Promise<SpecOutcome> {
    const settled = settledWithoutModel(planned);
    if (settled) return settled;
    const messages = buildMessages(planned.spec, promptContext(context.workspaceRoot, planned.spec, this.specsById));
    const model = effectiveModel(planned.spec, context.options);
    context.log(`\n── ${planned.spec.spec.id} (${planned.state}) → would write ${planned.spec.outputFiles.join(', ')} with ${model.name}`);
    for (const message of messages) context.log(`[${message.role}]\n${message.content}\n`);
    return outcome(planned, 'would-generate');
  }
}

export interface WriteSinkOptions {
  provider: Provider;
  specsById: ReadonlyMap<string, FingerprintedSpec>;
  gates?: GateRunner;
  runId: string;
  now: () => Date;
  /** Every attempt of every spec, for the run log. */
  onAttempt?: (event: AttemptEvent) => void;
}

export class WriteSink implements ArtifactSink {
  readonly mode = 'write' as const;

  constructor(private readonly sinkOptions: WriteSinkOptions) {}

  async accept(planned: PlannedSpec, context: SinkContext): Promise<SpecOutcome> {
    const { spec } = planned;
    const settled = settledWithoutModel(planned);
    if (settled) return settled;
    const started = Date.now();
    const model = effectiveModel(spec, context.options);
    const result = await generateSpec({
      spec,
      provider: this.sinkOptions.provider,
      model,
      maxAttempts: spec.spec.model.maxAttempts ?? context.options.maxAttempts,
      timeoutMs: spec.spec.model.timeoutMs ?? context.options.timeoutMs,
      maxOutputTokens: spec.spec.model.maxOutputTokens ?? context.options.maxOutputTokens,
      prompt: promptContext(context.workspaceRoot, spec, this.sinkOptions.specsById),
      specsById: this.sinkOptions.specsById,
      ...(this.sinkOptions.gates ? { gates: this.sinkOptions.gates } : {}),
      ...(this.sinkOptions.onAttempt ? { onAttempt: this.sinkOptions.onAttempt } : {}),
    });
    const seconds = (Date.now() - started) / 1000;
    const stats = { attempts: result.attempts, usage: result.usage, seconds, ...(result.replayed ? { replayed: true } : {}) };
    for (const note of result.adaptations ?? []) context.log(`  ${spec.spec.id}: ${note}`);
    if (!result.ok || !result.files) {
      return outcome(planned, 'failed', { ...stats, message: `${result.error ?? 'generation failed'}\n  the current files and lock entry are unchanged; fix the spec (or the model settings) and run \`${fixCommand(spec)}\`` });
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
      assertWritable(context.workspaceRoot, spec, result.files);
      if (planned.state === 'drifted') backUpDrifted(context.workspaceRoot, planned, this.sinkOptions.now(), context.log);
      const entry = this.lockEntry(context.workspaceRoot, spec, result.files, previous, {
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
        provider: this.sinkOptions.provider.name,
        ...generation,
        runId: this.sinkOptions.runId,
        time: this.sinkOptions.now().toISOString(),
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
function assertWritable(workspaceRoot: string, spec: FingerprintedSpec, files: ReadonlyMap<string, string>): void {
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
        fix: `make it writable (\`chmod u+w ${file}\`), then run \`${fixCommand(spec)}\``,
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
