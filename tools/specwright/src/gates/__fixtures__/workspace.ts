/**
 * Test helper: materializes the fake workspace of `ws/` in a temp directory (stripping the `.fixture` suffixes), with
 * a `node_modules` of symlinks to the real workspace's packages plus the fake workspace's own packages, and builds
 * the ResolvedSpecs of its three specs (money/core, money/allocate, shop/price) as the pipeline would.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResolvedSpec, Spec } from '../../types';
import type { GateInput } from '../gate';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WS_TEMPLATE = path.join(HERE, 'ws');
const CANDIDATES = path.join(HERE, 'candidates');

function realNodeModules(): string {
  let dir = HERE;
  for (;;) {
    const candidate = path.join(dir, 'node_modules');
    if (fs.existsSync(path.join(candidate, 'vitest', 'package.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('no node_modules with vitest above the fixtures');
    dir = parent;
  }
}

function copyTemplate(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    if (entry.isDirectory()) copyTemplate(source, path.join(to, entry.name));
    else fs.copyFileSync(source, path.join(to, entry.name.replace(/\.fixture$/, '')));
  }
}

const PURE = { rules: [], allowedImports: [], capabilities: [], pure: true, security: false } satisfies Spec['constraints'];

function spec(partial: Partial<Spec> & Pick<Spec, 'id' | 'outputs' | 'exports'>): Spec {
  return { description: `fixture spec ${partial.id}`, constraints: PURE, examples: [], tests: [], dependsOn: [], model: {}, ...partial };
}

export function fixtureSpecs(): Map<string, ResolvedSpec> {
  const integer = (minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum });
  const core: ResolvedSpec = {
    file: 'libs/money/src/core.spec.yaml',
    projectRoot: 'libs/money',
    project: 'money',
    source: '',
    outputFiles: ['libs/money/src/core.ts'],
    testFiles: [],
    spec: spec({
      id: 'money/core',
      outputs: ['core.ts'],
      exports: [
        { name: 'sum', params: [{ name: 'values', schema: { type: 'array', items: integer(-1_000_000, 1_000_000), maxItems: 50 } }], returns: { schema: { type: 'integer' } }, throws: [] },
        { name: 'roundHalfEven', params: [{ name: 'numerator', schema: integer(-1e9, 1e9) }, { name: 'denominator', schema: integer(1, 1e6) }], returns: { schema: { type: 'integer' } }, throws: [] },
      ],
      examples: [
        { export: 'sum', args: [[1, 2, 3]], expect: 6 },
        { export: 'sum', args: [[5]], expect: 5 },
        { export: 'roundHalfEven', args: [15, 10], expect: 2 },
        { export: 'roundHalfEven', args: [25, 10], expect: 2 },
        { export: 'roundHalfEven', args: [7, 2], expect: 4 },
      ],
    }),
    contracts: {
      'sum.params.values': { type: 'array', items: integer(-1_000_000, 1_000_000), maxItems: 50 },
      'sum.returns': { type: 'integer' },
      'roundHalfEven.params.numerator': integer(-1e9, 1e9),
      'roundHalfEven.params.denominator': integer(1, 1e6),
      'roundHalfEven.returns': { type: 'integer' },
    },
  };
  const allocate: ResolvedSpec = {
    file: 'libs/money/src/allocate.spec.yaml',
    projectRoot: 'libs/money',
    project: 'money',
    source: '',
    outputFiles: ['libs/money/src/allocate.ts'],
    testFiles: ['libs/money/src/allocate.test.ts'],
    typesFile: 'libs/money/src/money.types.ts',
    spec: spec({
      id: 'money/allocate',
      outputs: ['allocate.ts'],
      types: './money.types.ts',
      exports: [
        {
          name: 'allocate',
          params: [
            { name: 'amount', schema: integer(0, 1e9) },
            { name: 'ratios', type: 'Ratios' },
          ],
          returns: { schema: { type: 'array', items: { type: 'integer', minimum: 0 } } },
          throws: ['RangeError'],
        },
      ],
      constraints: { ...PURE, allowedImports: ['./money.types'] },
      examples: [
        { export: 'allocate', args: [100, [1, 1, 1]], expect: [34, 33, 33] },
        { export: 'allocate', args: [10, [1, 2]], expect: [4, 6] },
        { export: 'allocate', args: [0, [1, 1]], expect: [0, 0] },
        { export: 'allocate', args: [100, []], throws: 'RangeError' },
      ],
      tests: ['allocate.test.ts'],
      dependsOn: ['money/core'],
    }),
    contracts: {
      'allocate.params.amount': integer(0, 1e9),
      // as ts-json-schema-generator resolves `type: Ratios` (with the integer constraints a @TJS annotation adds)
      'allocate.params.ratios': {
        $schema: 'http://json-schema.org/draft-07/schema#',
        $ref: '#/definitions/Ratios',
        definitions: { Ratios: { type: 'array', items: integer(0, 1000), maxItems: 20 } },
      },
      'allocate.returns': { type: 'array', items: { type: 'integer', minimum: 0 } },
    },
  };
  const price: ResolvedSpec = {
    file: 'apps/shop/src/price.spec.yaml',
    projectRoot: 'apps/shop',
    project: 'shop',
    source: '',
    outputFiles: ['apps/shop/src/price.ts'],
    testFiles: ['apps/shop/src/price.test.ts'],
    spec: spec({
      id: 'shop/price',
      outputs: ['price.ts'],
      exports: [
        {
          name: 'priceWithTax',
          params: [
            { name: 'cents', schema: integer(0, 1e9) },
            { name: 'rateBps', schema: integer(0, 10_000) },
          ],
          returns: { schema: { type: 'integer', minimum: 0 } },
          throws: [],
        },
      ],
      constraints: { ...PURE, allowedImports: ['@acme/money'] },
      examples: [
        { export: 'priceWithTax', args: [1000, 2000], expect: 1200 },
        { export: 'priceWithTax', args: [5, 1000], expect: 5 },
        { export: 'priceWithTax', args: [15, 1000], expect: 17 },
      ],
      tests: ['price.test.ts'],
      dependsOn: ['money/core'],
    }),
    contracts: {
      'priceWithTax.params.cents': integer(0, 1e9),
      'priceWithTax.params.rateBps': integer(0, 10_000),
      'priceWithTax.returns': { type: 'integer', minimum: 0 },
    },
  };
  return new Map([core, allocate, price].map((s) => [s.spec.id, s]));
}

const CANDIDATE_DIRS: Record<string, string> = { 'money/core': 'core', 'money/allocate': 'allocate', 'shop/price': 'shop' };

export interface FixtureWorkspace {
  root: string;
  specs: Map<string, ResolvedSpec>;
  /** The content of `candidates/<spec>/<name>.ts.fixture`. */
  candidateText(specId: string, name: string): string;
  /** A gate input for a named candidate (or literal content) of a spec. */
  input(specId: string, candidate: string | { content: string }): GateInput;
  cleanup(): Promise<void>;
}

