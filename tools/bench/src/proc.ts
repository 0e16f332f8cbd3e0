/**
 * Running the real CLIs as child processes: wall time, exit status, output, and the peak memory of the whole
 * process tree (sampled from /proc: the largest single process's VmHWM, and the largest sum of VmRSS over the
 * tree at one moment), cross-checked with `/usr/bin/time -v` when it is installed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunOutcome {
  status: number;
  output: string;
  ms: number;
  memory?: MemoryPeak;
}

export interface MemoryPeak {
  /** The largest VmHWM (peak RSS) of any process of the tree, MB. */
  largestProcessMb: number;
  /** Its command line (shortened). */
  largestProcess: string;
  /** The largest sum of VmRSS over the tree at one sample, MB (processes running at once). */
  treeMb: number;
  /** `Maximum resident set size` of /usr/bin/time -v (the largest waited-for process), MB, when available. */
  timeMaxRssMb?: number;
  samples: number;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Sample the memory of the process tree. */
  memory?: boolean;
  timeoutMs?: number;
}

let nodeOptions: string | undefined;

/** NODE_OPTIONS every process the bench starts gets (`--node-options`), for experiments. */
export function setNodeOptions(value: string | undefined): void {
  nodeOptions = value;
}

/** A clean, offline environment like the repository's e2e tests use: no daemon, no cloud, no TUI, no colours. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
    CI: 'true',
    FORCE_COLOR: '0',
    NO_COLOR: '1',
    VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true',
    ...extra,
  };
}

const TIME_BIN = '/usr/bin/time';

export function run(command: string, args: string[], options: RunOptions): Promise<RunOutcome> {
  const timeFile = options.memory && existsSync(TIME_BIN) ? join(mkdtempSync(join(tmpdir(), 'specwright-bench-time-')), 'time.txt') : undefined;
  const [file, argv] = timeFile ? [TIME_BIN, ['-v', '-o', timeFile, command, ...args]] : [command, args];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, argv, { cwd: options.cwd, env: options.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const sampler = options.memory && child.pid ? startSampler(child.pid) : undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      sampler?.stop();
      reject(error);
    });
    child.on('close', (status) => {
      const ms = performance.now() - started;
      clearTimeout(timer);
      const memory = sampler?.stop();
      if (memory && timeFile) {
        const match = /Maximum resident set size \(kbytes\): (\d+)/.exec(readTextOr(timeFile, ''));
        if (match) memory.timeMaxRssMb = Number(match[1]) / 1024;
      }
      if (timeFile) rmSync(join(timeFile, '..'), { recursive: true, force: true });
      resolve({ status: status ?? -1, output, ms, ...(memory ? { memory } : {}) });
    });
  });
}

function readTextOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

/** Samples the tree under `rootPid` every 25 ms from /proc (Linux); elsewhere reports nothing. */
function startSampler(rootPid: number): { stop(): MemoryPeak | undefined } {
  if (!existsSync('/proc/self/status')) return { stop: () => undefined };
  const hwm = new Map<number, { kb: number; command: string }>();
  let treeKb = 0;
  let samples = 0;
  /** Children of a process, from /proc/<pid>/task/<tid>/children (cheap: no scan of every process). */
  const childrenOf = (pid: number): number[] => {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      return [];
    }
    return tasks.flatMap((tid) => readTextOr(`/proc/${pid}/task/${tid}/children`, '').split(' ').filter(Boolean).map(Number));
  };
  const sample = () => {
    const tree: number[] = [];
    const queue = [rootPid];
    while (queue.length > 0) {
      const pid = queue.shift() as number;
      tree.push(pid);
      queue.push(...childrenOf(pid));
    }
    let sum = 0;
    for (const pid of tree) {
      const status = readTextOr(`/proc/${pid}/status`, '');
      const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const peak = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
      sum += rss;
      if (peak > (hwm.get(pid)?.kb ?? 0)) {
        const command = readTextOr(`/proc/${pid}/cmdline`, '').split('\0').filter(Boolean).join(' ');
        hwm.set(pid, { kb: peak, command });
      }
    }
    treeKb = Math.max(treeKb, sum);
    samples++;
  };
  const interval = setInterval(sample, 25);
  sample();
  return {
    stop() {
      clearInterval(interval);
      const largest = [...hwm.values()].sort((a, b) => b.kb - a.kb)[0];
      return {
        largestProcessMb: (largest?.kb ?? 0) / 1024,
        largestProcess: shorten(largest?.command ?? ''),
        treeMb: treeKb / 1024,
        samples,
      };
    },
  };
}

function shorten(command: string): string {
  return command.replace(/\/[^ ]*\/node_modules\//g, '…/').replace(/\/tmp\/specwright-bench-[^/ ]+\//g, '<ws>/').slice(0, 120);
}

/** The nx CLI of the workspace, from nx's package.json `bin` (nx 23: dist/bin/nx.js). */
export function nxBin(root: string): string {
  const manifest = JSON.parse(readFileSync(join(root, 'node_modules/nx/package.json'), 'utf8')) as { bin?: string | Record<string, string> };
  const bin = typeof manifest.bin === 'string' ? manifest.bin : (manifest.bin?.nx ?? 'bin/nx.js');
  return join(root, 'node_modules/nx', bin);
}

/** Runs nx of the workspace (`node <nx bin> …`). */
export function nx(root: string, args: string[], options: Omit<RunOptions, 'cwd'> = {}): Promise<RunOutcome> {
  return run(process.execPath, [nxBin(root), ...args], { cwd: root, ...options });
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
