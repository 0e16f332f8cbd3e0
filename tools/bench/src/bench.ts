/**
 * The measurements. Each one drives the real CLIs (nx with the daemon off, the specwright CLI, the pre-commit hook)
 * against the synthetic workspace, and the generation talks HTTP to the local fake OpenAI server.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { startFakeOpenAI, type Reply } from '../../specwright/test/fake-openai';
import { cleanEnv, median, nx, nxBin, run, setNodeOptions, type MemoryPeak, type RunOutcome } from './proc';
import { summarize, type ProfileSummary } from './profile';
import { listRuns, readRun, type AttemptLine } from '../../specwright/src/runs/log';
import { SPEC_YAML_CACHE_DIR } from '../../specwright/src/spec-yaml-cache';
import { createBenchWorkspace, gitCommitAll, knownAnswer, pluginOptions, REPO_ROOT, type BenchWorkspace } from './workspace';

export interface BenchOptions {
  size: 'quick' | 'default' | 'custom';
  specs: number;
  projects: number;
  /** Specs made stale for the generation measurement. */
  stale: number;
  /**
   * Latency of every model answer, ms: one generation run per value; the first is the target scenario (5 s), the
   * others are reported beside it (300 ms).
   */
  latenciesMs: number[];
  concurrency: number;
  /** Share of model requests answered with `fault` instead (the SDK retries them). */
  faultRate: number;
  fault: 'status-500' | 'status-429' | 'reset';
  /** Timed repetitions of each nx measurement (the median is reported). */
  repeat: number;
  /** Timed runs of the pre-commit hook. */
  hookRuns: number;
  /** Which measurements to run. */
  only: Measurement[];
  keep: boolean;
  /** When set: after the timed runs, one extra check and one extra generation run with --cpu-prof into this folder. */
  profileDir?: string;
  /** Also time the nx:noop floor (no process per task). */
  inlineFloor: boolean;
  /** NODE_OPTIONS for every measured process (experiments, e.g. --max-old-space-size=256). */
  nodeOptions?: string;
  log: (line: string) => void;
}

export type Measurement = 'graph' | 'check' | 'verify' | 'generate' | 'hook' | 'memory';
export const ALL_MEASUREMENTS: Measurement[] = ['graph', 'check', 'verify', 'generate', 'hook', 'memory'];

/** The generation target scenario's latency, and the figure reported beside it. */
export const DEFAULT_LATENCIES_MS = [5000, 300];

export const SIZES: Record<'quick' | 'default', Pick<BenchOptions, 'specs' | 'projects' | 'stale' | 'repeat' | 'hookRuns'>> = {
  quick: { specs: 40, projects: 4, stale: 8, repeat: 1, hookRuns: 3 },
  default: { specs: 1000, projects: 50, stale: 200, repeat: 3, hookRuns: 7 },
};

export const TARGETS = {
  checkRatio: 1.2,
  verifyRatio: 1.5,
  generationRatio: 1.15,
  hookMs: 300,
  rssMb: 400,
};

export interface Target {
  name: string;
  value: number | undefined;
  unit: string;
  limit: number;
  /** true: met; false: missed; undefined: not measured. */
  ok: boolean | undefined;
}

