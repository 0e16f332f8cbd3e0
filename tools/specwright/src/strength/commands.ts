import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Command, CommandRegistry } from '../commands';
import { specProjects, workspaceOptions } from '../entry';
import { SpecwrightError } from '../errors';
import type { NormalizedOptions } from '../options';

export const STRENGTH_USAGE = `Usage: specwright strength [spec ids, spec files or project names…] [--json] [--concurrency <n>] [--max-mutants <n>] [--threshold <0-100>] [--no-cache]
      Mutates each spec's accepted implementation with Stryker's mutators and runs the spec's own gates (types,
      safety, examples, properties, tests; in the sandbox) on every mutant, in parallel. Reports the mutation score
      per spec and each surviving mutant as a behaviour the spec does not pin, with the example that would pin it.
      Results are cached by fingerprint (spec, outputs, tests, engine) under node_modules/.cache/specwright/strength.
      Exit 1 when a spec scores below its threshold: --threshold, else the plugin options strengthThresholds[project]
      or strengthThreshold in nx.json (0 = report only).`;

export function thresholdFor(options: NormalizedOptions, project: string, override?: number): number {
  if (override !== undefined) return override;
  return options.strengthThresholds[project] ?? options.strengthThreshold;
}

const strengthCommand: Command = async (args, workspaceRoot) => {
  const { values, positionals } = parseArgs({
    args,
    options: {
      json: { type: 'boolean' },
      concurrency: { type: 'string' },
      'max-mutants': { type: 'string' },
      threshold: { type: 'string' },
      'no-cache': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(STRENGTH_USAGE);
    return 0;
  }
  const number = (name: string, value: string | undefined, min: number, max: number): number | undefined => {
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < min || parsed > max) throw new SpecwrightError(`--${name} ${value}: expected a number from ${min} to ${max}`, { fix: STRENGTH_USAGE.split('\n')[0], code: 'USAGE' });
    return parsed;
  };
  const concurrency = number('concurrency', values.concurrency, 1, 64);
  const maxMutants = number('max-mutants', values['max-mutants'], 1, 100000);
  const threshold = number('threshold', values.threshold, 0, 100);
  const options = workspaceOptions(workspaceRoot);
  const { loadSpecs } = await import('../load');
  const loaded = loadSpecs(workspaceRoot, specProjects(workspaceRoot), options);
  const cwd = process.cwd();
  const wanted = positionals.map((selector) => ({ selector, asPath: relative(workspaceRoot, resolve(cwd, selector)).split('\\').join('/') }));
  const selected = loaded.specs.filter(
    (spec) => !spec.spec.draft && (wanted.length === 0 || wanted.some(({ selector, asPath }) => spec.spec.id === selector || spec.project === selector || spec.file === asPath)),
  );
  const unknown = wanted.filter(({ selector, asPath }) => !loaded.specs.some((spec) => spec.spec.id === selector || spec.project === selector || spec.file === asPath));
  if (unknown.length > 0) {
    throw new SpecwrightError(`no spec matches ${unknown.map((item) => item.selector).join(', ')}`, {
      expected: `a spec id, spec file or project name (specs: ${loaded.specs.map((spec) => spec.spec.id).join(', ')})`,
      fix: 'check the name, or run `npx specwright strength` for every spec',
      code: 'UNKNOWN_SPEC',
    });
  }
  for (const failure of loaded.failures) console.error(failure.error.format());
  const { createGateRunner } = await import('../gate-runner');
  const { findTestFiles } = await import('../gates/tests');
  const { formatStrengthReport, measureStrength } = await import('./strength');
  const fast = await createGateRunner(workspaceRoot, { gates: { tests: false } });
  const tests = await createGateRunner(workspaceRoot, { gates: { types: false, safety: false, examples: false, properties: false, tests: true } });
  try {
    const results = await measureStrength({
      workspaceRoot,
      specs: selected,
      specsById: new Map(loaded.specs.map((spec) => [spec.spec.id, spec])),
      fastGates: fast.run,
      testGates: tests.run,
      testFilesOf: (spec) => findTestFiles({ workspaceRoot, spec, files: new Map() }),
      ...(concurrency ? { concurrency } : {}),
      ...(maxMutants ? { maxMutants } : {}),
      cache: !values['no-cache'],
      targets: options,
      log: values.json ? undefined : (line) => console.error(line),
    });
    const below = results.filter((result) => result.score !== undefined && result.score < thresholdFor(options, result.project, threshold));
    if (values.json) console.log(JSON.stringify({ specs: results.map((result) => ({ ...result, threshold: thresholdFor(options, result.project, threshold) })) }, null, 2));
    else console.log(formatStrengthReport(results, (project) => thresholdFor(options, project, threshold)));
    return below.length > 0 || loaded.failures.length > 0 || results.some((result) => result.errors > 0) ? 1 : 0;
  } finally {
    await Promise.all([fast.dispose(), tests.dispose()]);
  }
};

export function registerStrengthCommands(commands: CommandRegistry): void {
  commands.set('strength', { summary: 'mutation score of each spec: what its gates let through', run: strengthCommand });
}
