import type { CreateDependenciesContext, FileData } from '@nx/devkit';
import { afterEach, describe, expect, it } from 'vitest';
import { tempWorkspace, type TempWorkspace } from '../test/fixtures';
import picomatch from 'picomatch';
import { createDependencies, createNodes } from './plugin';

/** A createDependencies context as Nx builds it: projects by name, each project's files with a hash. */
function contextOf(ws: TempWorkspace, projects: Record<string, { root: string; files: string[] }>, changed?: string[]): CreateDependenciesContext {
  const fileMap = (only?: string[]) => ({
    nonProjectFiles: [] as FileData[],
    projectFileMap: Object.fromEntries(
      Object.entries(projects).map(([name, project]) => [name, project.files.filter((file) => !only || only.includes(file)).map((file) => ({ file, hash: file }))]),
    ),
  });
  return {
    workspaceRoot: ws.root,
    projects: Object.fromEntries(Object.entries(projects).map(([name, project]) => [name, { root: project.root, name }])),
    externalNodes: {},
    nxJsonConfiguration: {},
    fileMap: fileMap(),
    filesToProcess: fileMap(changed),
  };
}

describe('the plugin\'s createDependencies', () => {
  let ws: TempWorkspace | undefined;
  afterEach(() => ws?.cleanup());

  it('makes each cross-project dependsOn a static project edge from the spec file; cycles and unknown ids make none', async () => {
    ws = tempWorkspace({
      'apps/cli/src/main.spec.yaml': 'id: cli/main\noutputs: [main.ts]\ndependsOn: [text/slug, cli/args, nowhere/x]\n',
      'apps/cli/src/args.spec.yaml': 'id: cli/args\noutputs: [args.ts]\n',
      'apps/cli/src/main.ts': '',
      'libs/text/src/slug.spec.yaml': 'id: text/slug\noutputs: [slug.ts]\n',
      'libs/a/a.spec.yaml': 'id: a/a\noutputs: [a.ts]\ndependsOn: [b/b]\n',
      'libs/b/b.spec.yaml': 'id: b/b\noutputs: [b.ts]\ndependsOn: [a/a]\n',
    });
    const projects = {
      cli: { root: 'apps/cli', files: ['apps/cli/src/main.spec.yaml', 'apps/cli/src/args.spec.yaml', 'apps/cli/src/main.ts'] },
      text: { root: 'libs/text', files: ['libs/text/src/slug.spec.yaml'] },
      a: { root: 'libs/a', files: ['libs/a/a.spec.yaml'] },
      b: { root: 'libs/b', files: ['libs/b/b.spec.yaml'] },
    };
    const edges = await createDependencies(undefined, contextOf(ws, projects));
    expect(edges).toEqual([{ source: 'cli', target: 'text', sourceFile: 'apps/cli/src/main.spec.yaml', type: 'static' }]);

    // Only the files Nx says changed are read for edges (Nx keeps the others' edges from its cache).
    expect(await createDependencies(undefined, contextOf(ws, projects, ['libs/text/src/slug.spec.yaml']))).toEqual([]);
    expect(await createDependencies(undefined, contextOf(ws, projects, ['apps/cli/src/main.spec.yaml']))).toHaveLength(1);
  });

  it('gives a project\'s recordings one input glob that matches each spec\'s recordings folder and nothing else', async () => {
    ws = tempWorkspace({
      'libs/a/package.json': '{"name":"a"}',
      'libs/a/src/x.spec.yaml': 'id: a/x\noutputs: [x.ts]\n',
      'libs/a/src/y.spec.yaml': 'id: a/y\noutputs: [y.ts]\n',
    });
    const [, create] = createNodes;
    const results = await create(['libs/a/src/x.spec.yaml', 'libs/a/src/y.spec.yaml'], {}, { workspaceRoot: ws.root, nxJsonConfiguration: {} });
    const target = results.flatMap(([, result]) => Object.values(result.projects ?? {}))[0]?.targets?.['generate-from-spec'];
    const globs = (target?.inputs ?? []).filter((input): input is string => typeof input === 'string' && input.includes('/recordings/'));
    expect(globs).toHaveLength(1);
    const matches = picomatch((globs[0] as string).replace('{workspaceRoot}/', ''), { dot: true });
    expect(matches('specs/recordings/a__x/call-1.json')).toBe(true);
    expect(matches('specs/recordings/a__y/deep/call.json')).toBe(true);
    expect(matches('specs/recordings/a__z/call.json')).toBe(false);
    expect(matches('specs/recordings/b__x/call.json')).toBe(false);
  });
});
