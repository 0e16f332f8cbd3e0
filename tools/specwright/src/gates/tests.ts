/**
 * The tests gate: runs the spec's declared tests plus the project's other test files that import one of its outputs,
 * through vitest in a child process, with the candidate in place of the outputs — in a staged copy of the project
 * outside the working tree. The copy mirrors the workspace layout (the project folder is copied; every other entry on
 * the way is a symlink to the original, so relative imports into other projects keep working; `node_modules` is a
 * real folder of symlinks, so vitest's cache lands in the copy, not in the workspace).
 *
 * vitest runs the candidate (imported by the tests) with the same isolation as the examples sandbox: the vitest
 * main process in the OS namespaces (no network; the host read-only except the session's staging folder), and its
 * test workers — forks, where the candidate's code actually runs — under Node's permission model (reads: the copy
 * and node_modules; writes: the copy's temp folder; no child processes or workers), the lockdown preload, no code
 * from strings and a heap cap. Denials the lockdown records are printed by the worker and come back as findings
 * naming the capability. The main process is a warm host that serves one run after another
 * (sandbox/vitest-hosts.ts: what it keeps between runs and what every run gets fresh).
 *
 * Each candidate gets a vitest run of its own, except in verify-spec, where the committed outputs of a project's
 * specs share one run (see TestsBatch): one vitest run per project instead of one per spec.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';
import type { Capability, Finding, GateVerdict, ResolvedSpec } from '../types';
import type { Gate, GateInput, SharedTestsRun } from './gate';
import { BatchGroups, type BatchMember } from './batch-groups';
import type { GateContext } from './context';
import { markOwner, trackDir, untrackDir } from './reaper';
import { capabilityAdvice, scrubCandidateText } from './sandbox/denials';
import { detectIsolation, nodeIsolationFlags, sandboxEnv } from './sandbox/isolation';
import type { VitestHosts } from './sandbox/vitest-hosts';
import { fileExistsOnDisk, oneLine, posix, resolveRelative, stripExtension, toAbsolute } from './util';

/** `*.test.ts` (vitest's habit) and `*.spec.ts` (what Nx's generators write) are both test files. */
const TEST_FILE = /\.(test|spec)\.(ts|mts|cts|tsx|js|mjs)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', 'coverage', '.nx', '.git', 'tmp', '.vite']);
const ROOT_SKIP = new Set(['.git', '.nx']);
/** Never mirrored into the copy the tests run in: where secrets usually live. */
const SECRET_FILE = /^(\.env(\..*)?|\.npmrc|\.netrc|\.pgpass|.*\.(pem|key|p12|pfx)|id_(rsa|dsa|ecdsa|ed25519).*)$/;
/** Caches tools write into node_modules: folders of their own in the copy, never links into the workspace. */
const NODE_MODULES_SKIP = new Set(['.vite', '.vite-temp', '.cache']);
const VITEST_CONFIGS = ['vitest.config.ts', 'vitest.config.mts', 'vitest.config.js', 'vitest.config.mjs', 'vitest.config.cts', 'vitest.config.cjs', 'vite.config.ts', 'vite.config.mts', 'vite.config.js', 'vite.config.mjs'];

function walk(workspaceRoot: string, dir: string, out: string[]): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(toAbsolute(workspaceRoot, dir), { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith('.')) walk(workspaceRoot, rel, out);
    } else if (entry.isFile() && TEST_FILE.test(entry.name)) out.push(rel);
  }
}

