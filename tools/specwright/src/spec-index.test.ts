import { afterEach, describe, expect, it } from 'vitest';
import { tempWorkspace, type TempWorkspace } from '../test/fixtures';
import { closesCycle, dependencyClosure, indexSpecs, projectEdges, summarizeSpecFile, summarizeSpecSource, type IndexedSpec, type SpecSummary } from './spec-index';

const entry = (file: string, projectRoot: string, id: string | undefined, dependsOn: string[] = []): IndexedSpec => ({
  file,
  projectRoot,
  summary: { ...(id === undefined ? {} : { id }), dependsOn, outputs: [], tests: [] },
});

describe('the spec index', () => {
  let ws: TempWorkspace | undefined;
  afterEach(() => ws?.cleanup());

  it('summarizes a spec from its YAML alone: id, dependsOn, project-relative outputs, types and tests', () => {
    const summary = summarizeSpecSource(
      'id: money/round\noutputs: [round.ts, ../../../escape.ts]\ntypes: ./money.types.ts\ntests: [round.test.ts]\ndependsOn: [money/core, 7]\n',
      'libs/money/src/round.spec.yaml',
      'libs/money',
    );
    expect(summary).toEqual({ id: 'money/round', dependsOn: ['money/core'], outputs: ['src/round.ts'], types: 'src/money.types.ts', tests: ['src/round.test.ts'] });
    expect(summarizeSpecSource('id: [unclosed', 'a.spec.yaml', '.')).toEqual({ dependsOn: [], outputs: [], tests: [] });
    expect(summarizeSpecSource('- a list', 'a.spec.yaml', '.')).toEqual({ dependsOn: [], outputs: [], tests: [] });
  });

  it('reads a spec file once per content: the cache answers until the file changes', () => {
    ws = tempWorkspace({ 'libs/a/src/x.spec.yaml': 'id: a/x\noutputs: [x.ts]\n' });
    const store = new Map<string, SpecSummary>();
    const first = summarizeSpecFile(ws.root, 'libs/a/src/x.spec.yaml', 'libs/a', store);
    expect(first.id).toBe('a/x');
    expect(store.size).toBe(1);
    // A planted entry under the same key proves the second call is a cache hit.
    const [key] = [...store.keys()];
    store.set(key as string, { ...first, id: 'from-cache' });
    expect(summarizeSpecFile(ws.root, 'libs/a/src/x.spec.yaml', 'libs/a', store).id).toBe('from-cache');
    ws.write('libs/a/src/x.spec.yaml', 'id: a/y\noutputs: [x.ts]\n');
    expect(summarizeSpecFile(ws.root, 'libs/a/src/x.spec.yaml', 'libs/a', store).id).toBe('a/y');
    expect(indexSpecs(ws.root, [{ file: 'libs/a/src/gone.spec.yaml', projectRoot: 'libs/a' }])[0]?.summary).toEqual({ dependsOn: [], outputs: [], tests: [] });
  });

  it('finds the projects a run must load: the dependsOn closure across the workspace, not more', () => {
    const index = [
      entry('apps/cli/src/main.spec.yaml', 'apps/cli', 'cli/main', ['text/slug']),
      entry('libs/text/src/slug.spec.yaml', 'libs/text', 'text/slug', []),
      entry('libs/text/src/pad.spec.yaml', 'libs/text', 'text/pad', ['util/pad']),
      entry('libs/util/src/pad.spec.yaml', 'libs/util', 'util/pad'),
      entry('libs/other/src/o.spec.yaml', 'libs/other', 'other/o', ['cli/main']),
    ];
    // text's other spec needs util, since a project's specs load together.
    expect(dependencyClosure(index, ['apps/cli'])).toEqual(['libs/text', 'libs/util']);
    expect(dependencyClosure(index, ['libs/util'])).toEqual([]);
    expect(dependencyClosure(index, ['libs/other'])).toEqual(['apps/cli', 'libs/text', 'libs/util']);
  });

  it('brings in what the loader needs to name a problem: both ends of a cycle, a duplicate id, an unreadable spec', () => {
    const cycle = [entry('libs/a/a.spec.yaml', 'libs/a', 'a/a', ['b/b']), entry('libs/b/b.spec.yaml', 'libs/b', 'b/b', ['a/a'])];
    expect(dependencyClosure(cycle, ['libs/a'])).toEqual(['libs/b']);
    const duplicate = [entry('libs/a/a.spec.yaml', 'libs/a', 'shared/id'), entry('libs/b/b.spec.yaml', 'libs/b', 'shared/id')];
    expect(dependencyClosure(duplicate, ['libs/a'])).toEqual(['libs/b']);
    const unreadable = [entry('libs/a/a.spec.yaml', 'libs/a', 'a/a', ['broken/x']), entry('libs/broken/x.spec.yaml', 'libs/broken', undefined), entry('libs/c/c.spec.yaml', 'libs/c', 'c/c')];
    expect(dependencyClosure(unreadable, ['libs/a'])).toEqual(['libs/broken']);
    // Every id resolves: an unreadable spec elsewhere is not loaded.
    expect(dependencyClosure([...unreadable.slice(1), entry('libs/a/a.spec.yaml', 'libs/a', 'a/a', ['c/c'])], ['libs/a'])).toEqual(['libs/c']);
  });

  it('turns dependsOn into project edges, one per spec file and target, and knows which edges close a cycle', () => {
    const index = [
      entry('libs/a/x.spec.yaml', 'libs/a', 'a/x', ['b/y', 'b/z', 'a/w', 'nowhere/q']),
      entry('libs/a/w.spec.yaml', 'libs/a', 'a/w'),
      entry('libs/b/y.spec.yaml', 'libs/b', 'b/y', ['c/v']),
      entry('libs/b/z.spec.yaml', 'libs/b', 'b/z'),
      entry('libs/c/v.spec.yaml', 'libs/c', 'c/v', ['a/w']),
      entry('libs/d/dup.spec.yaml', 'libs/d', 'b/z'),
    ];
    const edges = projectEdges(index);
    // b/z is claimed by two projects: no edge guesses which one is meant.
    expect(edges).toEqual([
      { source: 'libs/a', target: 'libs/b', sourceFile: 'libs/a/x.spec.yaml' },
      { source: 'libs/b', target: 'libs/c', sourceFile: 'libs/b/y.spec.yaml' },
      { source: 'libs/c', target: 'libs/a', sourceFile: 'libs/c/v.spec.yaml' },
    ]);
    expect(edges.map((edge) => closesCycle(edges, edge))).toEqual([true, true, true]);
    const acyclic = edges.slice(0, 2);
    expect(acyclic.map((edge) => closesCycle(acyclic, edge))).toEqual([false, false]);
  });
});