export interface BenchResult {
  meta: {
    date: string;
    node: string;
    nx: string;
    cpus: number;
    loadBefore: number[];
    loadAfter: number[];
    options: Omit<BenchOptions, 'log'>;
    workspace?: string;
    setupMs: number;
  };
  graph?: {
    /** `nx show projects` right after `nx reset` (cold: no Nx or plugin cache), ms per repetition. */
    coldWithPluginMs: number[];
    coldWithoutPluginMs: number[];
    /** With the plugin, but every spec hidden by .nxignore: the plugin's fixed cost. */
    coldPluginNoSpecsMs: number[];
    /** The same again, without reset (plugin cache warm), ms. */
    warmWithPluginMs: number[];
    warmPluginNoSpecsMs: number[];
    warmWithoutPluginMs: number[];
    /** (with plugin − without) / specs: the brief's definition, fixed cost included. */
    coldPerSpecMs: number;
    warmPerSpecMs: number;
    /** with plugin but no specs − without: loading the plugin. */
    coldFixedMs: number;
    /** (with plugin − with plugin but no specs) / specs: what each spec adds. */
    coldMarginalPerSpecMs: number;
    warmMarginalPerSpecMs: number;
    projectsWithTarget: number;
  };
  check?: {
    /** Fresh (Nx cache skipped), Specwright's spec YAML cache warm: the specs are unchanged since the last run. */
    freshMs: number[];
    /** The same with the spec YAML cache removed first: every spec's YAML parsed, as after editing every spec. */
    freshColdMs: number[];
    coldRatio: number;
    floorMs: number[];
    floorInlineMs: number[];
    ratio: number;
    cachedMs: number[];
    cachedFloorMs: number[];
    cachedRatio: number;
    cliCheckMs: number;
    status: number;
  };
  verify?: {
    /** `nx run-many -t verify-spec --skip-nx-cache`, ms. */
    verifyMs: number;
    status: number;
    /** The floor's two parts: one plain `vitest run` over the same test files, one `tsc --noEmit` over the same files. */
    vitestMs: number;
    vitestStatus: number;
    tscMs: number;
    tscStatus: number;
    floorMs: number;
    ratio: number;
    testFiles: number;
    specsVerified: number;
    /** Time per gate summed over every spec (the gates of several specs overlap, so the sum exceeds the wall). */
    gateMs: Record<string, number>;
  };
  generate?: GenerateOutcome;
  /** The same generation at the other latencies (the 300 ms figure). */
  generateAlso?: GenerateOutcome[];
  hook?: {
    available: boolean;
    command?: string;
    reason?: string;
    files: number;
    ms: number[];
    medianMs?: number;
    status?: number;
    output?: string;
  };
  memory?: {
    check?: MemoryPeak;
    checkCli?: MemoryPeak;
    verify?: MemoryPeak;
    generate?: MemoryPeak;
  };
  profiles?: { run: string; dir: string; summaries: ProfileSummary[] }[];
  targets: Target[];
  problems: string[];
}

export interface GenerateOutcome {
  stale: number;
  latencyMs: number;
  concurrency: number;
  idealMs: number;
  wallMs: number;
  ratio: number;
  requests: number;
  faultsInjected: number;
  status: number;
  secondRunMs: number;
  secondRequests: number;
  secondStatus: number;
  summary: string;
  /** From the run log of the timed run: model wait and each gate's time, summed over every attempt (overlapping). */
  modelMs: number;
  /** Time requests waited for a request slot (`--concurrency`). */
  queuedMs?: number;
  /** From each answer to its last verdict, waiting for a gate slot included. */
  gatesWallMs?: number;
  gateMs: Record<string, number>;
}

const CLI = 'tools/specwright/bin/specwright.js';
/** The tsconfig of the verify floor's `tsc --noEmit` (written into the synthetic workspace). */
const FLOOR_TSCONFIG = 'tsconfig.bench-floor.json';

