/**
 * The safety rules see through indirection (computed names, aliases, Reflect, destructuring, constructor chains,
 * module loads, prototype tricks), and still accept the template's own generated code: no false rejections.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractResolver } from '../contracts';
import { loadSpecs } from '../load';
import { normalizeOptions } from '../options';
import type { ResolvedSpec } from '../types';
import { createFixtureWorkspace, type FixtureWorkspace } from './__fixtures__/workspace';
import { checkSafety } from './safety';

let ws: FixtureWorkspace;

beforeAll(() => {
  ws = createFixtureWorkspace();
});

afterAll(async () => {
  await ws.cleanup();
});

const FILE = 'libs/money/src/allocate.ts';

function rules(code: string, constraints: Partial<ResolvedSpec['spec']['constraints']> = {}): string[] {
  const base = ws.specs.get('money/allocate')!;
  const spec = { ...base, spec: { ...base.spec, constraints: { ...base.spec.constraints, pure: false, ...constraints } } };
  return checkSafety({ workspaceRoot: ws.root, spec, specsById: ws.specs, files: new Map([[FILE, code]]) }).map((f) => f.rule);
}

const fn = (body: string): string => `export function f(x: string): unknown {\n  ${body}\n  return x;\n}\n`;

describe('indirection: each hidden use is found, with its rule', () => {
  it.each([
    // eval / Function
    ["(globalThis as never as Record<string, (s: string) => unknown>)['ev' + 'al']('1');", 'no-eval'],
    ["const g = globalThis; const k = 'eval'; (g as never as Record<string, (s: string) => unknown>)[k]('1');", 'no-eval'],
    ["(Reflect.get(globalThis, ['e', 'v', 'a', 'l'].join('')) as (s: string) => unknown)('1');", 'no-eval'],
    ["(Reflect.get(globalThis, String.fromCharCode(101, 118, 97, 108)) as (s: string) => unknown)('1');", 'no-eval'],
    ["((() => 0).constructor as FunctionConstructor)('return 1')();", 'no-function-constructor'],
    ["const F = (function () {}).constructor; new (F as FunctionConstructor)('return 1');", 'no-function-constructor'],
    ["const F = Object.getPrototypeOf(async () => 0).constructor; void F;", 'no-function-constructor'],
    ["(Reflect.get(globalThis, 'Func' + 'tion') as FunctionConstructor)('return 1');", 'no-function-constructor'],
    ["const c = 'constructor'; const F = (x as unknown as Record<string, Record<string, unknown>>)[c][c]; void F;", 'no-function-constructor'],
    // network
    ["void (globalThis as never as Record<string, (u: string) => unknown>)['fe' + 'tch']('http://x');", 'no-network'],
    ["const { fetch: go } = globalThis; void go('http://x');", 'no-network'],
    ["const h = (process as unknown as { getBuiltinModule(m: string): unknown }).getBuiltinModule('node:' + 'http'); void h;", 'forbidden-module'],
    ["const net = require('n' + 'et'); void net;", 'forbidden-module'],
    // timers (pure)
    ["(globalThis as never as Record<string, (f: () => void) => void>)['set' + 'Timeout'](() => 0);", 'pure-no-timers'],
    // child processes
    ["const cp = (process as unknown as { getBuiltinModule(m: string): unknown }).getBuiltinModule('child_' + 'process'); void cp;", 'forbidden-module'],
    ["const b = Reflect.get(process, 'bin' + 'ding'); void b;", 'no-process-internals'],
    ["const m = (process as unknown as { getBuiltinModule(m: string): unknown }).getBuiltinModule(x); void m;", 'no-dynamic-require'],
    // fs
    ["const { readFileSync } = require(['node', 'fs'].join(':')); void readFileSync;", 'forbidden-module'],
    // env
    ["const e = Reflect.get(process, 'en' + 'v'); void e;", 'no-process-env'],
    ["const { env } = (globalThis as never as Record<string, { env: unknown }>)['pro' + 'cess']; void env;", 'no-process-env'],
    ["const p = globalThis.process; void p.env;", 'no-process-env'],
    // computed names that cannot be known
    ["void (globalThis as never as Record<string, unknown>)[x];", 'no-computed-global-access'],
    ["void Reflect.get(process, x);", 'no-computed-global-access'],
    // module loader
    ["void require.cache;", 'no-module-loader'],
    ["void (module as unknown as { constructor: unknown }).constructor;", 'no-module-loader'],
    // process control through a computed name
    ["(process as unknown as Record<string, (pid: number) => void>)['ki' + 'll'](1);", 'no-process-control'],
    // built-ins and objects the module did not create
    ["Object.defineProperty(Array.prototype, 'sum', { value: 1 });", 'no-foreign-mutation'],
    ["const A = Array; Object.setPrototypeOf(A.prototype, null);", 'no-foreign-mutation'],
    ["Reflect.set(Object.prototype, 'polluted', true);", 'no-foreign-mutation'],
    ["Object.assign(globalThis, { leaked: 1 });", 'no-foreign-mutation'],
    ["const o = {} as Record<string, unknown>; void o['__pro' + 'to__'];", 'no-foreign-mutation'],
    ["const o = { __proto__: null }; void o;", 'no-foreign-mutation'],
    ["const A = Array; (A.prototype as unknown as Record<string, unknown>).sum = 1;", 'no-global-mutation'],
    ["const S = Object.getPrototypeOf(process.stdout); void S;", 'no-foreign-mutation'],
  ])('%s → %s', (body, rule) => {
    expect(rules(fn(body), { pure: rule === 'pure-no-timers' })).toContain(rule);
  });

  it('parameters are not the module\'s to reshape', () => {
    expect(rules('export function f(o: object): object { Object.defineProperty(o, "x", { value: 1 }); return o; }')).toContain('no-foreign-mutation');
  });

  it('flags module-level objects in const that a pure spec mutates, not read-only tables', () => {
    const mutated = 'const cache = new Map<number, number>();\nexport function f(x: number): number {\n  cache.set(x, x);\n  return x;\n}\n';
    expect(rules(mutated, { pure: true })).toEqual(['pure-no-mutable-state']);
    const pushed = 'const seen: number[] = [];\nexport function f(x: number): number {\n  seen.push(x);\n  return seen.length;\n}\n';
    expect(rules(pushed, { pure: true })).toEqual(['pure-no-mutable-state']);
    const counter = 'const state = { calls: 0 };\nexport function f(x: number): number {\n  state.calls++;\n  return x + state.calls;\n}\n';
    expect(rules(counter, { pure: true })).toEqual(['pure-no-mutable-state']);
    const table = "const UNITS: Readonly<Record<string, number>> = { a: 1, b: 2 };\nconst ORDER = ['a', 'b'] as const;\nexport function f(x: string): number {\n  return (UNITS[x] ?? 0) + ORDER.indexOf('a');\n}\n";
    expect(rules(table, { pure: true })).toEqual([]);
    expect(rules(mutated, { pure: false })).toEqual([]);
  });

  it('leaves ordinary code alone: local objects, data keys, local functions, numeric indexes', () => {
    const code = `
export class Bucket {
  constructor(readonly size: number) {
    Object.defineProperty(this, 'kind', { value: 'bucket' });
  }
}
export function f(items: readonly string[], key: string): unknown {
  const out: Record<string, number> = {};
  Object.defineProperty(out, 'hidden', { value: 1, enumerable: false });
  const copy = Object.assign({}, out, { [key]: items.length });
  const table: Record<string, string> = { a: 'x' };
  const first = items[0] ?? table[key] ?? '';
  const g = (s: string): string => s.toUpperCase();
  return { copy, first, up: g(first), name: g.name, size: items.length };
}
`;
    expect(rules(code)).toEqual([]);
  });
});

describe('the template\'s own generated code passes every safety rule (no false rejections)', () => {
  const repoRoot = path.resolve(__dirname, '../../../..');
  const projects = ['libs/money', 'libs/text', 'libs/rate-limit', 'apps/invoice-cli']
    .filter((root) => fs.existsSync(path.join(repoRoot, root)))
    .map((root) => ({ name: path.basename(root), root }));

  it('finds 0 problems in the real outputs of every template spec', () => {
    const loaded = loadSpecs(repoRoot, projects, normalizeOptions({}), new ContractResolver(repoRoot));
    const specsById = new Map(loaded.specs.map((spec) => [spec.spec.id, spec]));
    expect(loaded.specs.length).toBeGreaterThanOrEqual(8);
    const problems: string[] = [];
    for (const spec of loaded.specs) {
      const files = new Map(spec.outputFiles.map((file) => [file, fs.readFileSync(path.join(repoRoot, file), 'utf8')]));
      for (const finding of checkSafety({ workspaceRoot: repoRoot, spec, specsById, files })) problems.push(`${spec.spec.id}: ${finding.message}`);
    }
    expect(problems).toEqual([]);
  });
});