/** The spec's declared tests plus the project's test files that import one of the spec's outputs (workspace-relative). */
export function findTestFiles(input: Pick<GateInput, 'workspaceRoot' | 'spec' | 'files'>): string[] {
  const { workspaceRoot, spec } = input;
  const selected = new Set<string>(spec.testFiles ?? []);
  const outputs = new Set(spec.outputFiles.map(stripExtension));
  const exists = (file: string): boolean => input.files.has(file) || fileExistsOnDisk(workspaceRoot, file);
  const candidates: string[] = [];
  walk(workspaceRoot, spec.projectRoot, candidates);
  for (const test of candidates) {
    if (selected.has(test)) continue;
    let content: string;
    try {
      content = fs.readFileSync(toAbsolute(workspaceRoot, test), 'utf8');
    } catch {
      continue;
    }
    const imports = ts.preProcessFile(content, true, true).importedFiles;
    for (const imported of imports) {
      if (!imported.fileName.startsWith('.')) continue;
      const resolved = resolveRelative(test, imported.fileName, exists);
      if (resolved && outputs.has(stripExtension(resolved))) {
        selected.add(test);
        break;
      }
    }
  }
  return [...selected].sort();
}

export interface StagedProject {
  dir: string;
  projectDir: string;
  dispose(): Promise<void>;
}

/**
 * A real folder of symlinks to the packages of `source`: tools writing caches into node_modules/.vite or
 * .vite-temp write into the stage (the workspace is read-only to the tests).
 */
async function linkNodeModules(source: string, target: string): Promise<void> {
  await fs.promises.mkdir(target, { recursive: true });
  for (const dep of await fs.promises.readdir(source)) {
    if (NODE_MODULES_SKIP.has(dep)) continue;
    await fs.promises.symlink(path.join(source, dep), path.join(target, dep));
  }
}

/** Copies the project (with the candidate dropped in) into a mirror of the workspace under os.tmpdir(). */
export async function stageProject(
  workspaceRoot: string,
  projectRoot: string,
  files: ReadonlyMap<string, string>,
  tmpRoot = os.tmpdir(),
): Promise<StagedProject> {
  const dir = await fs.promises.realpath(await fs.promises.mkdtemp(path.join(tmpRoot, 'specwright-tests-')));
  trackDir(dir);
  markOwner(dir);
  const stagePath = (rel: string): string => (rel ? path.join(dir, ...rel.split('/')) : dir);

  const populate = async (rel: string): Promise<void> => {
    const source = toAbsolute(workspaceRoot, rel);
    for (const entry of await fs.promises.readdir(source, { withFileTypes: true })) {
      if (rel === '' && ROOT_SKIP.has(entry.name)) continue;
      if (SECRET_FILE.test(entry.name)) continue;
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.name === 'node_modules') {
        await linkNodeModules(path.join(source, entry.name), stagePath(childRel));
        continue;
      }
      await fs.promises.symlink(path.join(source, entry.name), stagePath(childRel));
    }
  };

  /** Turns every symlinked folder on the way to `rel` into a real folder of symlinks. */
  const materialize = async (rel: string): Promise<void> => {
    const segments = rel ? rel.split('/') : [];
    for (let i = 1; i <= segments.length; i++) {
      const prefix = segments.slice(0, i).join('/');
      const target = stagePath(prefix);
      const stat = await fs.promises.lstat(target).catch(() => undefined);
      if (stat?.isSymbolicLink()) {
        await fs.promises.unlink(target);
        await fs.promises.mkdir(target);
        await populate(prefix);
      } else if (!stat) {
        await fs.promises.mkdir(target, { recursive: true });
      }
    }
  };

  const copyTree = async (rel: string): Promise<void> => {
    const source = toAbsolute(workspaceRoot, rel);
    await fs.promises.mkdir(stagePath(rel), { recursive: true });
    for (const entry of await fs.promises.readdir(source, { withFileTypes: true })) {
      const childRel = `${rel}/${entry.name}`;
      if (SECRET_FILE.test(entry.name)) continue;
      if (entry.name === 'node_modules') {
        await linkNodeModules(path.join(source, entry.name), stagePath(childRel));
      } else if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) await copyTree(childRel);
      } else if (entry.isFile()) {
        await fs.promises.copyFile(path.join(source, entry.name), stagePath(childRel));
      } else if (entry.isSymbolicLink()) {
        await fs.promises.symlink(await fs.promises.readlink(path.join(source, entry.name)), stagePath(childRel));
      }
    }
  };

  await populate('');
  const parent = posix.dirname(projectRoot);
  await materialize(parent === '.' ? '' : parent);
  const projectStage = stagePath(projectRoot);
  if (await fs.promises.lstat(projectStage).catch(() => undefined)) await fs.promises.rm(projectStage, { recursive: true, force: true });
  await copyTree(projectRoot);
  for (const [file, content] of files) {
    const parentDir = posix.dirname(file);
    await materialize(parentDir === '.' ? '' : parentDir);
    await fs.promises.writeFile(stagePath(file), content);
  }
  return {
    dir,
    projectDir: projectStage,
    dispose: async () => {
      await fs.promises.rm(dir, { recursive: true, force: true });
      untrackDir(dir);
    },
  };
}