function tail(output: string, lines = 25): string {
  return output.trim().split('\n').slice(-lines).join('\n');
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const { log } = options;
  const problems: string[] = [];
  setNodeOptions(options.nodeOptions);
  const loadBefore = loadavg();
  const setupStarted = performance.now();
  log(`building a synthetic workspace: ${options.specs} specs in ${options.projects} projects`);
  const ws = await createBenchWorkspace({ specs: options.specs, projects: options.projects, log });
  const setupMs = performance.now() - setupStarted;
  log(`  workspace: ${ws.root} (${(setupMs / 1000).toFixed(1)} s)`);
  const nxVersion = (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/nx/package.json'), 'utf8')) as { version: string }).version;
  const { log: _log, ...recordedOptions } = options;
  const result: BenchResult = {
    meta: { date: new Date().toISOString(), node: process.version, nx: nxVersion, cpus: cpus().length, loadBefore, loadAfter: [], options: recordedOptions, setupMs, ...(options.keep ? { workspace: ws.root } : {}) },
    targets: [],
    problems,
  };
  const wanted = new Set(options.only);
  try {
    if (wanted.has('graph')) result.graph = await measureGraph(ws, options, problems);
    if (wanted.has('check')) result.check = await measureCheck(ws, options, problems, result);
    // `memory` samples whatever runs; alone (without check or generate) it samples one check.
    else if (wanted.has('memory') && !wanted.has('generate')) await measureCheckMemory(ws, options, problems, result);
    if (wanted.has('verify')) result.verify = await measureVerify(ws, options, problems, result);
    if (wanted.has('generate')) {
      const [first, ...others] = options.latenciesMs.length > 0 ? options.latenciesMs : DEFAULT_LATENCIES_MS;
      result.generate = await measureGenerate(ws, options, problems, result, first!, 2);
      for (const [index, latencyMs] of others.entries()) {
        result.generateAlso ??= [];
        result.generateAlso.push(await measureGenerate(ws, options, problems, result, latencyMs, index + 3));
      }
    }
    if (wanted.has('hook')) result.hook = await measureHook(ws, options, problems);
  } finally {
    result.meta.loadAfter = loadavg();
    if (!options.keep) ws.cleanup();
  }
  result.targets = targetsOf(result);
  return result;
}

async function expectOk(outcome: RunOutcome, what: string, problems: string[]): Promise<RunOutcome> {
  if (outcome.status !== 0) problems.push(`${what} exited ${outcome.status}:\n${tail(outcome.output)}`);
  return outcome;
}

/**
 * (2) The plugin's createNodes cost: `nx show projects` right after `nx reset` (and once more, warm) in three
 * variants — without the plugin in nx.json; with it but every spec hidden by .nxignore (the plugin's fixed cost:
 * loading it in Nx's plugin worker); with it and every spec. Per spec = (with − without) / N, as asked, and the
 * split into the fixed part and the part that grows with the specs.
 */
async function measureGraph(ws: BenchWorkspace, options: BenchOptions, problems: string[]): Promise<NonNullable<BenchResult['graph']>> {
  options.log('project graph: `nx show projects` after `nx reset`: without the plugin / with it but no specs visible / with it');
  const variants = ['withoutPlugin', 'pluginNoSpecs', 'withPlugin'] as const;
  const cold: Record<(typeof variants)[number], number[]> = { withoutPlugin: [], pluginNoSpecs: [], withPlugin: [] };
  const warm: Record<(typeof variants)[number], number[]> = { withoutPlugin: [], pluginNoSpecs: [], withPlugin: [] };
  for (let repetition = 0; repetition < options.repeat; repetition++) {
    for (const variant of variants) {
      ws.write('nx.json', variant === 'withoutPlugin' ? ws.nxJson.withoutPlugin : ws.nxJson.withPlugin);
      ws.write('.nxignore', variant === 'pluginNoSpecs' ? '*.spec.yaml\n' : '');
      await nx(ws.root, ['reset'], { env: cleanEnv() });
      const first = await expectOk(await nx(ws.root, ['show', 'projects'], { env: cleanEnv() }), `nx show projects (${variant}, cold)`, problems);
      const second = await expectOk(await nx(ws.root, ['show', 'projects'], { env: cleanEnv() }), `nx show projects (${variant}, warm)`, problems);
      cold[variant].push(first.ms);
      warm[variant].push(second.ms);
      options.log(`  ${variant.padEnd(14)} cold ${first.ms.toFixed(0)} ms, warm ${second.ms.toFixed(0)} ms`);
    }
  }
  ws.write('nx.json', ws.nxJson.withPlugin);
  ws.write('.nxignore', '');
  await nx(ws.root, ['reset'], { env: cleanEnv() });
  const listed = await nx(ws.root, ['show', 'projects', '--with-target', 'generate-from-spec'], { env: cleanEnv() });
  const projectsWithTarget = listed.output.split('\n').filter((line) => /^p\d{3}$/.test(line.trim())).length;
  if (projectsWithTarget !== options.projects) problems.push(`expected ${options.projects} projects with generate-from-spec, nx lists ${projectsWithTarget}:\n${tail(listed.output)}`);
  const m = (values: number[]) => median(values);
  return {
    coldWithPluginMs: cold.withPlugin,
    coldPluginNoSpecsMs: cold.pluginNoSpecs,
    coldWithoutPluginMs: cold.withoutPlugin,
    warmWithPluginMs: warm.withPlugin,
    warmPluginNoSpecsMs: warm.pluginNoSpecs,
    warmWithoutPluginMs: warm.withoutPlugin,
    coldPerSpecMs: (m(cold.withPlugin) - m(cold.withoutPlugin)) / options.specs,
    warmPerSpecMs: (m(warm.withPlugin) - m(warm.withoutPlugin)) / options.specs,
    coldFixedMs: m(cold.pluginNoSpecs) - m(cold.withoutPlugin),
    coldMarginalPerSpecMs: (m(cold.withPlugin) - m(cold.pluginNoSpecs)) / options.specs,
    warmMarginalPerSpecMs: (m(warm.withPlugin) - m(warm.pluginNoSpecs)) / options.specs,
    projectsWithTarget,
  };
}

/** (1) Fresh check vs the floor, uncached and cached; (5) the check's peak RSS. */
async function measureCheck(ws: BenchWorkspace, options: BenchOptions, problems: string[], result: BenchResult): Promise<NonNullable<BenchResult['check']>> {
  options.log('fresh check vs the floor: `nx run-many -t generate-from-spec --check` vs `nx run-many -t noop` (nx:run-commands `true`)');
  const env = cleanEnv();
  const check = (extra: string[] = []) => nx(ws.root, ['run-many', '-t', 'generate-from-spec', '--check', ...extra], { env });
  const floor = (target: string, extra: string[] = []) => nx(ws.root, ['run-many', '-t', target, ...extra], { env });
  // Warm the OS file cache once; not timed.
  if (options.repeat > 1) await expectOk(await nx(ws.root, ['show', 'projects'], { env }), 'nx show projects', problems);
  const freshMs: number[] = [];
  const freshColdMs: number[] = [];
  const floorMs: number[] = [];
  const floorInlineMs: number[] = [];
  let status = 0;
  for (let repetition = 0; repetition < options.repeat; repetition++) {
    const f = await expectOk(await floor('noop', ['--skip-nx-cache']), 'floor (noop)', problems);
    // Cold: without Specwright's spec YAML cache (as after every spec changed); the run fills it again for the next.
    rmSync(join(ws.root, SPEC_YAML_CACHE_DIR), { recursive: true, force: true });
    const cold = await expectOk(await check(['--skip-nx-cache']), 'fresh check (cold spec YAML cache)', problems);
    const c = await expectOk(await check(['--skip-nx-cache']), 'fresh check', problems);
    const i = options.inlineFloor ? await expectOk(await floor('noop-inline', ['--skip-nx-cache']), 'floor (nx:noop)', problems) : undefined;
    status ||= c.status || cold.status;
    floorMs.push(f.ms);
    freshMs.push(c.ms);
    freshColdMs.push(cold.ms);
    if (i) floorInlineMs.push(i.ms);
    options.log(`  check ${c.ms.toFixed(0)} ms (cold spec YAML cache ${cold.ms.toFixed(0)} ms), floor ${f.ms.toFixed(0)} ms${i ? `, nx:noop ${i.ms.toFixed(0)} ms` : ''}`);
  }
  options.log('cached: the same without --skip-nx-cache, after one run that fills the cache');
  await expectOk(await check(), 'check (filling the cache)', problems);
  await expectOk(await floor('noop'), 'floor (filling the cache)', problems);
  const cachedMs: number[] = [];
  const cachedFloorMs: number[] = [];
  for (let repetition = 0; repetition < options.repeat; repetition++) {
    const f = await expectOk(await floor('noop'), 'cached floor', problems);
    const c = await expectOk(await check(), 'cached check', problems);
    if (!/cache/i.test(c.output)) problems.push(`the cached check did not report cache hits:\n${tail(c.output, 8)}`);
    cachedFloorMs.push(f.ms);
    cachedMs.push(c.ms);
    options.log(`  cached check ${c.ms.toFixed(0)} ms, cached floor ${f.ms.toFixed(0)} ms`);
  }

  const cliCheckMs = options.only.includes('memory') ? await measureCheckMemory(ws, options, problems, result) : 0;
  if (options.profileDir) {
    const dir = join(options.profileDir, 'check');
    options.log(`  profiling one check run into ${dir}`);
    await profiled(dir, result, 'nx run-many -t generate-from-spec --check --skip-nx-cache', () =>
      run(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, nxBin(ws.root), 'run-many', '-t', 'generate-from-spec', '--check', '--skip-nx-cache'], { cwd: ws.root, env }),
    );
  }
  return { freshMs, freshColdMs, coldRatio: median(freshColdMs) / median(floorMs), floorMs, floorInlineMs, ratio: median(freshMs) / median(floorMs), cachedMs, cachedFloorMs, cachedRatio: median(cachedMs) / median(cachedFloorMs), cliCheckMs, status };
}

