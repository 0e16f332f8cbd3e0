/**
 * The vitest main processes the tests gate runs through, kept warm across runs (vitest-host.cjs). A cold
 * `vitest run` per candidate spent ~0.75 CPU-seconds, ~0.3 of them loading vitest itself: on a 2-core machine that
 * decided how fast generation could go. A host loads vitest once and then serves one run at a time.
 *
 * What is reused and what is not:
 * - reused: the host process (inside the OS layer: no network, the host read-only except this pool's folder) and
 *   the modules it has loaded. It never runs candidate code.
 * - fresh per run: the staged copy (its own folder under the pool's folder), the Vitest instance with its Vite
 *   server and module graph (closed after the run), the environment (replaced for the run: PATH and the lockdown's
 *   configuration), and the forks that load the candidate, started with that run's permission flags (reads: its own
 *   copy and node_modules, so not another run's copy; writes: its copy's temp folder), lockdown and heap cap.
 * - a run that times out or is cancelled kills its host's whole process group (forks included); a host that dies or
 *   misbehaves is never given another run; a host retires after MAX_RUNS_PER_HOST runs, which bounds what vitest
 *   keeps between runs.
 *
 * The pool grows to the number of runs in flight (bounded by the callers: generation's gate slots, verify's
 * concurrency); idle hosts wait for the next run until the session ends.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable, Duplex } from 'node:stream';
import { markOwner, track, trackDir, untrack, untrackDir } from '../reaper';
import { detectIsolation, killGroup, sandboxEnv, wrapCommand } from './isolation';

export const VITEST_HOST_SCRIPT = path.join(__dirname, 'vitest-host.cjs');
const MARKER = '[specwright-vitest-host] end';
/** Runs one host serves before it retires (what vitest keeps between runs stays bounded). */
export const MAX_RUNS_PER_HOST = 24;
/** How much of a run's output is kept. */
const OUTPUT_LIMIT = 8000;
/** A longer line of output is cut to its last this-many characters. */
const MAX_LINE = 64 * 1024;

export interface HostRunRequest {
  /** vitest's root and working folder: the staged project. */
  root: string;
  filters: readonly string[];
  outputFile: string;
  /** The forks' flags (permission model, lockdown, heap cap). */
  execArgv: readonly string[];
  /** The run's whole environment. */
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Each line of the run's output (stdout and stderr), as it arrives. */
  onOutput?: (line: string) => void;
}

export interface HostRunResult {
  exitCode: number | null;
  timedOut: boolean;
  output: string;
}

interface PendingRun {
  id: string;
  nonce: string;
  resolve(result: { exitCode: number | null }): void;
  output: string;
  onOutput?: (line: string) => void;
  /** Streams whose end-of-run marker has arrived. */
  ended: Set<'stdout' | 'stderr'>;
  answer?: { exitCode: number | null };
}

/** One warm vitest process. */
class VitestHost {
  private readonly child: ChildProcess;
  private readonly channel: Duplex;
  private readonly group: number | undefined;
  private channelBuffer = '';
  private readonly partial = { stdout: '', stderr: '' };
  private pending: PendingRun | undefined;
  /** Takes no more runs (killed, retired, or it died). */
  private closed = false;
  /** Its process has exited (its pid may belong to someone else now). */
  private exited = false;
  private runs = 0;

  constructor(
    workspaceRoot: string,
    writableRoot: string,
    private readonly maxRuns: number,
  ) {
    const entry = vitestNodeEntry(workspaceRoot);
    const wrapped = wrapCommand(detectIsolation(), process.execPath, [VITEST_HOST_SCRIPT, entry], [writableRoot]);
    this.child = spawn(wrapped.command, wrapped.args, {
      cwd: writableRoot,
      env: sandboxEnv({ mode: 'tests', grants: [], pure: false }),
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
    });
    this.group = process.platform !== 'win32' && this.child.pid ? -this.child.pid : this.child.pid;
    track(this.group);
    this.channel = this.child.stdio[3] as Duplex;
    this.channel.setEncoding('utf8');
    this.channel.on('data', (chunk: string) => this.onAnswer(chunk));
    this.channel.on('error', () => this.kill());
    for (const stream of ['stdout', 'stderr'] as const) {
      const readable = this.child[stream] as Readable;
      readable.setEncoding('utf8');
      readable.on('data', (chunk: string) => this.onOutput(stream, chunk));
    }
    this.child.on('error', () => this.kill());
    this.child.on('exit', () => {
      this.exited = true;
      this.closed = true;
      untrack(this.group);
      this.settle({ exitCode: null });
    });
  }

  get usable(): boolean {
    return !this.closed && this.pending === undefined && this.runs < this.maxRuns;
  }

  get busy(): boolean {
    return this.pending !== undefined;
  }