interface VitestJsonReport {
  numTotalTests?: number;
  numFailedTests?: number;
  success?: boolean;
  testResults?: Array<{
    name: string;
    status: string;
    message?: string;
    assertionResults?: Array<{ fullName: string; title: string; status: string; failureMessages?: string[] }>;
  }>;
}

export interface VitestRun {
  report?: VitestJsonReport;
  exitCode: number | null;
  timedOut: boolean;
  output: string;
  ms: number;
  /** Denials the lockdown printed from the test workers (JSON lines). */
  denials?: string[];
}

const rootsByWorkspace = new Map<string, string[]>();

/**
 * The real `node_modules` folders the workspace's packages live in (usually one; more when node_modules is itself a
 * folder of links): what a test worker may read besides the staged copy. Workspace packages (links to projects)
 * are left out: vitest transforms those in its main process.
 */
export function nodeModulesRoots(workspaceRoot: string): string[] {
  const cached = rootsByWorkspace.get(workspaceRoot);
  if (cached) return cached;
  const roots = new Set<string>();
  const nodeModules = path.join(workspaceRoot, 'node_modules');
  const add = (entry: string): void => {
    try {
      const real = fs.realpathSync(entry);
      const index = real.lastIndexOf(`${path.sep}node_modules${path.sep}`);
      if (index >= 0) roots.add(real.slice(0, index + '/node_modules'.length));
    } catch {
      /* a dangling link */
    }
  };
  try {
    roots.add(fs.realpathSync(nodeModules));
    for (const entry of fs.readdirSync(nodeModules)) {
      if (entry.startsWith('@')) for (const scoped of fs.readdirSync(path.join(nodeModules, entry))) add(path.join(nodeModules, entry, scoped));
      else if (!entry.startsWith('.')) add(path.join(nodeModules, entry));
    }
  } catch {
    /* no node_modules */
  }
  const list = [...roots];
  rootsByWorkspace.set(workspaceRoot, list);
  return list;
}

export interface VitestIsolation {
  /** Capabilities the spec grants (the tests run the candidate with them). */
  capabilities: readonly Capability[];
  maxOldSpaceMb: number;
}

/** How many denial lines of one run are kept. */
const MAX_DENIAL_LINES = 20;

/** Marks a denial line the lockdown prints from a test worker (see lockdown.cjs). */
export const DENIAL_MARKER = '[specwright-sandbox-denied]';

export interface VitestRunRequest {
  workspaceRoot: string;
  /** A copy staged under `hosts.stagingRoot()`. */
  staged: StagedProject;
  /** Test files relative to the staged project. */
  testFiles: readonly string[];
  timeoutMs: number;
  signal?: AbortSignal;
  isolation?: VitestIsolation;
  /** Workspace-relative files of the candidate (the lockdown reports env reads made from them). */
  candidateFiles?: readonly string[];
  hosts: VitestHosts;
}

/**
 * What `vitest run --root <staged project> --reporter=json --pool=forks --isolate --execArgv=…` does, run by a warm
 * host of the session (sandbox/vitest-hosts.ts), isolated (see the header). Forks, not threads: a worker process
 * carries its own permission flags and preload, and each test file gets a fresh one.
 */
