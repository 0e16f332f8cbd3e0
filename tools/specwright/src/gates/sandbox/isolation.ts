/**
 * How strongly candidate code is isolated, decided once per process, and how every child that runs candidate code
 * is started. Layers, strongest first, each used when the platform has it:
 *
 * 1. OS: `unshare` (util-linux) puts the child in new user + network + mount + pid namespaces without privileges:
 *    no network at all (loopback included), every host mount read-only except the staging folder, and a pid
 *    namespace so it cannot signal anything outside. (`confine.sh` does the mounts.)
 * 2. Node's permission model (`--permission` on 22.13+, `--experimental-permission` on 20): reads limited to staging,
 *    node_modules and the inputs, writes to staging (or nothing), no child processes, workers, addons or WASI.
 * 3. `lockdown.cjs`, preloaded: the built-ins and globals the spec has no capability for become denied stubs.
 * 4. `--disallow-code-generation-from-strings`, a heap cap, a PATH-only environment, and a timeout that kills the
 *    child's whole process group. (`--frozen-intrinsics` is available to callers; the runner detects patched
 *    built-ins after every call instead, which costs nothing at start-up and reports the patch as a finding.)
 *
 * "strong" means layers 1 (at least the network namespace) and 2 are in force; anything less is "weak", printed
 * once per run as a warning, and refused when `requireStrongIsolation` is set (CI should set it).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Capability } from '../../types';
import { SpecwrightError } from '../../errors';
import { minimalEnv, permissionFlag } from '../util';

export const LOCKDOWN_FILE = path.join(__dirname, 'lockdown.cjs');
export const CONFINE_SCRIPT = path.join(__dirname, 'confine.sh');

export interface Isolation {
  level: 'strong' | 'weak';
  /** How the OS layer wraps a command: user+net+mount+pid namespaces, net (+pid) only, or nothing. */
  namespace: 'full' | 'net' | 'none';
  /** Node's permission flag on this version, if any. */
  permission?: string;
  /** One line for the run output. */
  summary: string;
}

let detected: Isolation | undefined;

function probe(args: string[]): boolean {
  try {
    const result = spawnSync('unshare', args, { stdio: 'ignore', timeout: 5000, env: minimalEnv() });
    return result.status === 0;
  } catch {
    return false;
  }
}

/** The isolation this machine gives, probed once per process (a few ms). `SPECWRIGHT_ISOLATION=weak` skips the OS layer. */
export function detectIsolation(env: NodeJS.ProcessEnv = process.env): Isolation {
  if (detected) return detected;
  const permission = permissionFlag();
  let namespace: Isolation['namespace'] = 'none';
  if (process.platform === 'linux' && env['SPECWRIGHT_ISOLATION'] !== 'weak') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'specwright-probe-'));
    try {
      if (probe(['--user', '--map-root-user', '--net', '--mount', '--pid', '--fork', '--kill-child', '--', '/bin/sh', CONFINE_SCRIPT, dir, '--', '/bin/sh', '-c', 'exit 0'])) namespace = 'full';
      else if (probe(['--user', '--map-root-user', '--net', '--', '/bin/sh', '-c', 'exit 0'])) namespace = 'net';
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const strong = namespace !== 'none' && permission !== undefined;
  const layers = [
    namespace === 'full' ? 'netns+mountns+pidns' : namespace === 'net' ? 'netns' : undefined,
    permission ? 'permission' : undefined,
    'lockdown',
  ].filter(Boolean);
  const missing = [
    namespace === 'none' ? 'no network namespace (unshare with unprivileged user namespaces is not available)' : undefined,
    permission ? undefined : `no Node permission model on ${process.version}`,
  ].filter(Boolean);
  detected = {
    level: strong ? 'strong' : 'weak',
    namespace,
    ...(permission ? { permission } : {}),
    summary: strong
      ? `isolation: strong (${layers.join('+')})`
      : `warning: isolation: weak (${layers.join('+')}): ${missing.join('; ')} — candidate code is confined by Node's own checks only; set requireStrongIsolation (SPECWRIGHT_REQUIRE_STRONG_ISOLATION=1) in CI`,
  };
  return detected;
}

/** For tests: forget the probe result. */
export function resetIsolationForTests(): void {
  detected = undefined;
}

/**
 * `command args` wrapped in the OS layer; `writable` are the only folders the command may write (full namespaces).
 * `readOnlyHost: false` skips the mount namespace (a few tens of ms per start) for processes Node's permission
 * model already forbids every write (the examples/properties runner); network and pid namespaces stay.
 */