/** (5) Peak RSS of the check: nx run-many (whole tree) and `specwright check` (one process). Returns the CLI's time. */
async function measureCheckMemory(ws: BenchWorkspace, options: BenchOptions, problems: string[], result: BenchResult): Promise<number> {
  options.log('peak RSS of the check: nx run-many (whole tree) and `specwright check` (one process)');
  const env = cleanEnv();
  result.memory ??= {};
  const sampled = await expectOk(await nx(ws.root, ['run-many', '-t', 'generate-from-spec', '--check', '--skip-nx-cache'], { env, memory: true }), 'check (memory)', problems);
  if (sampled.memory) result.memory.check = sampled.memory;
  const cli = await expectOk(await run(process.execPath, [CLI, 'check'], { cwd: ws.root, env, memory: true }), 'specwright check', problems);
  if (cli.memory) result.memory.checkCli = cli.memory;
  return cli.ms;
}

/**
 * verify-spec over every spec (`nx run-many -t verify-spec --skip-nx-cache`: every gate on the committed outputs)
 * against its floor, measured in the same run: one plain `vitest run` over the same test files plus one
 * `tsc --noEmit` over the same files (outputs and tests) — what CI would pay without Specwright.
 */
async function measureVerify(ws: BenchWorkspace, options: BenchOptions, problems: string[], result: BenchResult): Promise<NonNullable<BenchResult['verify']>> {
  const env = cleanEnv();
  const sources = ws.specs.flatMap((spec) => [`${spec.projectRoot}/src/${spec.output}`, spec.testFile]);
  ws.write(FLOOR_TSCONFIG, `${JSON.stringify({ extends: './tsconfig.base.json', compilerOptions: { noEmit: true }, files: sources }, null, 2)}\n`);
  const target = (pluginOptions(ws.nxJson.withPlugin)['verifyTargetName'] as string | undefined) ?? 'verify-spec';
  options.log(`verify-spec vs its floor: \`nx run-many -t ${target} --skip-nx-cache\` vs one \`vitest run\` over the same ${ws.specs.length} test files + one \`tsc --noEmit\` over the same ${sources.length} files`);
  const vitest = await expectOk(await run(process.execPath, [join(ws.root, 'node_modules/vitest/vitest.mjs'), 'run', '--root', ws.root, ...new Set(ws.projects.map((project) => `${project.root}/`))], { cwd: ws.root, env }), 'floor (vitest run)', problems);
  const tsc = await expectOk(await run(process.execPath, [join(ws.root, 'node_modules/typescript/bin/tsc'), '-p', FLOOR_TSCONFIG], { cwd: ws.root, env }), 'floor (tsc --noEmit)', problems);
  const verify = await expectOk(await nx(ws.root, ['run-many', '-t', target, '--skip-nx-cache', '--output-style=static'], { env, memory: options.only.includes('memory') }), `nx run-many -t ${target}`, problems);
  if (verify.memory) {
    result.memory ??= {};
    result.memory.verify = verify.memory;
  }
  const testFiles = Number(/Test Files\s+(\d+) passed/.exec(vitest.output)?.[1] ?? 0);
  if (testFiles !== ws.specs.length) problems.push(`the floor's vitest run passed ${testFiles} test files, not ${ws.specs.length}:\n${tail(vitest.output, 10)}`);
  // verify prints one line per spec with each gate's time: what the cost is made of
  const gateMs: Record<string, number> = {};
  let specsVerified = 0;
  for (const line of verify.output.split('\n')) {
    // (a task's lines may carry Nx's `project:target` prefix)
    if (!/^(?:\S+:\s+)?(?:ok|FAIL)\s+\S+\/\S+\s/.test(line)) continue;
    specsVerified++;
    for (const match of line.matchAll(/(\w+) (?:pass|FAIL|skip) \((\d+) ms\)/g)) gateMs[match[1]!] = (gateMs[match[1]!] ?? 0) + Number(match[2]);
  }
  if (specsVerified !== ws.specs.length) problems.push(`verify-spec reported ${specsVerified} specs, not ${ws.specs.length}:\n${tail(verify.output, 10)}`);
  const floorMs = vitest.ms + tsc.ms;
  const gates = Object.entries(gateMs).sort((a, b) => b[1] - a[1]).map(([gate, ms]) => `${gate} ${(ms / 1000).toFixed(1)} s`).join(', ');
  options.log(`  verify ${verify.ms.toFixed(0)} ms; floor ${floorMs.toFixed(0)} ms (vitest ${vitest.ms.toFixed(0)} ms + tsc ${tsc.ms.toFixed(0)} ms); gate time summed over specs: ${gates}`);
  return { verifyMs: verify.ms, status: verify.status, vitestMs: vitest.ms, vitestStatus: vitest.status, tscMs: tsc.ms, tscStatus: tsc.status, floorMs, ratio: verify.ms / floorMs, testFiles, specsVerified, gateMs };
}