export async function runVitest(request: VitestRunRequest): Promise<VitestRun> {
  const { staged } = request;
  const isolation = request.isolation ?? { capabilities: [], maxOldSpaceMb: 512 };
  const started = Date.now();
  const reportFile = path.join(staged.dir, '.specwright-vitest-report.json');
  const tmp = path.join(staged.dir, '.tmp');
  await fs.promises.mkdir(tmp, { recursive: true });
  if (!VITEST_CONFIGS.some((name) => fs.existsSync(path.join(staged.projectDir, name)))) {
    await fs.promises.writeFile(
      path.join(staged.projectDir, 'vitest.config.mjs'),
      "export default { test: { include: ['**/*.{test,spec}.{ts,mts,cts,tsx,js,mjs}'], exclude: ['**/node_modules/**'] } };\n",
    );
  }
  const workerFlags = nodeIsolationFlags({
    isolation: detectIsolation(),
    reads: [staged.dir, ...nodeModulesRoots(request.workspaceRoot)],
    writes: [tmp],
    capabilities: isolation.capabilities,
    maxOldSpaceMb: isolation.maxOldSpaceMb,
    frozenIntrinsics: false,
  });
  const denials: string[] = [];
  const result = await request.hosts.run({
    root: staged.projectDir,
    filters: request.testFiles,
    outputFile: reportFile,
    execArgv: workerFlags,
    // TMPDIR: vitest keeps a cache in os.tmpdir(); it must be inside the copy, the only writable place
    env: sandboxEnv(
      { mode: 'tests', grants: isolation.capabilities, pure: false, candidateFiles: (request.candidateFiles ?? []).map((file) => path.join(staged.dir, ...file.split('/'))) },
      { CI: '1', NO_COLOR: '1', TMPDIR: tmp },
    ),
    timeoutMs: request.timeoutMs,
    ...(request.signal ? { signal: request.signal } : {}),
    onOutput: (line) => {
      if (line.includes(DENIAL_MARKER) && denials.length < MAX_DENIAL_LINES) denials.push(line.slice(line.indexOf(DENIAL_MARKER) + DENIAL_MARKER.length).trim());
    },
  });
  let report: VitestJsonReport | undefined;
  try {
    report = JSON.parse(await fs.promises.readFile(reportFile, 'utf8')) as VitestJsonReport;
  } catch {
    /* no report: crashed or killed */
  }
  return { report, exitCode: result.exitCode, timedOut: result.timedOut, output: result.output, ms: Date.now() - started, denials };
}

/**
 * Rewrites a test file so that every plain assertion statement inside a test (`expect(x).toBe(y);`) is soft
 * (`expect.soft(…)`): a failing one is recorded and the test goes on, so the report lists every failing assertion,
 * not only the first. Lines stay where they were (only `.soft` is inserted), so reported positions still point
 * into the original file. Awaited assertions (`.resolves`/`.rejects`) and assertions outside `it`/`test` bodies
 * are left alone.
 */
export function softenAssertions(source: string, fileName = 'file.test.ts'): string {
  return softenWithPositions(source, fileName).text;
}

/** Where `.soft` went in: 1-based line and the 1-based column it was inserted at, to map reported columns back. */
type Insertions = Array<[line: number, column: number]>;

