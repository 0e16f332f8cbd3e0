import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Capability, ResolvedSpec } from '../types';
import { createFixtureWorkspace, type FixtureWorkspace } from './__fixtures__/workspace';
import { checkSafety, createSafetyGate, type SafetyFinding } from './safety';

let ws: FixtureWorkspace;

beforeAll(() => {
  ws = createFixtureWorkspace();
});

afterAll(async () => {
  await ws.cleanup();
});

const FILE = 'libs/money/src/allocate.ts';

function withConstraints(spec: ResolvedSpec, constraints: Partial<ResolvedSpec['spec']['constraints']>): ResolvedSpec {
  return { ...spec, spec: { ...spec.spec, constraints: { ...spec.spec.constraints, ...constraints } } };
}

/** Findings for `code` as the allocate candidate, under optional extra constraints. */
function check(code: string, constraints: Partial<ResolvedSpec['spec']['constraints']> = {}): SafetyFinding[] {
  const spec = withConstraints(ws.specs.get('money/allocate')!, constraints);
  return checkSafety({ workspaceRoot: ws.root, spec, specsById: ws.specs, files: new Map([[FILE, code]]) });
}

function rules(code: string, constraints: Partial<ResolvedSpec['spec']['constraints']> = {}): string[] {
  return check(code, constraints).map((f) => f.rule);
}

describe('safety gate on the fixture candidates', () => {
  it.each(['good'])('passes %s', async (name) => {
    const verdict = await createSafetyGate().check(ws.input('money/allocate', name));
    expect(verdict).toEqual({ gate: 'safety', ok: true, findings: [] });
  });

  it('passes the shop candidate importing the workspace package it is allowed to', async () => {
    expect((await createSafetyGate().check(ws.input('shop/price', 'good'))).findings).toEqual([]);
  });

  it.each([
    ['child-process', 'forbidden-module', 6, /import of 'node:child_process' needs capability 'child_process'; remove it, or grant 'child_process' in constraints.capabilities/],
    ['reads-env', 'no-process-env', 12, /process\.env reads the environment; take the value as a parameter, or grant 'env'/],
    ['hardcoded-key', 'no-hardcoded-secret', 12, /looks like an API key \(sk-…\) \(sk-p…40 chars\); never hard-code secrets/],
    ['uses-eval', 'no-eval', 11, /eval evaluates strings as code/],
  ])('flags %s with rule %s at its line', async (name, rule, line, message) => {
    const verdict = await createSafetyGate().check(ws.input('money/allocate', name));
    expect(verdict.ok).toBe(false);
    const finding = verdict.findings[0] as SafetyFinding;
    expect(finding).toMatchObject({ rule, file: FILE, line });
    expect(finding.message).toMatch(new RegExp(`^${FILE}:${line}:\\d+ \\[${rule}\\] `));
    expect(finding.message).toMatch(message);
  });
});

describe('code execution from strings', () => {
  it.each([
    ['eval("1")', 'no-eval'],
    ['const e = eval; e("1")', 'no-eval'],
    ['globalThis.eval("1")', 'no-eval'],
    ['(0, eval)("1")', 'no-eval'],
    ['new Function("return 1")', 'no-function-constructor'],
    ['Function("return 1")()', 'no-function-constructor'],
    ['(() => 1).constructor("return 1")', 'no-function-constructor'],
    ['setTimeout("doIt()", 1)', 'no-eval'],
  ])('%s → %s', (code, rule) => {
    expect(rules(`export function f() { ${code} }`, { pure: false })).toContain(rule);
  });

  it('does not mistake names and types for eval/Function', () => {
    expect(rules('export function f(g: Function, o: { eval: number }) { return o.eval + (g as Function).length; }')).toEqual([]);
  });

  it('rejects computed require/import, allows literal ones that are allowed', () => {
    expect(rules("export function f(m: string) { return require(m); }")).toEqual(['no-dynamic-require']);
    expect(rules("export async function f(m: string) { return import(m); }")).toEqual(['no-dynamic-import']);
    expect(rules("export async function f() { return import('./core'); }")).toEqual([]);
    expect(rules("export function f() { return require('./core'); }")).toEqual([]);
  });
});