/** (3) Generation of stale specs through the CLI, every gate on, against the fake server with latency. */
async function measureGenerate(ws: BenchWorkspace, options: BenchOptions, problems: string[], result: BenchResult, latencyMs: number, revision: number): Promise<GenerateOutcome> {
  // the first run is the target scenario: memory and the profile are taken there
  const first = result.generate === undefined;
  const stale = Math.min(options.stale, ws.specs.length);
  const step = ws.specs.length / stale;
  const staleSpecs = Array.from({ length: stale }, (_, index) => ws.specs[Math.floor(index * step)]!);
  for (const spec of staleSpecs) ws.write(spec.file, spec.yaml(revision));
  options.log(`generation: ${stale} stale specs, ${latencyMs} ms latency, concurrency ${options.concurrency}, every gate on (\`specwright generate --concurrency ${options.concurrency}\`)`);

  const server = await startFakeOpenAI();
  const answer = knownAnswer(ws.specs);
  let faultsInjected = 0;
  server.fallback = (request) => {
    if (options.faultRate > 0 && Math.random() < options.faultRate) {
      faultsInjected++;
      const fault: Reply = options.fault === 'reset' ? { kind: 'reset' } : { kind: 'status', status: options.fault === 'status-429' ? 429 : 500, headers: { 'retry-after': '0' } };
      return fault;
    }
    const id = /^id: (\S+)$/m.exec(request.body.messages[1]?.content ?? '')?.[1] ?? '';
    const files = answer(id);
    if (!files) return { kind: 'status', status: 400, body: { error: { message: `bench: unknown spec ${id}` } } };
    return { kind: 'answer', files, delayMs: latencyMs, usage: { prompt: 900, completion: 120, cached: 768 } };
  };
  try {
    const env = cleanEnv({ OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'bench-key' });
    const args = [CLI, 'generate', '--concurrency', String(options.concurrency)];
    const timed = await run(process.execPath, args, { cwd: ws.root, env, memory: first && options.only.includes('memory') });
    const requests = server.requests.length;
    const costs = attemptCosts(ws.root);
    if (timed.status !== 0) problems.push(`specwright generate (${latencyMs} ms latency) exited ${timed.status}:\n${tail(timed.output, 40)}`);
    if (timed.memory) {
      result.memory ??= {};
      result.memory.generate = timed.memory;
    }
    const second = await run(process.execPath, args, { cwd: ws.root, env });
    const secondRequests = server.requests.length - requests;
    if (second.status !== 0) problems.push(`second specwright generate exited ${second.status}:\n${tail(second.output, 20)}`);
    if (options.profileDir && first) {
      const dir = join(options.profileDir, 'generate');
      options.log(`  profiling one more generation of the same ${stale} specs into ${dir}`);
      for (const spec of staleSpecs) ws.write(spec.file, spec.yaml(revision + 100));
      await profiled(dir, result, `specwright generate --concurrency ${options.concurrency} (${stale} stale)`, () => run(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...args], { cwd: ws.root, env }));
    }
    const idealMs = Math.ceil(stale / options.concurrency) * latencyMs;
    const gates = Object.entries(costs.gateMs).sort((a, b) => b[1] - a[1]).map(([gate, ms]) => `${gate} ${(ms / 1000).toFixed(1)} s`).join(', ');
    options.log(`  wall ${timed.ms.toFixed(0)} ms (ideal ${idealMs} ms), ${requests} requests; second run ${second.ms.toFixed(0)} ms, ${secondRequests} requests`);
    options.log(`  summed over attempts: model ${(costs.modelMs / 1000).toFixed(1)} s (+${(costs.queuedMs / 1000).toFixed(1)} s waiting for a request slot); answer to verdict ${(costs.gatesWallMs / 1000).toFixed(1)} s (gate slot wait included); gates ${gates}`);
    return {
      stale,
      latencyMs,
      concurrency: options.concurrency,
      idealMs,
      wallMs: timed.ms,
      ratio: timed.ms / idealMs,
      requests,
      faultsInjected,
      status: timed.status,
      secondRunMs: second.ms,
      secondRequests,
      secondStatus: second.status,
      summary: tail(timed.output, 12),
      ...costs,
    };
  } finally {
    await server.close();
  }
}