function softenWithPositions(source: string, fileName: string): { text: string; inserted: Insertions } {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, /\.m?js$/.test(fileName) ? ts.ScriptKind.JS : ts.ScriptKind.TS);
  const inserts: number[] = [];
  const isTestCall = (node: ts.Node): boolean => {
    if (!ts.isCallExpression(node)) return false;
    let callee: ts.Expression = node.expression;
    while (ts.isPropertyAccessExpression(callee) || ts.isCallExpression(callee)) callee = callee.expression;
    return ts.isIdentifier(callee) && (callee.text === 'it' || callee.text === 'test');
  };
  const insideTest = (node: ts.Node): boolean => {
    for (let current = node.parent; current; current = current.parent) {
      if ((ts.isArrowFunction(current) || ts.isFunctionExpression(current)) && current.parent && isTestCall(current.parent)) return true;
    }
    return false;
  };
  const visit = (node: ts.Node): void => {
    if (ts.isExpressionStatement(node) && ts.isCallExpression(node.expression)) {
      let chain: ts.Expression = node.expression.expression;
      let asynchronous = false;
      while (ts.isPropertyAccessExpression(chain)) {
        if (chain.name.text === 'resolves' || chain.name.text === 'rejects' || chain.name.text === 'soft') asynchronous = true;
        chain = chain.expression;
      }
      if (!asynchronous && ts.isCallExpression(chain) && ts.isIdentifier(chain.expression) && chain.expression.text === 'expect' && insideTest(node)) {
        inserts.push(chain.expression.getEnd());
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  let out = source;
  for (const at of inserts.sort((a, b) => b - a)) out = `${out.slice(0, at)}.soft${out.slice(at)}`;
  const inserted = inserts.map((at): [number, number] => {
    const { line, character } = sf.getLineAndCharacterOfPosition(at);
    return [line + 1, character + 1];
  });
  return { text: out, inserted };
}

/** A `file:line:col` of the softened copy as a position in the original file. */
function originalPosition(at: string, softened: ReadonlyMap<string, Insertions>): string {
  const match = /^(.*):(\d+):(\d+)$/.exec(at);
  const inserted = match ? softened.get(match[1]!) : undefined;
  if (!match || !inserted) return at;
  const line = Number(match[2]);
  const column = Number(match[3]);
  const shift = inserted.filter(([l, c]) => l === line && c < column).length * '.soft'.length;
  return `${match[1]}:${line}:${column - shift}`;
}

/** Softens the assertions of the staged copies of `testFiles` (regular files only: a symlink leads out of the stage). */
async function softenStagedTests(staged: StagedProject, testFiles: readonly string[]): Promise<Map<string, Insertions>> {
  const softened = new Map<string, Insertions>();
  for (const file of testFiles) {
    const target = path.join(staged.dir, ...file.split('/'));
    const stat = await fs.promises.lstat(target).catch(() => undefined);
    if (!stat?.isFile()) continue;
    const source = await fs.promises.readFile(target, 'utf8');
    const { text, inserted } = softenWithPositions(source, file);
    if (inserted.length === 0) continue;
    await fs.promises.writeFile(target, text);
    softened.set(file, inserted);
  }
  return softened;
}

/** How many failing assertions of one test are reported. */
const MAX_FAILURES_PER_TEST = 10;

/**
 * Turns vitest's JSON report into findings: every failing assertion of every failing test with its message and
 * the assertion's source line (which shows the input), failing files. Paths are workspace-relative.
 */
export function reportFindings(
  run: VitestRun,
  staged: StagedProject,
  projectRoot: string,
  timeoutMs: number,
  workspaceRoot?: string,
  softened: ReadonlyMap<string, Insertions> = new Map(),
): Finding[] {
  // Test output carries what the candidate returned or threw: scrubbed and cut short before it becomes feedback.
  const unstage = (text: string): string => {
    let out = text.split(staged.dir + path.sep).join('').split(staged.dir).join('');
    if (workspaceRoot) out = out.split(workspaceRoot + path.sep).join('');
    return scrubCandidateText(out, 2000);
  };
  const sourceLine = (at: string | undefined): string | undefined => {
    const match = at && workspaceRoot ? /^(.*):(\d+):\d+$/.exec(at) : undefined;
    if (!match || !workspaceRoot) return undefined;
    try {
      const line = fs.readFileSync(toAbsolute(workspaceRoot, match[1]!), 'utf8').split('\n')[Number(match[2]) - 1];
      return line === undefined ? undefined : oneLine(line, 200);
    } catch {
      return undefined;
    }
  };
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const line of run.denials ?? []) {
    let denial: { capability?: string; api?: string; at?: string } = {};
    try {
      denial = JSON.parse(line) as typeof denial;
    } catch {
      continue;
    }
    const key = `${denial.capability}:${denial.api}`;
    if (seen.has(key) || !denial.capability || !denial.api) continue;
    seen.add(key);
    const at = denial.at ? ` at ${toWorkspacePath(unstage(denial.at), projectRoot)}` : '';
    findings.push({
      message: `tests: the sandbox denied ${denial.api}${at} (capability '${denial.capability}'): ${capabilityAdvice(denial.capability)}`,
    });
  }
  if (run.timedOut) {
    findings.push({ message: `tests: vitest did not finish within ${timeoutMs} ms and was killed (an infinite loop in the candidate or a hanging test?)` });
  }
  const report = run.report;
  if (!report) {
    if (!run.timedOut) {
      const tail = unstage(run.output).trim().split('\n').slice(-8).join(' | ');
      findings.push({ message: `tests: vitest exited with code ${run.exitCode} without a report: ${oneLine(tail, 600)}` });
    }
    return findings;
  }
  for (const file of report.testResults ?? []) {
    const relFile = toWorkspacePath(unstage(file.name), projectRoot);
    const failed = (file.assertionResults ?? []).filter((a) => a.status === 'failed');
    for (const assertion of failed) {
      const failures = assertion.failureMessages?.length ? assertion.failureMessages : [''];
      for (const failure of failures.slice(0, MAX_FAILURES_PER_TEST)) {
        const summary = summarizeFailure(unstage(failure), projectRoot);
        const message = summary.message;
        const at = summary.at === undefined ? undefined : originalPosition(summary.at, softened);
        const line = sourceLine(at);
        findings.push({
          file: relFile,
          message: `test failed: ${relFile} › ${assertion.fullName}: ${message}${at ? ` (at ${at}${line ? `: ${line}` : ''})` : ''}`,
        });
      }
      if (failures.length > MAX_FAILURES_PER_TEST) {
        findings.push({ file: relFile, message: `test failed: ${relFile} › ${assertion.fullName}: … and ${failures.length - MAX_FAILURES_PER_TEST} more failing assertions` });
      }
    }
    if (file.status === 'failed' && failed.length === 0) {
      findings.push({ file: relFile, message: `test file failed: ${relFile}: ${oneLine(unstage(file.message || 'failed to run'), 600)}` });
    }
  }
  if ((report.numTotalTests ?? 0) === 0 && findings.length === 0) {
    findings.push({ message: 'tests: vitest found no tests to run for this spec (check the spec\'s `tests` and the project\'s vitest include patterns)' });
  }
  return findings;
}

function toWorkspacePath(file: string, projectRoot: string): string {
  if (path.isAbsolute(file)) return file;
  return file.split(path.sep).join('/').startsWith(projectRoot) ? file : posix.join(projectRoot, file);
}

/** Node's permission model says only this; in a test worker, where child processes are stubbed, it means the file system. */
const PERMISSION_DENIED = /\b(?:Error: )?Access to this API has been restricted\b/g;

function summarizeFailure(text: string, projectRoot: string): { message: string; at?: string } {
  const lines = text.split('\n');
  const messageLines: string[] = [];
  let at: string | undefined;
  for (const line of lines) {
    const frame = /^\s+at\s.*?\(?([^\s()]+\.(?:ts|tsx|mts|cts|js|mjs)):(\d+):(\d+)\)?$/.exec(line);
    if (frame) {
      if (!at && !frame[1]!.includes('node_modules') && !frame[1]!.startsWith('node:')) at = `${toWorkspacePath(frame[1]!, projectRoot)}:${frame[2]}:${frame[3]}`;
      continue;
    }
    if (/^\s+at\s/.test(line)) continue;
    if (!at) messageLines.push(line);
  }
  const message = messageLines
    .join(' ')
    .replace(PERMISSION_DENIED, `the sandbox denied it: Node's permission model refused a file-system access outside the test's copy (capability 'fs'): ${capabilityAdvice('fs')}`);
  return { message: oneLine(message, 700), ...(at ? { at } : {}) };
}

/** A spec of a batch: the spec and the files its tests should see in place of its outputs. */
export type TestsBatchMember = BatchMember;

/** What one batched vitest run gave: findings per spec id, or nothing when a spec must run on its own. */
type BatchOutcome = Map<string, Finding[]>;

/**
 * One vitest run for every spec of a project instead of one per spec, for verify-spec: the committed outputs of all
 * specs of a project already sit side by side in the workspace, so a single staged copy of the project (exactly
 * what a plain `vitest run` in it would see) serves them all. The run keeps every isolation layer of a run of its
 * own (namespaces, permission model, lockdown, each test file in a fresh fork), and its report is split back by
 * test file: each spec gets the findings of its own test files, a denial goes to the spec whose output or test file
 * made the denied call. Specs with different capabilities run in separate batches (the workers' permission flags
 * are the spec's grants). When the batch cannot say whose a result is — vitest timed out or crashed without a
 * report, or a denial comes from elsewhere — each spec of that batch falls back to a run of its own, so a failing
 * or hanging spec never decides another spec's verdict.
 *
 * Generation never batches: every candidate is staged and run alone.
 */
export class TestsBatch implements SharedTestsRun {
  private readonly groups: BatchGroups<TestsBatchMember>;
  private readonly runs = new Map<string, Promise<BatchOutcome | undefined>>();

  /** How many vitest runs the batch started (one per project and capability set). */
  get runsStarted(): number {
    return this.runs.size;
  }

  constructor(members: Iterable<TestsBatchMember>) {
    // the test workers' permission flags are the spec's grants: one set of capabilities per run
    this.groups = new BatchGroups(members, (member) => [...new Set(member.spec.spec.constraints?.capabilities ?? [])].sort().join(','));
  }

  /** The findings of `input`'s spec from its batch's run (started by the first spec that asks), or undefined: run alone. */
  async findingsFor(input: GateInput, context: GateContext): Promise<Finding[] | undefined> {
    const group = this.groups.groupFor(input);
    if (!group) return undefined;
    let outcome = this.runs.get(group.key);
    if (!outcome) {
      outcome = runBatch(input.workspaceRoot, group.members, context, input.signal).catch(() => undefined);
      this.runs.set(group.key, outcome);
    }
    return (await outcome)?.get(input.spec.spec.id);
  }
}

/** The spec's test files that exist (declared ones may be missing: each spec reports those itself). */
function presentTestFiles(workspaceRoot: string, member: TestsBatchMember): string[] {
  return findTestFiles({ workspaceRoot, spec: member.spec, files: member.files }).filter((file) => member.files.has(file) || fileExistsOnDisk(workspaceRoot, file));
}

async function runBatch(workspaceRoot: string, members: readonly TestsBatchMember[], context: GateContext, signal?: AbortSignal): Promise<BatchOutcome | undefined> {
  const projectRoot = members[0]!.spec.projectRoot;
  const testsOf = new Map(members.map((member) => [member.spec.spec.id, presentTestFiles(workspaceRoot, member)]));
  const allTests = [...new Set([...testsOf.values()].flat())].sort();
  const files = new Map<string, string>();
  for (const member of members) for (const [file, content] of member.files) files.set(file, content);
  const outcome: BatchOutcome = new Map();
  if (allTests.length === 0) return undefined;
  const staged = await stageProject(workspaceRoot, projectRoot, files, context.vitest.stagingRoot());
  try {
    const softened = await softenStagedTests(staged, allTests);
    const run = await runVitest({
      workspaceRoot,
      staged,
      testFiles: allTests.map((file) => posix.relative(projectRoot, file)),
      timeoutMs: context.options.testsTimeoutMs,
      ...(signal ? { signal } : {}),
      isolation: { capabilities: members[0]!.spec.spec.constraints?.capabilities ?? [], maxOldSpaceMb: Math.max(context.options.maxOldSpaceMb, 512) },
      candidateFiles: [...files.keys()],
      hosts: context.vitest,
    });
    if (run.timedOut || !run.report || (run.denials?.length ?? 0) >= MAX_DENIAL_LINES) return undefined;
    const fileOf = (name: string): string => toWorkspacePath(name.split(staged.dir + path.sep).join(''), projectRoot);
    // every denial must belong to a spec of the batch, by the output or test file that made the call
    const denialsOf = new Map<string, string[]>();
    for (const line of run.denials ?? []) {
      let at: string | undefined;
      try {
        at = (JSON.parse(line) as { at?: string }).at;
      } catch {
        return undefined;
      }
      const file = at === undefined ? undefined : /^(.*?):\d+:\d+$/.exec(fileOf(at))?.[1];
      const owners = file === undefined ? [] : members.filter((member) => member.files.has(file) || testsOf.get(member.spec.spec.id)!.includes(file));
      if (owners.length === 0) return undefined;
      for (const owner of owners) denialsOf.set(owner.spec.spec.id, [...(denialsOf.get(owner.spec.spec.id) ?? []), line]);
    }
    for (const member of members) {
      const own = new Set(testsOf.get(member.spec.spec.id));
      const results = (run.report.testResults ?? []).filter((result) => own.has(fileOf(result.name)));
      const report: VitestJsonReport = { ...run.report, testResults: results, numTotalTests: results.reduce((sum, result) => sum + (result.assertionResults?.length ?? 0), 0) };
      const findings = reportFindings({ ...run, report, denials: denialsOf.get(member.spec.spec.id) ?? [] }, staged, projectRoot, context.options.testsTimeoutMs, workspaceRoot, softened);
      outcome.set(member.spec.spec.id, findings);
    }
    return outcome;
  } finally {
    await staged.dispose();
  }
}

export function createTestsGate(context: GateContext): Gate {
  return {
    name: 'tests',
    blocking: false,
    async check(input: GateInput): Promise<GateVerdict> {
      const testFiles = findTestFiles(input);
      if (testFiles.length === 0) return { gate: 'tests', ok: true, findings: [] };
      if (input.spec.projectRoot === '' || input.spec.projectRoot === '.') {
        return { gate: 'tests', ok: false, findings: [{ message: 'tests: specs of the workspace root project are not supported by the tests gate (the project would be the whole workspace); move the spec into a project' }] };
      }
      const hung = context.sandbox.hungOn(input);
      if (hung) {
        // vitest cannot interrupt a synchronous infinite loop: it would only burn the whole tests budget.
        return {
          gate: 'tests',
          ok: false,
          skipped: true,
          findings: [{ message: `skipped: the candidate did not terminate in the sandbox on ${hung}; fix that first` }],
        };
      }
      const findings: Finding[] = [];
      const present = testFiles.filter((file) => input.files.has(file) || fileExistsOnDisk(input.workspaceRoot, file));
      for (const missing of testFiles.filter((file) => !present.includes(file))) {
        findings.push({ file: missing, message: `test file ${missing} declared by the spec does not exist` });
      }
      const batched = present.length > 0 ? await input.testsBatch?.findingsFor(input, context) : undefined;
      if (batched) {
        findings.push(...batched);
      } else if (present.length > 0) {
        const staged = await stageProject(input.workspaceRoot, input.spec.projectRoot, input.files, context.vitest.stagingRoot());
        try {
          const softened = await softenStagedTests(staged, present);
          const run = await runVitest({
            workspaceRoot: input.workspaceRoot,
            staged,
            testFiles: present.map((file) => posix.relative(input.spec.projectRoot, file)),
            timeoutMs: context.options.testsTimeoutMs,
            ...(input.signal ? { signal: input.signal } : {}),
            isolation: { capabilities: input.spec.spec.constraints?.capabilities ?? [], maxOldSpaceMb: Math.max(context.options.maxOldSpaceMb, 512) },
            candidateFiles: [...input.files.keys()],
            hosts: context.vitest,
          });
          findings.push(...reportFindings(run, staged, input.spec.projectRoot, context.options.testsTimeoutMs, input.workspaceRoot, softened));
        } finally {
          await staged.dispose();
        }
      }
      return { gate: 'tests', ok: findings.length === 0, findings };
    },
  };
}
