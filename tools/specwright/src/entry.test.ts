import type { ExecutorContext, ProjectConfiguration } from '@nx/devkit';
import { afterEach, describe, expect, it } from 'vitest';
import { PACKAGE_JSON, tempWorkspace, type TempWorkspace } from '../test/fixtures';
import { projectsOf, resolveExecutorInvocation, selectProjects, specIds, workspaceOptions } from './entry';
import { problemsOf, SpecwrightError } from './errors';
import { generateFix } from './fix-commands';
import { DEFAULT_OPTIONS } from './options';

const nxJson = (options: Record<string, unknown>) => `{
  "plugins": [
    { "plugin": "@nx/vitest", "options": { "testTargetName": "test" } },
    {
      "plugin": "@specwright/nx",
      "options": ${JSON.stringify(options, null, 2).replace(/\n/g, '\n      ')}
    }
  ]
}
`;

function thrown(run: () => unknown): SpecwrightError {
  try {
    run();
  } catch (error) {
    if (error instanceof SpecwrightError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

/** An executor context as Nx builds it for `project:target`, with a Specwright target on every named project. */
function executorContext(ws: TempWorkspace, projectName: string, roots: Record<string, string>): ExecutorContext {
  const projects = Object.fromEntries(
    Object.entries(roots).map(([name, root]): [string, ProjectConfiguration] => [name, { root, targets: name === 'plain' ? {} : { 'generate-from-spec': { executor: '@specwright/nx:generate-from-spec' } } }]),
  );
  return { root: ws.root, cwd: ws.root, isVerbose: false, projectName, targetName: 'generate-from-spec', projectsConfigurations: { version: 2, projects }, nxJsonConfiguration: {}, projectGraph: { nodes: {}, dependencies: {} } };
}

describe('the entry layer', () => {
  let ws: TempWorkspace | undefined;
  afterEach(() => ws?.cleanup());

  it('reads nx.json\'s plugin options through one function, and every bad value is an error naming where it is and the fix', () => {
    ws = tempWorkspace();
    ws.write('nx.json', nxJson({ model: 'm', generateTargetName: 'regen' }));
    expect(workspaceOptions(ws.root)).toEqual({ ...DEFAULT_OPTIONS, model: 'm', generateTargetName: 'regen' });

    ws.write('nx.json', nxJson({ maxAttempts: -1, concurrency: 'abc', provider: 'gemini', maxAttempt: 3, temperature: 0 }));
    const error = thrown(() => workspaceOptions(ws?.root as string));
    const problems = problemsOf(error);
    expect(problems.map((problem) => problem.message)).toEqual([
      'nx.json (plugins → @specwright/nx → options): option "maxAttempts" is -1',
      'nx.json (plugins → @specwright/nx → options): option "concurrency" is "abc"',
      'nx.json (plugins → @specwright/nx → options): option "provider" is "gemini"',
      'nx.json (plugins → @specwright/nx → options): unknown option "maxAttempt"',
    ]);
    expect(problems[0]).toMatchObject({ file: 'nx.json', line: 7, code: 'OPTIONS_INVALID', expected: 'an integer of at least 1' });
    expect(problems[0]?.fix).toBe('set "maxAttempts": 3 in nx.json (plugins → @specwright/nx → options), or remove it for the default (3)');
    expect(problems[2]?.expected).toBe('one of "auto", "openai", "replay", "record"');
    expect(problems[3]?.fix).toMatch(/did you mean "maxAttempts"/);
    expect(error.format()).toMatch(/^nx\.json:7:\d+: [^]*\nnx\.json:8:\d+: /);

    ws.write('nx.json', '{ "plugins": [ ');
    expect(thrown(() => workspaceOptions(ws?.root as string))).toMatchObject({ file: 'nx.json', code: 'NX_JSON_INVALID' });
  });

  it('gives an executor nx.json\'s options under the target\'s, the run flags apart, so fixes name the configured targets', () => {
    ws = tempWorkspace({ 'libs/a/package.json': PACKAGE_JSON('a'), 'libs/a/src/x.spec.yaml': 'id: a/x\noutputs: [x.ts]\n' });
    ws.write('nx.json', nxJson({ generateTargetName: 'regen', verifyTargetName: 'gates', model: 'from-nx-json', maxAttempts: 5 }));
    const invocation = resolveExecutorInvocation<{ check: boolean; spec: string }>({ model: 'from-target', check: true, spec: 'a/x' }, executorContext(ws, 'a', { a: 'libs/a' }));
    expect(invocation.options).toMatchObject({ model: 'from-target', maxAttempts: 5, generateTargetName: 'regen', verifyTargetName: 'gates' });
    expect(invocation.flags).toEqual({ check: true, spec: 'a/x' });
    expect(invocation.project).toEqual({ name: 'a', root: 'libs/a' });
    expect(generateFix(invocation.options, { project: 'a', spec: 'a/x' })).toBe('nx regen a --spec a/x');

    const bad = thrown(() => resolveExecutorInvocation({ maxAttempts: 0, somethingElse: 1 }, executorContext(ws as TempWorkspace, 'a', { a: 'libs/a' })));
    expect(bad.message).toBe('the options of a:generate-from-spec: option "maxAttempts" is 0');
    expect(bad.fix).toMatch(/^pass --maxAttempts=3/);
  });

  it('an executor loads the projects its specs depend on, across the workspace, whatever the Nx graph says', () => {
    ws = tempWorkspace({
      'apps/cli/package.json': PACKAGE_JSON('cli'),
      'apps/cli/src/main.spec.yaml': 'id: cli/main\noutputs: [main.ts]\ndependsOn: [text/slug]\n',
      'libs/text/package.json': PACKAGE_JSON('text'),
      'libs/text/src/slug.spec.yaml': 'id: text/slug\noutputs: [slug.ts]\n',
      'libs/unrelated/package.json': PACKAGE_JSON('unrelated'),
      'libs/unrelated/src/u.spec.yaml': 'id: unrelated/u\noutputs: [u.ts]\n',
    });
    const context = executorContext(ws, 'cli', { cli: 'apps/cli', text: 'libs/text', unrelated: 'libs/unrelated', plain: 'libs/plain' });
    expect(projectsOf(context)).toEqual({ project: { name: 'cli', root: 'apps/cli' }, dependencies: [{ name: 'text', root: 'libs/text' }] });
    expect(projectsOf({ ...context, projectName: 'text' }).dependencies).toEqual([]);
  });

  it('selects projects in one way for every command: an unknown name is a usage error listing the known ones', async () => {
    ws = tempWorkspace({ 'libs/a/package.json': PACKAGE_JSON('a'), 'libs/a/src/x.spec.yaml': 'id: a/x\n', 'libs/b/package.json': PACKAGE_JSON('b'), 'libs/b/src/y.spec.yaml': 'id: b/y\n' });
    const selection = await selectProjects(ws.root, 'check', ['b']);
    expect(selection.projects.map((project) => project.name)).toEqual(['b']);
    expect(selection.others.map((project) => project.name)).toEqual(['a']);
    expect((await selectProjects(ws.root, 'check', [])).projects).toHaveLength(2);
    await expect(selectProjects(ws.root, 'check', ['c', 'b'])).rejects.toMatchObject({ message: 'unknown project(s) c; projects with specs: a, b', fix: 'see `specwright check --help`', code: 'USAGE' });
    expect(specIds(['a/x, b/y', 'c/z'])).toEqual(['a/x', 'b/y', 'c/z']);
  });
});

describe('run flags', () => {
  it('are the same whether they come from the CLI or from executor options', async () => {
    const { cliPipelineFlags, executorPipelineFlags } = await import('./entry');
    const fromCli = cliPipelineFlags('generate', 'write', { force: true, spec: ['a/x,b/y'], 'no-gates': true, 'accept-behaviour-change': ['a/x'] });
    expect(fromCli).toEqual(executorPipelineFlags({ force: true, spec: 'a/x, b/y', noGates: true, acceptBehaviourChange: ['a/x'] }));
    expect(executorPipelineFlags({ check: true, dryRun: true }).mode).toBe('check');
    expect(cliPipelineFlags('check', 'check', { concurrency: '3' })).toMatchObject({ mode: 'check', concurrency: 3, gates: true, only: [] });
    expect(() => cliPipelineFlags('check', 'check', { concurrency: 'abc' })).toThrow(/--concurrency must be a positive integer, got "abc"/);
  });
});
