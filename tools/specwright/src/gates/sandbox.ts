/**
 * Runs candidate code in a child process, never in the gate's own process and never from the working tree.
 *
 * Staging: the candidate's files and every relative module they reach (types file, dependsOn outputs, read from
 * disk) plus the sources of workspace packages they import by name (`@acme/money` → `<root>/node_modules/@acme/money`
 * → its package.json `main`, a .ts file) are transpiled to CommonJS with `ts.transpileModule` into a temp directory
 * under os.tmpdir(), with import paths rewritten to the staged copies. Other packages resolve through a
 * `node_modules` symlink to the workspace's.
 *
 * Running: one child per spec per attempt (`SandboxWorker`), spoken to over an IPC channel (structured clone, so
 * `undefined`, NaN and -0 survive). Every call has a wall-clock budget; when it runs out the child is SIGKILLed, the
 * call is reported as timed out and the next call starts a fresh child. The child gets `--max-old-space-size`, a
 * PATH-only environment, `--disallow-code-generation-from-strings`, and Node's permission model where available
 * (reads limited to the staging dir and node_modules, no child processes or workers unless granted).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';
import type { Capability } from '../types';
import type { GateInput } from './gate';
import { invariantsModuleSource } from './invariants';
import { track, trackDir, untrack, untrackDir } from './reaper';
import {
  builtinName,
  fileExistsOnDisk,
  isCodeFile,
  isRelativeSpecifier,
  minimalEnv,
  permissionFlag,
  posix,
  resolveRelative,
  resolveWorkspacePackage,
  splitPackageSpecifier,
  toAbsolute,
} from './util';

// ---------------------------------------------------------------------------------------------------------------
// Staging

export interface StagedCode {
  /** The staging directory (real path), outside the workspace. */
  dir: string;
  /** Staged absolute paths of the candidate's code files, the modules the runner loads. */
  entries: string[];
  /** Workspace-relative source of each staged file, by staged absolute path. */
  sources: Map<string, string>;
  /** Paths the child may read (permission model). */
  readGrants: string[];
  /** The staged invariants module of the spec (gates/invariants.ts), when it has invariants. */
  invariants?: string;
  dispose(): Promise<void>;
}

export interface StageOptions {
  workspaceRoot: string;
  /** The source of the spec's invariants module, staged beside the runner. */
  invariantsSource?: string;
  /** The candidate: workspace-relative path → content. Overrides the disk. */
  files: ReadonlyMap<string, string>;
  tmpRoot?: string;
}

const STAGE_COMPILER_OPTIONS: ts.CompilerOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  esModuleInterop: true,
  allowJs: true,
  inlineSourceMap: true,
  jsx: ts.JsxEmit.ReactJSX,
};

function stagedName(file: string): string {
  return file.endsWith('.json') ? file : file.replace(/\.(tsx?|mts|cts|jsx|mjs|cjs)$/, '.js');
}

