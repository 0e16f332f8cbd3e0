/**
 * node -r @swc-node/register tools/bench/src/main.ts [--size quick|default] [--json out.json] [options]
 *
 * Builds a synthetic workspace, measures, prints a table and (with --json) writes the raw numbers. Exit code 0
 * when the harness ran (targets missed included: benchmarks are measurements, not tests); 1 with --strict when a
 * target was missed or a run misbehaved; 2 on a harness error. See tools/bench/README.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ALL_MEASUREMENTS, DEFAULT_LATENCIES_MS, runBench, SIZES, type BenchOptions, type Measurement } from './bench';
import { formatSummary } from './profile';
import { formatTable } from './report';

const USAGE = `Usage: node -r @swc-node/register tools/bench/src/main.ts [options]

  --size quick|default   quick: 40 specs / 4 projects / 8 stale; default: 1000 / 50 / 200
  --specs <n>            specs in the synthetic workspace
  --projects <n>         projects they are spread over
  --stale <n>            specs made stale for the generation measurement
  --latency <ms,...>     latency of every model answer; one generation run per value, the first is the
                         target scenario (default 5000,300: the 5 s target and the 300 ms figure)
  --concurrency <n>      specwright generate --concurrency (default 8)
  --fault-rate <0..1>    share of model requests answered with a fault instead (default 0)
  --fault <kind>         status-500 | status-429 | reset (default status-500)
  --repeat <n>           timed repetitions of each nx measurement (median reported)
  --only <list>          comma-separated subset of: ${ALL_MEASUREMENTS.join(', ')}
  --json <file>          write the raw results as JSON
  --keep                 keep the synthetic workspace (its path is printed)
  --profile <dir>        after the timed runs, profile one check and one generation (--cpu-prof) into <dir>
                         and print where the time went (tools/bench/src/profile.ts summarises any such folder)
  --no-inline-floor      skip the extra nx:noop floor run
  --node-options <flags> NODE_OPTIONS for every measured process (e.g. --max-old-space-size=256)
  --strict               exit 1 when a target is missed or a run misbehaved`;

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      size: { type: 'string' },
      specs: { type: 'string' },
      projects: { type: 'string' },
      stale: { type: 'string' },
      latency: { type: 'string' },
      concurrency: { type: 'string' },
      'fault-rate': { type: 'string' },
      fault: { type: 'string' },
      repeat: { type: 'string' },
      only: { type: 'string' },
      json: { type: 'string' },
      keep: { type: 'boolean' },
      profile: { type: 'string' },
      'no-inline-floor': { type: 'boolean' },
      'node-options': { type: 'string' },
      strict: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const size = values.size ?? 'default';
  if (size !== 'quick' && size !== 'default') {
    console.error(`--size must be quick or default\n\n${USAGE}`);
    return 2;
  }
  const number = (value: string | undefined, fallback: number) => (value === undefined ? fallback : Number(value));
  const base = SIZES[size];
  const only = (values.only?.split(',').map((item) => item.trim()) ?? ALL_MEASUREMENTS) as Measurement[];
  const unknown = only.filter((item) => !ALL_MEASUREMENTS.includes(item));
  if (values.latency !== undefined && values.latency.split(',').some((value) => !(Number(value.trim()) > 0))) {
    console.error(`--latency takes positive numbers of ms separated by commas, e.g. 5000,300 (got '${values.latency}')\n\n${USAGE}`);
    return 2;
  }
  if (unknown.length > 0) {
    console.error(`unknown measurement(s) ${unknown.join(', ')}\n\n${USAGE}`);
    return 2;
  }
  const options: BenchOptions = {
    size: values.specs || values.projects ? 'custom' : size,
    specs: number(values.specs, base.specs),
    projects: number(values.projects, base.projects),
    stale: number(values.stale, base.stale),
    latenciesMs: values.latency === undefined ? DEFAULT_LATENCIES_MS : values.latency.split(',').map((value) => Number(value.trim())),
    concurrency: number(values.concurrency, 8),
    faultRate: number(values['fault-rate'], 0),
    fault: (values.fault ?? 'status-500') as BenchOptions['fault'],
    repeat: number(values.repeat, base.repeat),
    hookRuns: base.hookRuns,
    only,
    keep: !!values.keep,
    ...(values.profile ? { profileDir: resolve(values.profile) } : {}),
    inlineFloor: !values['no-inline-floor'],
    ...(values['node-options'] ? { nodeOptions: values['node-options'] } : {}),
    log: (line) => console.error(line),
  };
  const result = await runBench(options);
  console.log(`\n${formatTable(result)}\n`);
  for (const profile of result.profiles ?? []) {
    console.log(`profile of ${profile.run} — ${profile.dir}`);
    for (const summary of profile.summaries.slice(0, 3)) console.log(`${formatSummary(summary)}\n`);
  }
  if (values.json) {
    const path = resolve(values.json);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
    console.error(`results written to ${path}`);
  }
  const missed = result.targets.some((target) => target.ok === false) || result.problems.length > 0;
  return values.strict && missed ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exitCode = 2;
    },
  );
}