export function createFixtureWorkspace(): FixtureWorkspace {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'specwright-fixture-ws-')));
  copyTemplate(WS_TEMPLATE, root);
  const nodeModules = path.join(root, 'node_modules');
  fs.mkdirSync(nodeModules);
  const real = realNodeModules();
  for (const entry of fs.readdirSync(real)) {
    // the real workspace's own @acme packages must not shadow the fixture's
    if (entry.startsWith('.') || entry === '@acme') continue;
    fs.symlinkSync(path.join(real, entry), path.join(nodeModules, entry));
  }
  fs.mkdirSync(path.join(nodeModules, '@acme'));
  fs.symlinkSync('../../libs/money', path.join(nodeModules, '@acme', 'money'));
  fs.symlinkSync('../../apps/shop', path.join(nodeModules, '@acme', 'shop'));
  const specs = fixtureSpecs();
  const candidateText = (specId: string, name: string): string =>
    fs.readFileSync(path.join(CANDIDATES, CANDIDATE_DIRS[specId] ?? specId, `${name}.ts.fixture`), 'utf8');
  return {
    root,
    specs,
    candidateText,
    input(specId, candidate) {
      const resolved = specs.get(specId);
      if (!resolved) throw new Error(`no fixture spec ${specId}`);
      const content = typeof candidate === 'string' ? candidateText(specId, candidate) : candidate.content;
      return { workspaceRoot: root, spec: resolved, files: new Map([[resolved.outputFiles[0]!, content]]), specsById: specs };
    },
    cleanup: () => fs.promises.rm(root, { recursive: true, force: true }),
  };
}
