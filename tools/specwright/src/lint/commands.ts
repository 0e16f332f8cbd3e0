import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Command, CommandRegistry } from '../commands';
import { specProjects, workspaceOptions } from '../entry';
import type { SpecFailure } from '../load';
import type { ResolvedSpec } from '../types';
import type { SpecLint } from './lint';

export const LINT_USAGE = `Usage: specwright lint [spec files, spec ids or project names…] [--json] [--min-score <0-100>]
      Precision findings per spec, with file:line:col and the fix: unbounded numbers, strings and arrays in contracts,
      exports with no example, declared throws with no throwing example, schema bounds no example reaches, prose rules
      nothing checks, outputs no test imports, dependsOn edges whose contracts do not line up. Ends with a score per
      spec (checks passed / checks made). Exit 1 on any error-level finding or a score below --min-score.
      Also: specwright check --lint (the staleness check, then the lint).`;

export interface LintRun {
  results: SpecLint[];
  failures: SpecFailure[];
}

/** Loads every spec (dependencies need their neighbours), then lints the selected ones. */
export async function lintWorkspace(workspaceRoot: string, selectors: readonly string[], cwd = workspaceRoot): Promise<LintRun> {
  const { loadSpecs } = await import('../load');
  const { lintSpec } = await import('./lint');
  const { findTestFiles } = await import('../gates/tests');
  const loaded = loadSpecs(workspaceRoot, specProjects(workspaceRoot), workspaceOptions(workspaceRoot));
  const specsById = new Map<string, ResolvedSpec>(loaded.specs.map((spec) => [spec.spec.id, spec]));
  const wanted = selectors.map((selector) => {
    const asPath = relative(workspaceRoot, resolve(cwd, selector)).split('\\').join('/');
    return { selector, asPath };
  });
  const matches = (spec: ResolvedSpec, selector: { selector: string; asPath: string }) =>
    spec.spec.id === selector.selector || spec.project === selector.selector || spec.file === selector.asPath || spec.file.startsWith(`${selector.asPath}/`) || selector.asPath === '';
  const unknown = wanted.filter((selector) => !loaded.specs.some((spec) => matches(spec, selector)) && !loaded.failures.some((failure) => failure.file === selector.asPath));
  if (unknown.length > 0) {
    const { SpecwrightError } = await import('../errors');
    throw new SpecwrightError(`no spec matches ${unknown.map((selector) => selector.selector).join(', ')}`, {
      expected: `a spec file, a spec id or a project name (specs: ${loaded.specs.map((spec) => spec.spec.id).join(', ')})`,
      fix: 'check the name, or run `npx specwright lint` for every spec',
      code: 'UNKNOWN_SPEC',
    });
  }
  const selected = wanted.length === 0 ? loaded.specs : loaded.specs.filter((spec) => wanted.some((selector) => matches(spec, selector)));
  const failures = wanted.length === 0 ? loaded.failures : loaded.failures.filter((failure) => wanted.some((selector) => failure.file === selector.asPath || failure.file.startsWith(`${selector.asPath}/`)));
  const readFile = (file: string): string | undefined => {
    try {
      return readFileSync(join(workspaceRoot, file), 'utf8');
    } catch {
      return undefined;
    }
  };
  const results = selected.map((spec) =>
    lintSpec(spec, { specsById, readFile, projectTests: (target) => findTestFiles({ workspaceRoot, spec: target, files: new Map() }) }),
  );
  return { results, failures };
}

/** Exit status of a lint: 1 on a spec that cannot be loaded, an error-level finding, or a score below the minimum. */
export function lintFailed(run: LintRun, minScore = 0): boolean {
  return run.failures.length > 0 || run.results.some((result) => result.score < minScore || result.findings.some((finding) => finding.severity === 'error'));
}

const lintCommand: Command = async (args, workspaceRoot) => {
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: 'boolean' }, 'min-score': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(LINT_USAGE);
    return 0;
  }
  const minScore = values['min-score'] === undefined ? 0 : Number(values['min-score']);
  if (!Number.isFinite(minScore) || minScore < 0 || minScore > 100) {
    console.error(`--min-score ${values['min-score']}: expected a number from 0 to 100`);
    return 2;
  }
  const run = await lintWorkspace(workspaceRoot, positionals, process.cwd());
  if (values.json) {
    console.log(JSON.stringify({ specs: run.results, failures: run.failures.map((failure) => ({ file: failure.file, error: failure.error.format() })) }, null, 2));
  } else {
    const { formatLintReport } = await import('./lint');
    for (const failure of run.failures) console.log(failure.error.format());
    console.log(formatLintReport(run.results));
  }
  return lintFailed(run, minScore) ? 1 : 0;
};

/**
 * `lint`, and `--lint` on `check`: the check command is wrapped rather than edited, so the staleness check keeps
 * one implementation. Must be called after cli.ts registered `check`.
 */
export function registerLintCommands(commands: CommandRegistry): void {
  commands.set('lint', { summary: 'precision findings and a score per spec', run: lintCommand });
  const check = commands.get('check');
  if (!check) return;
  commands.set('check', {
    ...check,
    summary: `${check.summary} (--lint: and lint the specs)`,
    run: async (args, workspaceRoot) => {
      if (!args.includes('--lint')) return check.run(args, workspaceRoot);
      const status = await check.run(
        args.filter((arg) => arg !== '--lint'),
        workspaceRoot,
      );
      const projects = args.flatMap((arg, index) => (arg === '--project' ? [args[index + 1] as string] : arg.startsWith('--project=') ? [arg.slice('--project='.length)] : []));
      const lintStatus = await lintCommand(projects, workspaceRoot);
      return Math.max(status, lintStatus);
    },
  });
}