export async function stageCode(options: StageOptions): Promise<StagedCode> {
  const { workspaceRoot, files } = options;
  const created = await fs.promises.mkdtemp(path.join(options.tmpRoot ?? os.tmpdir(), 'specwright-sandbox-'));
  const dir = await fs.promises.realpath(created);
  trackDir(dir);
  const codeRoot = path.join(dir, 'ws');
  const exists = (file: string): boolean => files.has(file) || fileExistsOnDisk(workspaceRoot, file);
  const read = (file: string): string => files.get(file) ?? fs.readFileSync(toAbsolute(workspaceRoot, file), 'utf8');
  const readGrants = new Set<string>([dir]);
  const nodeModules = path.join(workspaceRoot, 'node_modules');
  if (fs.existsSync(nodeModules)) {
    readGrants.add(nodeModules);
    readGrants.add(fs.realpathSync(nodeModules));
    await fs.promises.symlink(nodeModules, path.join(dir, 'node_modules'), 'dir');
  }
  await fs.promises.writeFile(path.join(dir, 'package.json'), '{ "type": "commonjs", "private": true }\n');
  await fs.promises.writeFile(path.join(dir, 'runner.cjs'), RUNNER_SOURCE);
  const invariants = options.invariantsSource === undefined ? undefined : path.join(dir, 'invariants.cjs');
  if (invariants) await fs.promises.writeFile(invariants, options.invariantsSource!);

  const sources = new Map<string, string>();
  const queue = [...files.keys()].filter((f) => isCodeFile(f) || f.endsWith('.json'));
  const entries = queue.filter(isCodeFile).map((f) => path.join(codeRoot, ...stagedName(f).split('/')));
  const done = new Set<string>();
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (done.has(file)) continue;
    done.add(file);
    const target = path.join(codeRoot, ...stagedName(file).split('/'));
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    sources.set(target, file);
    const text = read(file);
    if (file.endsWith('.json')) {
      await fs.promises.writeFile(target, text);
      continue;
    }
    const output = ts.transpileModule(text, { fileName: posix.basename(file), compilerOptions: STAGE_COMPILER_OPTIONS }).outputText;
    const rewritten = rewriteRequires(output, (specifier) => {
      let resolved: string | undefined;
      if (isRelativeSpecifier(specifier)) {
        resolved = resolveRelative(file, specifier, exists);
      } else if (builtinName(specifier) === undefined) {
        const workspacePackage = resolveWorkspacePackage(workspaceRoot, specifier, exists);
        if (workspacePackage) resolved = workspacePackage.entry;
        else {
          const packageDir = path.join(nodeModules, ...splitPackageSpecifier(specifier)[0].split('/'));
          if (fs.existsSync(packageDir)) readGrants.add(fs.realpathSync(packageDir));
        }
      }
      if (!resolved) return undefined;
      queue.push(resolved);
      let relative = posix.relative(posix.dirname(stagedName(file)), stagedName(resolved));
      if (!relative.startsWith('.')) relative = `./${relative}`;
      return relative;
    });
    await fs.promises.writeFile(target, rewritten);
  }
  return {
    dir,
    entries,
    sources,
    readGrants: [...readGrants],
    ...(invariants ? { invariants } : {}),
    dispose: async () => {
      await fs.promises.rm(dir, { recursive: true, force: true });
      untrackDir(dir);
    },
  };
}

