/**
 * Unit tests of the evaluation-power pieces: edge-biased inputs, the forbidden-api rule, invariants in the spec,
 * the cost gate's regex and growth judgements, and the reviewed version the differential gate compares with.
 * The whole pipeline over HTTP is exercised by test/subtle-defects.test.ts.
 */
import Ajv from 'ajv';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpecwrightError } from '../errors';
import { sha256 } from '../fs-utils';
import { serializeLock } from '../lock';
import { parseSpec } from '../parse';
import type { ResolvedSpec } from '../types';
import { createFixtureWorkspace, type FixtureWorkspace } from './__fixtures__/workspace';
import { analyseRegex, findRegexes, grow, isSuperLinear, seriesToJudge } from './cost';
import { previousVersion } from './differential';
import { EDGE_STRINGS, edgeValues, invalidValues } from './edge-values';
import { invariantSyntaxError, invariantsModuleSource } from './invariants';
import { edgeTuples } from './properties';
import { checkSafety } from './safety';
import { FORBID_PATTERN } from './safety/rules/forbidden-api';
import { schemaToArbitrary } from './schema-arbitrary';

const ajv = new Ajv({ strict: false });
const valid = (schema: object) => {
  const validate = ajv.compile(schema);
  return (value: unknown) => validate(value) === true;
};

describe('edge values', () => {
  it('integers: bounds, bounds ± 1, 0 and -0, safe-integer limits', () => {
    const values = edgeValues({ type: 'integer', minimum: -5, maximum: 100 }).filter(valid({ type: 'integer', minimum: -5, maximum: 100 }));
    expect(values).toEqual(expect.arrayContaining([-5, -4, 100, 99, 0, 1, -1]));
    expect(values.some((v) => Object.is(v, -0))).toBe(true);
    expect(values).not.toContain(101);
    const unbounded = edgeValues({ type: 'integer' });
    expect(unbounded).toEqual(expect.arrayContaining([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 31, -(2 ** 31)]));
  });

  it('strings: empty, one, the maximum size, Unicode classes, prototype keys', () => {
    const schema = { type: 'string', maxLength: 12 };
    const values = edgeValues(schema).filter(valid(schema)) as string[];
    expect(values).toEqual(expect.arrayContaining(['', 'a', 'a'.repeat(12), '\u{1F600}'.repeat(12), 'e\u0301', '\u00df', '\u0130', '\r\n', '\u00a0', 'toString', '__proto__', 'constructor']));
    // the contract counts code points: twelve emoji are within maxLength 12 although .length is 24
    expect(values.every((v) => [...v].length <= 12)).toBe(true);
    expect(EDGE_STRINGS).toContain('a\u202eb');
    expect(edgeValues({ type: 'string' }).some((v) => typeof v === 'string' && v.length >= 2000)).toBe(true);
  });

  it('arrays: empty, one item, duplicates, the maximum size; objects: prototype keys as own keys', () => {
    const schema = { type: 'array', items: { type: 'integer', minimum: 0 }, maxItems: 50 };
    const values = edgeValues(schema).filter(valid(schema)) as unknown[][];
    expect(values).toContainEqual([]);
    expect(values.some((v) => v.length === 50)).toBe(true);
    expect(values).toContainEqual([0, 0]);
    const dictionary = edgeValues({ type: 'object', additionalProperties: { type: 'integer' } }) as Array<Record<string, unknown>>;
    expect(dictionary.some((o) => Object.prototype.hasOwnProperty.call(o, '__proto__'))).toBe(true);
    expect(dictionary.some((o) => Object.prototype.hasOwnProperty.call(o, 'constructor'))).toBe(true);
  });

  it('invalid values are outside the contract: NaN, ±Infinity, fractions, past the bounds, outside an enum', () => {
    const schema = { type: 'integer', minimum: 0, maximum: 10 };
    const rejected = invalidValues(schema).filter((v) => !valid(schema)(v));
    expect(rejected).toEqual(expect.arrayContaining([Number.NaN, Number.POSITIVE_INFINITY, 0.5, -1, 11, undefined, '1']));
    expect(invalidValues({ type: 'string', enum: ['floor'] })).toContain('FLOOR?');
  });

  it('edge tuples keep every param inside its contract', () => {
    const schemas = [{ type: 'integer', minimum: 1, maximum: 9 }, { type: 'string', maxLength: 3 }];
    const validators = schemas.map(valid);
    const tuples = edgeTuples(schemas, schemas.map((s) => schemaToArbitrary(s)), validators, 42);
    expect(tuples.length).toBeGreaterThan(20);
    expect(tuples.every((t) => t.every((v, i) => validators[i]!(v)))).toBe(true);
    expect(tuples.some((t) => t[0] === 9)).toBe(true);
    expect(tuples.some((t) => t[1] === '')).toBe(true);
  });
});