describe('imports', () => {
  it.each([
    ['fs', 'fs'],
    ['node:fs/promises', 'fs'],
    ['http', 'net'],
    ['node:https', 'net'],
    ['net', 'net'],
    ['dns', 'net'],
    ['tls', 'net'],
    ['dgram', 'net'],
    ['http2', 'net'],
    ['child_process', 'child_process'],
    ['node:worker_threads', 'child_process'],
  ] as Array<[string, Capability]>)('%s needs capability %s', (module, capability) => {
    const code = `import * as m from '${module}';\nexport const f = () => m;`;
    const findings = check(code);
    expect(findings.map((f) => f.rule)).toEqual(['forbidden-module']);
    expect(findings[0]!.message).toContain(`grant '${capability}'`);
    expect(findings[0]!.line).toBe(1);
    expect(rules(code, { capabilities: [capability] })).toEqual([]);
  });

  it('never allows vm, even with every capability', () => {
    const all: Capability[] = ['fs', 'net', 'child_process', 'env', 'random', 'timers', 'crypto'];
    expect(rules("import vm from 'node:vm';\nexport const f = () => vm;", { capabilities: all })).toEqual(['forbidden-module']);
  });

  it('allows type-only imports of built-ins (they are erased)', () => {
    expect(rules("import type { Stats } from 'node:fs';\nexport const f = (s: Stats) => s.size;")).toEqual([]);
  });

  it('limits relative imports to the spec, its dependsOn outputs and its types file', () => {
    expect(rules("import { sum } from './core';\nimport type { Ratios } from './money.types';\nexport const f = (r: Ratios) => sum(r);")).toEqual([]);
    expect(rules("import { sum } from './core.js';\nexport const f = () => sum([]);")).toEqual([]);
    const findings = check("import { x } from './index';\nexport const f = () => x;");
    expect(findings.map((f) => f.rule)).toEqual(['import-not-allowed']);
    expect(findings[0]!.message).toMatch(/'\.\/index' \(libs\/money\/src\/index\.ts\) is not an output of this spec, of its dependsOn specs or its types file; add the spec that owns it to dependsOn/);
    expect(rules("import { y } from '../../../apps/shop/src/price';\nexport const f = () => y;")).toEqual(['import-not-allowed']);
  });

  it('limits packages and other built-ins to allowedImports', () => {
    expect(rules("import { z } from 'zod';\nexport const f = () => z;")).toEqual(['import-not-allowed']);
    expect(rules("import { z } from 'zod';\nexport const f = () => z;", { allowedImports: ['zod'] })).toEqual([]);
    expect(rules("import path from 'node:path';\nexport const f = () => path.sep;")).toEqual(['import-not-allowed']);
    expect(rules("import path from 'node:path';\nexport const f = () => path.sep;", { allowedImports: ['node:path'] })).toEqual([]);
  });

  it('checks re-exports and import = require', () => {
    expect(rules("export * from 'fs';")).toEqual(['forbidden-module']);
    expect(rules("import cp = require('child_process');\nexport const f = () => cp;")).toEqual(['forbidden-module']);
  });
});

describe('process', () => {
  it.each([
    ['process.env.HOME', 'no-process-env'],
    ["process['env']", 'no-process-env'],
    ['globalThis.process', 'no-process-env'],
    ['process.binding("fs")', 'no-process-internals'],
    ['process.mainModule', 'no-process-internals'],
  ])('%s → %s', (expression, rule) => {
    expect(rules(`export function f() { return ${expression}; }`)).toContain(rule);
  });

  it('catches process and require passed around as values', () => {
    expect(rules('export function f() { const p = process; return p; }')).toEqual(['no-process-env']);
    // the alias and the computed call through it: both the same rule
    expect([...new Set(rules('export function f(m: string) { const r = require; return r(m); }'))]).toEqual(['no-dynamic-require']);
    expect(rules("export function f() { return typeof process === 'undefined' ? 0 : process.pid; }")).toEqual([]);
  });

  it('catches destructuring env from process', () => {
    expect(rules('export function f() { const { env } = process; return env; }')).toEqual(['no-process-env']);
  });

  it('allows process.env with the env capability', () => {
    expect(rules('export function f() { return process.env.HOME; }', { capabilities: ['env'] })).toEqual([]);
  });
});