/**
 * Where the newest run's time went, from its run log, summed over every attempt: the model's answer time, the wait
 * for a request slot, the time from answer to last verdict (waiting for a gate slot included) and each gate.
 */
function attemptCosts(root: string): { modelMs: number; queuedMs: number; gatesWallMs: number; gateMs: Record<string, number> } {
  const newest = listRuns(root)[0];
  const lines = newest ? (readRun(root, newest.runId) ?? []) : [];
  const gateMs: Record<string, number> = {};
  let modelMs = 0;
  let queuedMs = 0;
  let gatesWallMs = 0;
  for (const line of lines) {
    if (line.type !== 'attempt') continue;
    const attempt: AttemptLine = line;
    modelMs += attempt.modelMs;
    queuedMs += attempt.queuedMs ?? 0;
    gatesWallMs += attempt.gatesMs;
    for (const verdict of attempt.verdicts) gateMs[verdict.gate] = (gateMs[verdict.gate] ?? 0) + (verdict.ms ?? 0);
  }
  return { modelMs, queuedMs, gatesWallMs, gateMs };
}

/**
 * (4) The pre-commit hook on a 20-file commit (10 hand-written files, 10 specs with a comment added: they stay
 * fresh). The hook is whatever the workspace's .husky/pre-commit runs (copied from the repository); when there is
 * none yet, the slot reports that.
 */