  run(request: HostRunRequest): Promise<HostRunResult> {
    this.runs++;
    const id = randomUUID();
    const nonce = randomUUID();
    return new Promise<HostRunResult>((resolve) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        this.kill();
      }, request.timeoutMs);
      const onAbort = (): void => this.kill();
      request.signal?.addEventListener('abort', onAbort, { once: true });
      const pending: PendingRun = {
        id,
        nonce,
        output: '',
        ...(request.onOutput ? { onOutput: request.onOutput } : {}),
        ended: new Set(),
        resolve: ({ exitCode }) => {
          clearTimeout(timer);
          request.signal?.removeEventListener('abort', onAbort);
          resolve({ exitCode, timedOut, output: pending.output });
        },
      };
      this.pending = pending;
      if (request.signal?.aborted) {
        this.kill();
        return;
      }
      const message = { id, nonce, root: request.root, filters: request.filters, outputFile: request.outputFile, execArgv: request.execArgv, env: request.env };
      this.channel.write(`${JSON.stringify(message)}\n`);
    });
  }

  /** Kills the host's whole process group (vitest and its forks) now; a run in progress ends without a report. */
  kill(): void {
    this.closed = true;
    if (!this.exited) killGroup(this.child.pid);
    this.settle({ exitCode: null });
  }

  /** Output arrives in chunks; lines are what the run's marker and the lockdown's denials are written as. */
  private onOutput(stream: 'stdout' | 'stderr', text: string): void {
    const lines = (this.partial[stream] + text).split('\n');
    this.partial[stream] = lines.pop() ?? '';
    // a test that prints without newlines must not make this process hold all of it
    if (this.partial[stream].length > MAX_LINE) {
      lines.push(this.partial[stream].slice(-MAX_LINE));
      this.partial[stream] = '';
    }
    const pending = this.pending;
    if (!pending) return;
    const mark = `${MARKER} ${pending.nonce}`;
    for (const line of lines) {
      if (pending.ended.has(stream)) break;
      if (line === mark) {
        pending.ended.add(stream);
        continue;
      }
      pending.output = `${pending.output}${line}\n`.slice(-OUTPUT_LIMIT);
      pending.onOutput?.(line);
    }
    this.maybeFinish();
  }

  private onAnswer(chunk: string): void {
    this.channelBuffer += chunk;
    let newline: number;
    while ((newline = this.channelBuffer.indexOf('\n')) >= 0) {
      const line = this.channelBuffer.slice(0, newline);
      this.channelBuffer = this.channelBuffer.slice(newline + 1);
      let answer: { id?: string; exitCode?: number | null; error?: string };
      try {
        answer = JSON.parse(line) as typeof answer;
      } catch {
        this.kill();
        return;
      }
      const pending = this.pending;
      if (!pending || answer.id !== pending.id) {
        this.kill();
        return;
      }
      if (answer.error) pending.output = (pending.output + `\n${answer.error}`).slice(-OUTPUT_LIMIT);
      pending.answer = { exitCode: typeof answer.exitCode === 'number' ? answer.exitCode : null };
      this.maybeFinish();
    }
  }

  private maybeFinish(): void {
    const pending = this.pending;
    if (pending?.answer && pending.ended.size === 2) this.settle(pending.answer);
  }

  private settle(result: { exitCode: number | null }): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.resolve(result);
  }

  /** Lets an idle host go: it exits when its channel closes, or is killed if it has not within 2 s. */
  retire(): void {
    this.closed = true;
    if (this.exited) return;
    this.channel.end();
    const timer = setTimeout(() => {
      if (!this.exited) killGroup(this.child.pid);
    }, 2000);
    timer.unref();
  }
}

/** vitest's Node API entry (`vitest/node`) as the workspace installs it. */
function vitestNodeEntry(workspaceRoot: string): string {
  const packageDir = path.join(workspaceRoot, 'node_modules', 'vitest');
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { exports?: Record<string, unknown> };
    const node = manifest.exports?.['./node'];
    const target = typeof node === 'string' ? node : (node as { import?: string; default?: string } | undefined)?.import ?? (node as { default?: string } | undefined)?.default;
    if (typeof target === 'string') return path.join(packageDir, target);
  } catch {
    /* reported by the host as a failed import */
  }
  return path.join(packageDir, 'dist', 'node.js');
}

/** The warm vitest hosts of one gate session, and the folder every run's staged copy lives in. */
export class VitestHosts {
  private readonly hosts: VitestHost[] = [];
  private folder: string | undefined;
  private disposed = false;
  private hostsStarted = 0;

  constructor(
    private readonly workspaceRoot: string,
    private readonly tmpRoot: string = os.tmpdir(),
    private readonly maxRunsPerHost = MAX_RUNS_PER_HOST,
  ) {}

  /** Where runs stage their copies: the only folder the hosts may write. Made on first use. */
  stagingRoot(): string {
    if (!this.folder) {
      this.folder = fs.realpathSync(fs.mkdtempSync(path.join(this.tmpRoot, 'specwright-tests-')));
      trackDir(this.folder);
      markOwner(this.folder);
    }
    return this.folder;
  }

  /** Runs vitest for one staged copy (under stagingRoot()) in an idle host, started if none is idle. */
  async run(request: HostRunRequest): Promise<HostRunResult> {
    if (this.disposed) throw new Error('internal: vitest run after the gate session ended');
    for (const host of this.hosts.filter((candidate) => !candidate.busy && !candidate.usable)) this.remove(host);
    let host = this.hosts.find((candidate) => candidate.usable);
    if (!host) {
      host = new VitestHost(this.workspaceRoot, this.stagingRoot(), this.maxRunsPerHost);
      this.hosts.push(host);
      this.hostsStarted++;
    }
    try {
      return await host.run(request);
    } finally {
      if (!host.usable && !host.busy) this.remove(host);
    }
  }

  /** How many hosts this pool has started (for tests). */
  get started(): number {
    return this.hostsStarted;
  }

  private remove(host: VitestHost): void {
    const index = this.hosts.indexOf(host);
    if (index >= 0) this.hosts.splice(index, 1);
    host.retire();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const host of this.hosts.splice(0)) host.kill();
    if (this.folder) {
      await fs.promises.rm(this.folder, { recursive: true, force: true }).catch(() => undefined);
      untrackDir(this.folder);
      this.folder = undefined;
    }
  }
}