/** Rewrites the string argument of every `require("…")` call in CommonJS output; `map` returns undefined to keep it. */
function rewriteRequires(code: string, map: (specifier: string) => string | undefined): string {
  const sf = ts.createSourceFile('out.js', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const edits: Array<[number, number, string]> = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'require' &&
      node.arguments.length === 1 &&
      ts.isStringLiteralLike(node.arguments[0]!)
    ) {
      const literal = node.arguments[0] as ts.StringLiteral;
      const replacement = map(literal.text);
      if (replacement !== undefined) edits.push([literal.getStart(sf), literal.end, JSON.stringify(replacement)]);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  let out = code;
  for (const [start, end, text] of edits.sort((a, b) => b[0] - a[0])) out = out.slice(0, start) + text + out.slice(end);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The child: a CommonJS script written into the staging directory.

const RUNNER_SOURCE = String.raw`'use strict';
const send = process.send.bind(process);
const exit = process.exit.bind(process);
const functions = new Map();
let invariants = {};
function snapshot(value) {
  try { return { ok: true, value: structuredClone(value) }; } catch (_) { return { ok: false }; }
}
function key(path, k) { return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? path + '.' + k : path + '[' + JSON.stringify(k) + ']'; }
// The first place where two values differ (Object.is on leaves, so NaN equals NaN and -0 differs from 0), or ''.
function difference(a, b, path, depth) {
  if (Object.is(a, b)) return '';
  if (depth > 40 || a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return path;
  if (Array.isArray(a) !== Array.isArray(b)) return path;
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && Object.is(a.getTime(), b.getTime()) ? '' : path;
  if (a instanceof Map || a instanceof Set) {
    if (!(b instanceof Map || b instanceof Set) || a.size !== b.size) return path;
    return difference([...a.entries()], [...b.entries()], path, depth + 1);
  }
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.length !== kb.length) return path + ' (keys ' + JSON.stringify(ka).slice(0, 80) + ' → ' + JSON.stringify(kb).slice(0, 80) + ')';
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return key(path, k);
    const inner = difference(a[k], b[k], key(path, k), depth + 1);
    if (inner) return inner;
  }
  return '';
}
// A mutable object reachable from both results (one object handed to every caller), or ''. Frozen objects are
// fine to share: nobody can change them.
function sharedObject(first, second) {
  const seen = new Map();
  const walk = (value, path, depth, visit) => {
    if (value === null || typeof value !== 'object' || depth > 20) return '';
    const hit = visit(value, path);
    if (hit) return hit;
    for (const k of Object.keys(value).slice(0, 200)) {
      const inner = walk(value[k], key(path, k), depth + 1, visit);
      if (inner) return inner;
    }
    return '';
  };
  walk(first, 'result', 0, (value, path) => { if (!seen.has(value)) seen.set(value, path); return ''; });
  return walk(second, 'result', 0, (value, path) => (seen.has(value) && !Object.isFrozen(value) ? path : ''));
}
function describeError(e) {
  if (e === null || (typeof e !== 'object' && typeof e !== 'function')) {
    return { name: undefined, message: String(e), chain: [], thrown: typeof e };
  }
  const chain = [];
  try {
    let proto = Object.getPrototypeOf(e);
    while (proto && chain.length < 12) {
      const ctor = Object.prototype.hasOwnProperty.call(proto, 'constructor') ? proto.constructor : undefined;
      if (ctor && typeof ctor.name === 'string' && ctor.name) chain.push(ctor.name);
      proto = Object.getPrototypeOf(proto);
    }
  } catch (_) {}
  let name, message, stack;
  try { name = e.name === undefined ? undefined : String(e.name); } catch (_) {}
  try { message = e.message === undefined ? undefined : String(e.message); } catch (_) {}
  try { stack = typeof e.stack === 'string' ? e.stack.split('\n').slice(0, 15).join('\n') : undefined; } catch (_) {}
  return { name, message, chain, stack };
}
function reply(message) {
  try {
    send(message);
  } catch (error) {
    // the value cannot be cloned (a function, a symbol…): describe it instead
    let description;
    try { description = Object.prototype.toString.call(message.value) + ' ' + String(message.value).slice(0, 200); } catch (_) { description = typeof message.value; }
    send({ t: message.t, id: message.id, ok: message.ok, unserializable: description, ms: message.ms });
  }
}
process.on('disconnect', () => exit(0));
process.on('uncaughtException', (error) => { try { send({ t: 'uncaught', error: describeError(error) }); } catch (_) {} });
process.on('unhandledRejection', () => {});
process.on('message', async (message) => {
  if (message.t === 'load') {
    const errors = [];
    for (const file of message.modules) {
      try {
        const mod = require(file);
        for (const key of Object.keys(mod)) {
          if (typeof mod[key] === 'function' && !functions.has(key)) functions.set(key, mod[key]);
        }
      } catch (error) {
        errors.push({ module: file, error: describeError(error) });
      }
    }
    if (message.invariants && errors.length === 0) {
      try {
        invariants = require(message.invariants)(Object.fromEntries(functions));
      } catch (error) {
        errors.push({ module: message.invariants, error: describeError(error) });
      }
    }
    send({ t: 'loaded', exports: [...functions.keys()], errors });
    return;
  }
  if (message.t === 'call') {
    const fn = functions.get(message.name);
    if (!fn) {
      send({ t: 'result', id: message.id, missing: true, available: [...functions.keys()] });
      return;
    }
    const checks = message.checks || {};
    const rules = checks.invariants ? invariants[message.name] || [] : [];
    // The arguments as they were before the call: mutation is compared against them, and invariants and the second
    // (purity) call get their own untouched copy.
    const pristine = checks.purity || rules.length > 0 ? snapshot(message.args) : undefined;
    const started = process.hrtime.bigint();
    let value;
    try {
      value = fn(...message.args);
      if (value && typeof value.then === 'function') value = await value;
    } catch (error) {
      const report = { t: 'result', id: message.id, ok: false, error: describeError(error), ms: Number(process.hrtime.bigint() - started) / 1e6 };
      if (checks.purity && pristine.ok) {
        const mutated = difference(pristine.value, message.args, 'args', 0);
        if (mutated) report.purity = { mutated };
      }
      send(report);
      return;
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const report = { t: 'result', id: message.id, ok: true, value, ms };
    if (checks.purity && pristine.ok) {
      const purity = {};
      const mutated = difference(pristine.value, message.args, 'args', 0);
      if (mutated) purity.mutated = mutated;
      else {
        try {
          let again = fn(...snapshot(pristine.value).value);
          if (again && typeof again.then === 'function') again = await again;
          const shared = sharedObject(value, again);
          if (shared) purity.shared = shared;
          else {
            const differs = difference(value, again, 'result', 0);
            if (differs) purity.nondeterministic = differs;
          }
        } catch (error) {
          purity.nondeterministic = 'the same call threw the second time: ' + String(describeError(error).message);
        }
      }
      if (Object.keys(purity).length) report.purity = purity;
    }
    if (rules.length > 0 && pristine.ok) {
      const failed = [];
      for (const rule of rules) {
        try {
          if (!rule.check(snapshot(pristine.value).value, value)) failed.push({ name: rule.name });
        } catch (error) {
          failed.push({ name: rule.name, error: describeError(error).name + ': ' + describeError(error).message });
        }
      }
      if (failed.length) report.invariants = failed;
    }
    reply(report);
  }
});
send({ t: 'ready' });
`;

// ---------------------------------------------------------------------------------------------------------------
// The worker: the parent's handle on the child.

export interface ThrownError {
  name?: string;
  message?: string;
  /** Constructor names from the error's prototype chain, most specific first (e.g. MyError, RangeError, Error). */
  chain: string[];
  stack?: string;
  /** `typeof` of a thrown non-object (e.g. `throw 'x'`). */
  thrown?: string;
  /** `file:line:col` of the first stack frame in the candidate's code (workspace-relative, source-mapped). */
  at?: string;
}

/** What the child saw around a call of a pure export (`checks.purity`): each is the path of the first difference. */
export interface PurityReport {
  /** The call changed its arguments, e.g. `args[0][2]`. */
  mutated?: string;
  /** The same call made again returned an object that is also part of the first result (one object for all callers). */
  shared?: string;
  /** The same call made again returned a different value. */
  nondeterministic?: string;
}

/** An invariant that did not hold after the call (or threw while being checked). */
export interface InvariantFailure {
  name: string;
  error?: string;
}

/** Checks the child makes around one call. */
export interface CallChecks {
  purity?: boolean;
  invariants?: boolean;
}

export type CallOutcome =
  | { kind: 'returned'; value: unknown; ms: number; unserializable?: string; purity?: PurityReport; invariants?: InvariantFailure[] }
  | { kind: 'threw'; error: ThrownError; ms: number; purity?: PurityReport }
  | { kind: 'timeout'; ms: number }
  | { kind: 'crashed'; message: string }
  | { kind: 'missing'; message: string };

export interface SandboxSettings {
  /** Wall-clock budget of one call (ms). */
  callTimeoutMs: number;
  /** Budget for starting the child and loading the candidate (ms). */
  loadTimeoutMs: number;
  /** `--max-old-space-size` of the child (MB). */
  maxOldSpaceMb: number;
  /** How many times a worker restarts its child (after timeouts or crashes) before giving up. */
  maxRestarts: number;
}

export const DEFAULT_SANDBOX_SETTINGS: SandboxSettings = { callTimeoutMs: 2000, loadTimeoutMs: 10000, maxOldSpaceMb: 256, maxRestarts: 8 };

type Ready = { ok: true; exports: string[] } | { ok: false; message: string };

interface ChildMessage {
  t: string;
  id?: number;
  ok?: boolean;
  value?: unknown;
  error?: ThrownError;
  ms?: number;
  missing?: boolean;
  available?: string[];
  unserializable?: string;
  exports?: string[];
  errors?: Array<{ module: string; error: ThrownError }>;
  purity?: PurityReport;
  invariants?: InvariantFailure[];
}

export interface WorkerOptions {
  /** Variables added to the child's PATH-only environment (the purity gate's second locale/time zone run). */
  env?: Record<string, string>;
  /** The staged code belongs to someone else (another worker on the same staging): close() leaves it. */
  sharedCode?: boolean;
}

export class SandboxWorker {
  private child?: ChildProcess;
  private ready?: Promise<Ready>;
  /** A failure to load is deterministic: remembered, not retried. */
  private loadFailure?: string;
  private sequence = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private output = '';
  private listener?: (message: ChildMessage) => void;
  private exitListener?: (code: number | null, signal: NodeJS.Signals | null) => void;
  private closed = false;
  /** Children started so far (1 unless calls timed out or crashed). */
  spawned = 0;

  constructor(
    readonly code: StagedCode,
    private readonly settings: SandboxSettings,
    private readonly capabilities: readonly Capability[] = [],
    private readonly workspaceRoot?: string,
    private readonly workerOptions: WorkerOptions = {},
  ) {}

  /** The pid of the current child, if one runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Calls an export of the candidate with `args`. Calls are queued: one at a time per worker. */
  call(name: string, args: unknown[], timeoutMs = this.settings.callTimeoutMs, checks?: CallChecks): Promise<CallOutcome> {
    const next = this.chain.then(() => this.callNow(name, args, timeoutMs, checks));
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** The functions the candidate exports (after loading), or the load failure. */
  async exports(): Promise<Ready> {
    return this.chain.then(() => this.ensure());
  }

  private args(): string[] {
    const args = [`--max-old-space-size=${this.settings.maxOldSpaceMb}`, '--disallow-code-generation-from-strings', '--enable-source-maps'];
    if (process.allowedNodeEnvironmentFlags.has('--disable-warning')) args.push('--disable-warning=ExperimentalWarning');
    const permission = permissionFlag();
    if (permission) {
      args.push(permission);
      const grants = new Set(this.code.readGrants);
      if (this.capabilities.includes('fs') && this.workspaceRoot) grants.add(this.workspaceRoot);
      for (const grant of grants) args.push(`--allow-fs-read=${grant}`);
      if (this.capabilities.includes('child_process')) args.push('--allow-child-process', '--allow-worker');
    }
    args.push(path.join(this.code.dir, 'runner.cjs'));
    return args;
  }

  private ensure(): Promise<Ready> {
    if (this.loadFailure) return Promise.resolve({ ok: false, message: this.loadFailure });
    if (this.closed) return Promise.resolve({ ok: false, message: 'sandbox closed' });
    if (this.child && this.ready) return this.ready;
    if (this.spawned > this.settings.maxRestarts) {
      return Promise.resolve({ ok: false, message: `sandbox gave up after restarting ${this.settings.maxRestarts} times` });
    }
    this.spawned++;
    this.output = '';
    const child = spawn(process.execPath, this.args(), {
      cwd: this.code.dir,
      env: { ...minimalEnv(), ...this.workerOptions.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    this.child = child;
    track(child.pid);
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('message', (message: ChildMessage) => this.listener?.(message));
    child.on('exit', (code, signal) => {
      untrack(child.pid);
      // A child we killed (timeout) is no longer current: its exit must not reach the listeners of its successor.
      if (this.child !== child) return;
      this.child = undefined;
      this.ready = undefined;
      this.exitListener?.(code, signal);
    });
    child.on('error', () => {
      /* reported through exit */
    });
    this.ready = new Promise<Ready>((resolve) => {
      const timer = setTimeout(() => {
        this.loadFailure = `loading the candidate took longer than ${this.settings.loadTimeoutMs} ms (a top-level infinite loop?); the sandbox was killed`;
        this.kill();
        resolve({ ok: false, message: this.loadFailure });
      }, this.settings.loadTimeoutMs);
      this.exitListener = (code, signal) => {
        clearTimeout(timer);
        resolve({ ok: false, message: `the sandbox exited while loading the candidate (${signal ?? `code ${code}`})${this.tail()}` });
      };
      this.listener = (message) => {
        if (message.t === 'ready') {
          child.send({ t: 'load', modules: this.code.entries, invariants: this.code.invariants });
        } else if (message.t === 'loaded') {
          clearTimeout(timer);
          this.exitListener = undefined;
          this.listener = undefined;
          if (message.errors && message.errors.length > 0) {
            const first = message.errors[0]!;
            const error = this.mapError(first.error);
            this.loadFailure = `loading ${this.code.sources.get(first.module) ?? first.module} threw ${error.name ?? 'a value'}: ${error.message ?? ''}${error.at ? ` at ${error.at}` : ''}`;
            resolve({ ok: false, message: this.loadFailure });
          } else resolve({ ok: true, exports: message.exports ?? [] });
        }
      };
    });
    return this.ready;
  }

  private async callNow(name: string, args: unknown[], timeoutMs: number, checks?: CallChecks): Promise<CallOutcome> {
    const ready = await this.ensure();
    if (!ready.ok) return { kind: 'crashed', message: ready.message };
    const child = this.child;
    if (!child) return { kind: 'crashed', message: `the sandbox exited${this.tail()}` };
    const id = ++this.sequence;
    return new Promise<CallOutcome>((resolve) => {
      const finish = (outcome: CallOutcome): void => {
        clearTimeout(timer);
        this.listener = undefined;
        this.exitListener = undefined;
        resolve(outcome);
      };
      const timer = setTimeout(() => {
        this.kill();
        finish({ kind: 'timeout', ms: timeoutMs });
      }, timeoutMs);
      this.exitListener = (code, signal) => finish({ kind: 'crashed', message: `the sandbox exited during the call (${signal ?? `code ${code}`})${this.tail()}` });
      this.listener = (message) => {
        if (message.t !== 'result' || message.id !== id) return;
        if (message.missing) {
          finish({ kind: 'missing', message: `the candidate does not export a function '${name}' (it exports: ${(message.available ?? []).join(', ') || 'none'})` });
        } else if (message.ok) {
          finish({
            kind: 'returned',
            value: message.value,
            ms: message.ms ?? 0,
            ...(message.unserializable ? { unserializable: message.unserializable } : {}),
            ...(message.purity ? { purity: message.purity } : {}),
            ...(message.invariants ? { invariants: message.invariants } : {}),
          });
        } else finish({ kind: 'threw', error: this.mapError(message.error ?? { chain: [] }), ms: message.ms ?? 0, ...(message.purity ? { purity: message.purity } : {}) });
      };
      try {
        child.send({ t: 'call', id, name, args, ...(checks ? { checks } : {}) });
      } catch (error) {
        finish({ kind: 'crashed', message: `could not send the call to the sandbox: ${String(error)}` });
      }
    });
  }

  /** Maps staged paths in the error's stack back to workspace-relative ones and picks the first candidate frame. */
  private mapError(error: ThrownError): ThrownError {
    const codeRoot = path.join(this.code.dir, 'ws') + path.sep;
    let stack = error.stack;
    let at: string | undefined;
    if (stack) {
      stack = stack.split(codeRoot).join('');
      const frame = /\(?((?:[^\s()]+)\.(?:ts|tsx|mts|cts|js)):(\d+):(\d+)\)?/.exec(stack.split('\n').slice(1).join('\n'));
      if (frame && !frame[1]!.startsWith('node:') && !path.isAbsolute(frame[1]!)) at = `${frame[1]}:${frame[2]}:${frame[3]}`;
    }
    return { ...error, ...(stack ? { stack } : {}), ...(at ? { at } : {}) };
  }

  private tail(): string {
    const text = this.output.trim().split('\n').filter((l) => !/ExperimentalWarning|--trace-warnings/.test(l)).slice(-5).join(' | ');
    return text ? `: ${text.slice(-500)}` : '';
  }

  private kill(): void {
    const child = this.child;
    this.child = undefined;
    this.ready = undefined;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    this.kill();
    if (child && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        setTimeout(resolve, 1000);
      });
    }
    if (!this.workerOptions.sharedCode) await this.code.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The pool: one worker per gate input (spec × attempt), shared by the examples and properties gates.

export class SandboxPool {
  private readonly workers = new WeakMap<GateInput, Promise<SandboxWorker>>();
  private readonly scoped = new WeakSet<GateInput>();
  private readonly live = new Set<SandboxWorker>();
  private readonly hung = new WeakMap<GateInput, string>();

  constructor(
    private readonly settings: SandboxSettings,
    private readonly tmpRoot?: string,
  ) {}

  /** Keep the worker of `input` alive across gates until `endScope` (runGates does this). */
  beginScope(input: GateInput): void {
    this.scoped.add(input);
  }

  async endScope(input: GateInput): Promise<void> {
    this.scoped.delete(input);
    await this.release(input);
  }

  private worker(input: GateInput): Promise<SandboxWorker> {
    let worker = this.workers.get(input);
    if (!worker) {
      const invariantsSource = invariantsModuleSource(input.spec.spec);
      worker = stageCode({ workspaceRoot: input.workspaceRoot, files: input.files, tmpRoot: this.tmpRoot, ...(invariantsSource ? { invariantsSource } : {}) }).then((code) => {
        const created = new SandboxWorker(code, this.settings, input.spec.spec.constraints?.capabilities ?? [], input.workspaceRoot);
        this.live.add(created);
        input.signal?.addEventListener('abort', () => void created.close(), { once: true });
        return created;
      });
      this.workers.set(input, worker);
    }
    return worker;
  }

  private async release(input: GateInput): Promise<void> {
    const worker = this.workers.get(input);
    if (!worker) return;
    this.workers.delete(input);
    const resolved = await worker.catch(() => undefined);
    if (resolved) {
      this.live.delete(resolved);
      await resolved.close();
    }
  }

  /** Records that the candidate of `input` hung (a call timed out); later gates can avoid running it unbounded. */
  markHung(input: GateInput, description: string): void {
    if (!this.hung.has(input)) this.hung.set(input, description);
  }

  /** How the candidate of `input` hung in the sandbox, if it did. */
  hungOn(input: GateInput): string | undefined {
    return this.hung.get(input);
  }

  /**
   * Runs `fn` with the worker of `input` and a second child on the same staged code whose environment adds `env`
   * (time zone, locale); the second child is closed afterwards, the staging stays with the first.
   */
  async useWithEnv<T>(input: GateInput, env: Record<string, string>, fn: (worker: SandboxWorker, variant: SandboxWorker) => Promise<T>): Promise<T> {
    return this.use(input, async (worker) => {
      const variant = new SandboxWorker(worker.code, this.settings, input.spec.spec.constraints?.capabilities ?? [], input.workspaceRoot, { env, sharedCode: true });
      try {
        return await fn(worker, variant);
      } finally {
        await variant.close();
      }
    });
  }

  /** Runs `fn` with the worker of `input`; closes it afterwards unless the input is in a scope. */
  async use<T>(input: GateInput, fn: (worker: SandboxWorker) => Promise<T>): Promise<T> {
    const worker = await this.worker(input);
    try {
      return await fn(worker);
    } finally {
      if (!this.scoped.has(input)) await this.release(input);
    }
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.live].map((worker) => worker.close()));
    this.live.clear();
  }
}