describe('forbidden-api rule (constraints.forbid)', () => {
  let ws: FixtureWorkspace;
  beforeAll(() => {
    ws = createFixtureWorkspace();
  });
  afterAll(async () => {
    await ws.cleanup();
  });
  const findings = (code: string, forbid: string[]) => {
    const base = ws.specs.get('money/allocate')!;
    const spec: ResolvedSpec = { ...base, spec: { ...base.spec, constraints: { ...base.spec.constraints, forbid } } };
    return checkSafety({ workspaceRoot: ws.root, spec, specsById: ws.specs, files: new Map([['libs/money/src/allocate.ts', code]]) })
      .filter((f) => f.rule === 'forbidden-api')
      .map((f) => f.message.replace(/^.*\[forbidden-api\] /, ''));
  };

  it('reports each class of the vocabulary with its place', () => {
    const code = [
      'export function f(a: number, b: number): number {',
      '  const big = BigInt(a) + 10n;',
      "  const text = new Intl.NumberFormat('de').format(a) + a.toFixed(2) + 'x'.localeCompare('y');",
      '  const r = Math.round(a / b);',
      '  const ok = /^a+$/.test(text);',
      '  return a > 0 ? f(a - 1, b) : r + Number(big) + (ok ? 1 : 0);',
      '}',
    ].join('\n');
    expect(findings(code, ['BigInt'])).toEqual(['uses BigInt — the spec forbids `BigInt` (constraints.forbid); rewrite without it', 'uses the bigint literal 10n — the spec forbids `BigInt` (constraints.forbid); rewrite without it']);
    expect(findings(code, ['Intl'])).toHaveLength(1);
    expect(findings(code, ['.toFixed'])).toEqual([expect.stringMatching(/^uses \.toFixed/)]);
    expect(findings(code, ['Math.round'])).toEqual([expect.stringMatching(/^uses Math\.round/)]);
    expect(findings(code, ['floating-point-division'])).toEqual([expect.stringMatching(/^divides with `\/` \(a \/ b\)/)]);
    expect(findings(code, ['locale-methods'])).toHaveLength(2);
    expect(findings(code, ['regex'])).toEqual([expect.stringMatching(/^uses the regular expression \/\^a\+\$\//)]);
    expect(findings(code, ['recursion'])).toEqual([expect.stringMatching(/^f calls itself/)]);
  });

  it('does not report names in types, property names or other members', () => {
    const code = [
      'type Money = { Date: string; round: number };',
      'export function g(m: Money, d: Date): number {',
      '  const o = { Intl: 1, toFixed: 2 };',
      '  return o.Intl + m.round + Math.floor(m.round) + d.getTime();',
      '}',
    ].join('\n');
    expect(findings(code, ['Intl', 'Date', '.toFixed', 'Math.round'])).toEqual([]);
  });

  it('the schema pattern and the rule accept the same entries', () => {
    const schema = JSON.parse(readFileSync(require.resolve('../../spec.schema.json'), 'utf8'));
    expect(schema.properties.constraints.properties.forbid.items.pattern).toBe(FORBID_PATTERN);
    const pattern = new RegExp(FORBID_PATTERN);
    for (const entry of ['BigInt', 'Math.round', '.toFixed', 'floating-point-division', 'locale-methods', 'regex', 'recursion']) expect(pattern.test(entry)).toBe(true);
    for (const entry of ['no floats', 'Math.', '..x', 'a.b.c']) expect(pattern.test(entry)).toBe(false);
  });
});

describe('invariants in the spec', () => {
  const location = { file: 'libs/demo/src/split.spec.yaml', projectRoot: 'libs/demo', project: 'demo' };
  const spec = (invariants: string, extra = '') => `id: demo/split
description: Split an amount.
outputs: [split.ts]
exports:
  - name: split
    params:
      - name: amount
        schema: { type: integer }
    returns:
      schema: { type: array, items: { type: integer } }
    throws: [RangeError]${extra}
${invariants}`;
  const errorOf = (source: string): SpecwrightError => {
    try {
      parseSpec(source, location);
    } catch (error) {
      return error as SpecwrightError;
    }
    throw new Error('expected the spec to be rejected');
  };

  it('parses named expressions and stages them as a module binding params and exports', () => {
    const parsed = parseSpec(spec('invariants:\n  - { name: sums up, export: split, check: "result.reduce((a, b) => a + b, 0) === amount" }'), location);
    expect(parsed.spec.invariants).toEqual([{ name: 'sums up', export: 'split', check: 'result.reduce((a, b) => a + b, 0) === amount' }]);
    const source = invariantsModuleSource(parsed.spec)!;
    expect(source).toContain('const [amount] = args;');
    expect(source).toContain('const { split } = api;');
    // a spec without invariants keeps no `invariants` key, so its fingerprint does not change
    expect('invariants' in parseSpec(spec(''), location).spec).toBe(false);
  });

  it('rejects an invariant on an unknown export, one that is not an expression, and rejectsInvalid outside throws', () => {
    expect(errorOf(spec('invariants:\n  - { name: x, export: nope, check: "true" }')).format()).toMatch(/invariant "x" checks "nope", which the spec does not export/);
    expect(errorOf(spec('invariants:\n  - { name: y, export: split, check: "result ===" }')).format()).toMatch(/invariant "y": check is not a JavaScript expression/);
    expect(errorOf(spec('', '\n    rejectsInvalid: TypeError')).format()).toMatch(/rejects invalid arguments with TypeError, which is not in its `throws`/);
    expect(invariantSyntaxError('a && b')).toBeUndefined();
  });
});

describe('cost gate judgements', () => {
  it('finds regex literals and RegExp calls with literal arguments', () => {
    const found = findRegexes(new Map([['a.ts', "const a = /^(a+)+$/i;\nconst b = new RegExp('x*y', 'g');\nconst c = RegExp(dynamic);\n"]]));
    expect(found.map((r) => [r.source, r.flags, r.line])).toEqual([
      ['^(a+)+$', 'i', 1],
      ['x*y', 'g', 2],
    ]);
  });

  it('recheck (pure JavaScript backend) flags exponential backtracking and passes linear patterns', async () => {
    expect(await analyseRegex('^(a+)+$', '')).toMatchObject({ vulnerable: true, complexity: 'exponential' });
    expect(await analyseRegex('^[a-z][a-z0-9_]*$', '')).toEqual({ vulnerable: false });
  }, 20_000);

  it('super-linear means slow at the largest size, each doubling costing more than 2x and n/4 to n more than 8x', () => {
    expect(isSuperLinear([10, 40, 160, 640])).toBe(true);
    expect(isSuperLinear([6.5, 29.8, 115.5, 373])).toBe(true); // measured: indexOf dedup, n = 20000
    expect(isSuperLinear([10.9, 49.3, 209.6, 600.7])).toBe(true); // the same, a run ~1.5× slower throughout
    expect(isSuperLinear([20, 40, 80, 400])).toBe(false); // linear, one slow run at n
    expect(isSuperLinear([20, 40, 80, 160])).toBe(false); // linear
    expect(isSuperLinear([20, 40, 90, 200])).toBe(false); // n log n
    expect(isSuperLinear([1, 4, 16, 64])).toBe(false); // quadratic but fast at the contract's maximum size
  });

  it('judges the series of two that grows super-linearly, else the less disturbed one, never a mix of both', () => {
    // measured: indexOf dedup, the machine slowing down between n/2 and n in the first run
    expect(seriesToJudge([11.5, 54.4, 239.5, 385.2], [7.1, 32.4, 139.3, 421.5])).toEqual([7.1, 32.4, 139.3, 421.5]);
    expect(seriesToJudge([20, 40, 80, 160], [30, 60, 120, 240])).toEqual([20, 40, 80, 160]);
    // linear slowed down at n: still linear
    expect(isSuperLinear(seriesToJudge([100, 200, 400, 1280], [160, 320, 400, 800]))).toBe(false);
  });

  it('grows strings and arrays (also inside objects) to the size asked, within the contract maximum', () => {
    expect((grow('ab', { type: 'string' }, 100, 0) as string).length).toBe(100);
    expect((grow('ab', { type: 'string', maxLength: 10 }, 100, 0) as string).length).toBe(10);
    expect(new Set(grow(['x'], { type: 'array', items: { type: 'string' } }, 50, 0) as string[]).size).toBe(50);
    expect((grow({ lines: [1] }, { type: 'object', properties: { lines: { type: 'array' } } }, 30, 1) as { lines: unknown[] }).lines).toHaveLength(30);
  });
});

describe('differential gate: the previous accepted version', () => {
  let ws: FixtureWorkspace;
  beforeAll(() => {
    ws = createFixtureWorkspace();
  });
  afterAll(async () => {
    await ws.cleanup();
  });

  it('is the outputs on disk while they hash to what the lock recorded, and nothing otherwise', () => {
    const spec = ws.specs.get('money/allocate')!;
    const input = { workspaceRoot: ws.root, spec };
    expect(previousVersion(input)).toBeUndefined(); // no lock entry
    const file = 'libs/money/src/allocate.ts';
    const content = readFileSync(`${ws.root}/${file}`, 'utf8');
    const entry = { spec: 'src/allocate.spec.yaml', fingerprint: 'x', outputs: { 'src/allocate.ts': { hash: sha256(content) } }, generation: {} };
    writeFileSync(`${ws.root}/libs/money/specwright.lock.json`, serializeLock({ lockVersion: 1, specs: { 'money/allocate': entry as never } }));
    expect(previousVersion(input)).toEqual({ files: new Map([[file, content]]), reviewed: false });
    writeFileSync(`${ws.root}/${file}`, `${content}// edited by hand\n`);
    expect(previousVersion(input)).toBeUndefined(); // drifted: not an accepted version
  });
});
