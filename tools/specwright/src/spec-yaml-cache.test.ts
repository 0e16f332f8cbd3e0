import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { tempWorkspace, type TempWorkspace } from '../test/fixtures';
import { isSpecwrightError, type SpecwrightError } from './errors';
import { loadSpecs, type LoadedWorkspace } from './load';
import { normalizeOptions } from './options';
import { SPEC_YAML_CACHE_DIR, SpecYamlCache, specYamlCacheFileName } from './spec-yaml-cache';

const OPTIONS = normalizeOptions({});
// Its own project root: the test workspaces share the repository's node_modules, where the cache files live.
const PROJECT = { name: 'yamlcache', root: 'libs/yaml-cache-test' };
const FILE = `${PROJECT.root}/src/f.spec.yaml`;

const spec = (extra = '') => `id: yamlcache/f
description: Clamp a value.${extra}
outputs: [f.ts]
exports:
  - name: clamp
    params:
      - name: value
        schema: { type: number }
    returns:
      schema: { type: number, minimum: .inf }
examples:
  - export: clamp
    args: [-0]
    expect: { __proto__: 1, zero: -0, nan: .nan, inf: -.inf }
`;

const where = (error: SpecwrightError) => ({ message: error.message, line: error.line, column: error.column, code: error.code });
const problemsOf = (loaded: LoadedWorkspace) =>
  loaded.failures.map((failure) => {
    const error = failure.error as SpecwrightError & { problems?: SpecwrightError[] };
    return (error.problems ?? [error]).map(where);
  });

describe('the spec YAML cache', () => {
  let ws: TempWorkspace;
  afterEach(() => ws.cleanup());

  const load = (yamlCache?: SpecYamlCache | false) => loadSpecs(ws.root, [PROJECT], OPTIONS, yamlCache === undefined ? {} : { yamlCache });

  it('gives exactly what parsing gives — fingerprints and odd values (-0, NaN, Infinity, a __proto__ key) included', () => {
    ws = tempWorkspace({ [FILE]: spec(), [`${PROJECT.root}/package.json`]: '{"name":"yamlcache"}' });
    const uncached = load(false);
    expect(uncached.failures).toEqual([]);
    const filling = load();
    const cached = load();
    for (const loaded of [filling, cached]) {
      expect(loaded.specs.map((s) => s.fingerprint)).toEqual(uncached.specs.map((s) => s.fingerprint));
      expect(loaded.specs[0]?.spec).toStrictEqual(uncached.specs[0]?.spec);
    }
    const example = cached.specs[0]?.spec.examples[0] as { args: unknown[]; expect: Record<string, unknown> };
    expect(Object.is(example.args[0], -0)).toBe(true);
    expect(Object.is(example.expect.zero, -0)).toBe(true);
    expect(Number.isNaN(example.expect.nan)).toBe(true);
    expect(example.expect.inf).toBe(-Infinity);
    expect(Object.hasOwn(example.expect, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(example.expect)).toBe(Object.prototype);
  });

  it('is used for the exact text it was made from, and for nothing else', () => {
    ws = tempWorkspace({ [FILE]: spec(), [`${PROJECT.root}/package.json`]: '{"name":"yamlcache"}' });
    // A planted answer for the current text proves a hit skips the YAML …
    const planted = new SpecYamlCache(ws.root);
    const source = readFileSync(join(ws.root, FILE), 'utf8');
    planted.known(FILE, PROJECT.root, source).set({ ...(parse(source) as object), description: 'planted' });
    planted.save(ws.root);
    expect(load().specs[0]?.spec.description).toBe('planted');
    // … and an edited spec is read from its new text.
    ws.write(FILE, spec(' Edited.'));
    expect(load().specs[0]?.spec.description).toBe('Clamp a value. Edited.');
  });

  it('reports every problem of a remembered spec as parsing does, with its line:column', () => {
    ws = tempWorkspace({ [FILE]: spec().replace('outputs: [f.ts]', 'outputs: [f.ts]\nrules: [oops]\ntests: [f.test.ts]'), [`${PROJECT.root}/src/f.test.ts`]: '', [`${PROJECT.root}/package.json`]: '{}' });
    const uncached = problemsOf(load(false));
    expect(uncached.flat().length).toBeGreaterThan(0);
    load();
    expect(problemsOf(load())).toEqual(uncached);
    // A listed test file that disappears between runs is found again, at its position.
    rmSync(join(ws.root, PROJECT.root, 'src/f.test.ts'));
    const missing = problemsOf(load()).flat();
    expect(missing).toEqual(problemsOf(load(false)).flat());
    expect(missing.some((problem) => /test file "f.test.ts" does not exist/.test(problem.message) && problem.line === 5)).toBe(true);
  });

  it('never remembers YAML that does not read: a syntax error is reported each time', () => {
    ws = tempWorkspace({ [FILE]: 'id: [unclosed\n', [`${PROJECT.root}/package.json`]: '{}' });
    for (let run = 0; run < 2; run++) {
      const [failure] = load().failures;
      expect(isSpecwrightError(failure?.error) && failure.error.message).toMatch(/YAML syntax error/);
    }
  });

  it('holds one entry per existing spec file and survives a corrupt file', () => {
    ws = tempWorkspace({ [FILE]: spec(), [`${PROJECT.root}/src/g.spec.yaml`]: spec().replace('yamlcache/f', 'yamlcache/g').replace('[f.ts]', '[g.ts]'), [`${PROJECT.root}/package.json`]: '{}' });
    load();
    const cacheFile = join(ws.root, SPEC_YAML_CACHE_DIR, specYamlCacheFileName(PROJECT.root));
    const entriesIn = () => (deserialize(readFileSync(cacheFile)) as { entries: [string][] }).entries.map(([file]) => file).sort();
    expect(entriesIn()).toEqual([FILE, `${PROJECT.root}/src/g.spec.yaml`]);
    rmSync(join(ws.root, PROJECT.root, 'src/g.spec.yaml'));
    load();
    expect(entriesIn()).toEqual([FILE]);
    // A corrupt cache file: the specs still load, and the file is written anew.
    writeFileSync(cacheFile, 'not a cache');
    expect(load().specs.map((s) => s.spec.id)).toEqual(['yamlcache/f']);
    expect(entriesIn()).toEqual([FILE]);
  });
});