async function measureHook(ws: BenchWorkspace, options: BenchOptions, problems: string[]): Promise<NonNullable<BenchResult['hook']>> {
  const FILES = 20;
  const hookFile = join(ws.root, '.husky/pre-commit');
  const command = existsSync(hookFile)
    ? readFileSync(hookFile, 'utf8')
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith('#'))
        .join('\n')
    : '';
  if (!command) {
    const reason = existsSync(hookFile) ? '.husky/pre-commit runs nothing' : 'the repository has no .husky/pre-commit yet';
    options.log(`pre-commit: not measured (${reason})`);
    return { available: false, reason, files: FILES, ms: [] };
  }
  options.log(`pre-commit: \`${command}\` on a ${FILES}-file commit`);
  const env = cleanEnv({ GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@example.com', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@example.com' });
  gitCommitAll(ws.root, 'synthetic workspace');
  // Approve every generated output when the CLI has a review command, so the hook sees a reviewed workspace.
  const review = await run(process.execPath, [CLI, 'review', '--approve', '--all'], { cwd: ws.root, env });
  if (review.status === 0) gitCommitAll(ws.root, 'reviewed');
  else options.log(`  (no review approval: \`specwright review --approve\` exited ${review.status})`);

  const projects = ws.projects;
  for (let index = 0; index < FILES / 2; index++) {
    const project = projects[index % projects.length]!;
    ws.write(`${project.root}/src/notes/note-${index}.ts`, `export const note${index} = ${index};\n`);
  }
  const touched = ws.specs.filter((_, index) => index % Math.max(1, Math.floor(ws.specs.length / (FILES / 2))) === 0).slice(0, FILES / 2);
  for (const spec of touched) ws.write(spec.file, `${ws.read(spec.file)}# touched by the benchmark commit\n`);
  await run('git', ['add', '-A'], { cwd: ws.root, env });
  const staged = (await run('git', ['diff', '--cached', '--name-only'], { cwd: ws.root, env })).output.trim().split('\n').filter(Boolean);
  if (staged.length !== FILES) problems.push(`the benchmark commit stages ${staged.length} files, not ${FILES}`);

  await run('sh', ['-c', command], { cwd: ws.root, env }); // warm the compile cache and the OS file cache
  const ms: number[] = [];
  let last: RunOutcome | undefined;
  for (let index = 0; index < options.hookRuns; index++) {
    last = await run('sh', ['-c', command], { cwd: ws.root, env });
    ms.push(last.ms);
  }
  if (last && last.status !== 0) problems.push(`the pre-commit hook exited ${last.status} on the benchmark commit:\n${tail(last.output, 15)}`);
  options.log(`  median ${median(ms).toFixed(0)} ms (exit ${last?.status})`);
  return { available: true, command, files: staged.length, ms, medianMs: median(ms), status: last?.status ?? -1, output: tail(last?.output ?? '', 10) };
}