describe('secrets', () => {
  it.each([
    ["const key = 'AKIAIOSFODNN7EXAMPLE';", /AWS access key id/],
    ["const t = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';", /GitHub token/],
    ["const config = { token: 'a8F3kL9qZ2xW7pR4tY6uE1oN5' };", /'token' is assigned a hard-coded high-entropy string/],
    ["let clientSecret: string; clientSecret = 'Zx81kQp0Lm2Nb7Vc4Rt9Wy3u';", /'clientSecret' is assigned/],
  ])('%s', (code, message) => {
    const findings = check(`${code}\nexport const f = () => 1;`, { pure: false });
    expect(findings.map((f) => f.rule)).toEqual(['no-hardcoded-secret']);
    expect(findings[0]!.message).toMatch(message);
  });

  it('ignores ordinary strings, even under secret-like names', () => {
    expect(rules("export const tokenType = 'Bearer';\nexport const cacheKey = 'money:allocate:v1';\nexport const passwordHint = 'at least twelve characters long';")).toEqual([]);
  });
});

describe('purity and security', () => {
  it('rejects Math.random in security-sensitive code, with or without pure', () => {
    expect(check('export const f = () => Math.random();', { security: true, pure: false })[0]!.message).toMatch(/not allowed in security-sensitive code.*crypto/);
  });

  it('flags Math.random in pure code unless random is granted', () => {
    expect(check('export const f = () => Math.random();')[0]!.message).toMatch(/nondeterministic.*grant 'random'/);
    expect(rules('export const f = () => Math.random();', { capabilities: ['random'] })).toEqual([]);
    expect(rules('export const f = () => Math.random();', { pure: false })).toEqual([]);
  });

  it('rejects clocks and top-level mutable state in pure code only', () => {
    const code = 'let calls = 0;\nvar last = 0;\nexport const f = () => { calls++; last = Date.now(); return new Date(); };\nexport const g = (t: number) => new Date(t);';
    const findings = check(code);
    expect(findings.map((f) => [f.rule, f.line])).toEqual([
      ['pure-no-mutable-state', 1],
      ['pure-no-mutable-state', 2],
      ['pure-no-clock', 3],
      ['pure-no-clock', 3],
    ]);
    expect(rules(code, { pure: false })).toEqual([]);
  });

  it('allows const state and local let', () => {
    expect(rules('const LIMIT = 10;\nexport function f() { let x = 0; for (let i = 0; i < LIMIT; i++) x += i; return x; }')).toEqual([]);
  });
});

describe('network, process control and global mutation', () => {
  it('rejects the network globals unless net is granted', () => {
    expect(rules("export async function f(): Promise<number> { return (await fetch('https://example.com')).status; }")).toContain('no-network');
    expect(rules("export function f(): void { new WebSocket('ws://x'); }")).toContain('no-network');
    expect(rules("export function f(): unknown { return globalThis.fetch('https://x'); }")).toContain('no-network');
    expect(rules("export async function f(): Promise<number> { return (await fetch('https://example.com')).status; }", { capabilities: ['net'] })).not.toContain('no-network');
  });

  it('rejects process.exit, kill and chdir whatever the capabilities', () => {
    expect(rules('export function f(): void { process.exit(1); }')).toContain('no-process-control');
    expect(rules("export function f(): void { process['kill'](1); }", { capabilities: ['env', 'child_process'] })).toContain('no-process-control');
  });

  it('rejects patching built-in prototypes and globals, not local objects', () => {
    expect(rules('Object.prototype.toJSON = function () { return 1; };\nexport function f(): number { return 1; }')).toContain('no-global-mutation');
    expect(rules("(Array.prototype as any)['sum'] = 1;\nexport function f(): number { return 1; }")).toContain('no-global-mutation');
    expect(rules('globalThis.answer = 42;\nexport function f(): number { return 1; }')).toContain('no-global-mutation');
    expect(rules('Math.round = (x: number) => x;\nexport function f(): number { return 1; }')).toContain('no-global-mutation');
    expect(rules('export function f(): number { const o = { prototype: { a: 1 } }; o.prototype.a = 2; return o.prototype.a; }')).not.toContain('no-global-mutation');
  });
});