export function wrapCommand(isolation: Isolation, command: string, args: string[], writable: string[], options: { readOnlyHost?: boolean } = {}): { command: string; args: string[] } {
  const readOnlyHost = options.readOnlyHost ?? true;
  switch (isolation.namespace) {
    case 'full':
      if (!readOnlyHost) return { command: 'unshare', args: ['--user', '--map-root-user', '--net', '--pid', '--fork', '--kill-child', '--', command, ...args] };
      return {
        command: 'unshare',
        args: ['--user', '--map-root-user', '--net', '--mount', '--pid', '--fork', '--kill-child', '--', '/bin/sh', CONFINE_SCRIPT, ...writable, '--', command, ...args],
      };
    case 'net':
      return { command: 'unshare', args: ['--user', '--map-root-user', '--net', '--', command, ...args] };
    case 'none':
      return { command, args };
  }
}

export interface NodeFlagOptions {
  isolation: Isolation;
  /** Folders and files the process may read. */
  reads: readonly string[];
  /** Folders the process may write (none by default). */
  writes?: readonly string[];
  capabilities: readonly Capability[];
  maxOldSpaceMb: number;
  /** `--frozen-intrinsics` (off in the runner, which checks built-ins itself; vitest's workers hang with it). */
  frozenIntrinsics: boolean;
}

/** The Node flags of a process that runs candidate code: heap cap, no code from strings, permission model, lockdown. */
export function nodeIsolationFlags(options: NodeFlagOptions): string[] {
  const flags = [`--max-old-space-size=${options.maxOldSpaceMb}`, '--disallow-code-generation-from-strings'];
  if (options.frozenIntrinsics) flags.push('--frozen-intrinsics');
  if (process.allowedNodeEnvironmentFlags.has('--disable-warning')) flags.push('--disable-warning=ExperimentalWarning');
  const permission = options.isolation.permission;
  if (permission) {
    flags.push(permission);
    for (const grant of new Set([...options.reads, LOCKDOWN_FILE])) flags.push(`--allow-fs-read=${grant}`);
    for (const grant of new Set(options.writes ?? [])) flags.push(`--allow-fs-write=${grant}`);
    if (options.capabilities.includes('child_process')) flags.push('--allow-child-process', '--allow-worker');
  }
  flags.push(`--require=${LOCKDOWN_FILE}`);
  return flags;
}

export interface LockdownConfig {
  mode: 'runner' | 'tests';
  grants: readonly Capability[];
  pure: boolean;
  /** Absolute folder of the candidate's staged code: env reads from there are reported. */
  candidateRoot?: string;
  /** Absolute paths of the candidate's files (the tests gate, where they sit among the project's files). */
  candidateFiles?: readonly string[];
}

/** The environment of a process that runs candidate code: PATH and the lockdown's configuration, nothing else. */
export function sandboxEnv(config: LockdownConfig, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...minimalEnv(), ...extra, SPECWRIGHT_SANDBOX: JSON.stringify(config) };
}

/** Kills a detached child's whole process group (the namespace wrapper, node, and anything it started). */
export function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    if (process.platform !== 'win32') process.kill(-pid, 'SIGKILL');
    else process.kill(pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/** Whether strong isolation is required: the plugin option, or SPECWRIGHT_REQUIRE_STRONG_ISOLATION=1 (CI). */
export function strongIsolationRequired(option: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  const fromEnv = env['SPECWRIGHT_REQUIRE_STRONG_ISOLATION'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv !== '0' && fromEnv !== 'false';
  return option === true;
}

/**
 * The line a run prints once before any candidate code runs, or an error when strong isolation is required and
 * not available (nothing has been generated or written yet at that point).
 */
export function isolationNotice(required: boolean, env: NodeJS.ProcessEnv = process.env): string {
  const isolation = detectIsolation(env);
  if (required && isolation.level !== 'strong') {
    throw new SpecwrightError(`strong isolation is required, but this machine only gives ${isolation.summary.replace(/^warning: isolation: /, '')}`, {
      expected: 'unprivileged user namespaces (`unshare -rn true` succeeds) and a Node version with the permission model (20+)',
      fix: 'run on Linux with unprivileged user namespaces enabled (sysctl kernel.unprivileged_userns_clone=1 / a container that allows them), or unset requireStrongIsolation / SPECWRIGHT_REQUIRE_STRONG_ISOLATION to accept weak isolation',
      code: 'WEAK_ISOLATION',
    });
  }
  return isolation.summary;
}