/** Runs `command` (which writes .cpuprofile files into `dir`) and keeps the summaries of its profiles. */
async function profiled(dir: string, result: BenchResult, label: string, command: () => Promise<RunOutcome>): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const outcome = await command();
  const files = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'));
  const summaries = files.map((name) => summarize(join(dir, name), 10)).sort((a, b) => b.ms - a.ms);
  result.profiles ??= [];
  result.profiles.push({ run: `${label} (exit ${outcome.status}, ${outcome.ms.toFixed(0)} ms profiled)`, dir, summaries });
}

function targetsOf(result: BenchResult): Target[] {
  const target = (name: string, value: number | undefined, unit: string, limit: number): Target => ({ name, value, unit, limit, ok: value === undefined || Number.isNaN(value) ? undefined : value <= limit });
  const memory = [result.memory?.check?.largestProcessMb, result.memory?.checkCli?.largestProcessMb, result.memory?.verify?.largestProcessMb, result.memory?.generate?.largestProcessMb].filter((v): v is number => v !== undefined);
  return [
    target('fresh check / floor', result.check?.ratio, '×', TARGETS.checkRatio),
    target('fresh check, cold spec YAML cache / floor', result.check?.coldRatio, '×', TARGETS.checkRatio),
    target('cached check / cached floor', result.check?.cachedRatio, '×', TARGETS.checkRatio),
    target('verify-spec / floor (vitest run + tsc)', result.verify?.ratio, '×', TARGETS.verifyRatio),
    target('generation / ideal', result.generate?.ratio, '×', TARGETS.generationRatio),
    target('pre-commit (20 files)', result.hook?.medianMs, 'ms', TARGETS.hookMs),
    target('peak RSS (largest process)', memory.length ? Math.max(...memory) : undefined, 'MB', TARGETS.rssMb),
  ];
}
