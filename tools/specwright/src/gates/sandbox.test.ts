import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixtureWorkspace, type FixtureWorkspace } from './__fixtures__/workspace';
import { DEFAULT_SANDBOX_SETTINGS, SandboxPool, SandboxWorker, stageCode, type SandboxSettings } from './sandbox';
import { permissionFlag } from './util';

let ws: FixtureWorkspace;
const workers: SandboxWorker[] = [];

beforeAll(() => {
  ws = createFixtureWorkspace();
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
  await ws.cleanup();
});

const FILE = 'libs/money/src/allocate.ts';

async function worker(code: string, settings: Partial<SandboxSettings> = {}, file = FILE): Promise<SandboxWorker> {
  const staged = await stageCode({ workspaceRoot: ws.root, files: new Map([[file, code]]) });
  const created = new SandboxWorker(staged, { ...DEFAULT_SANDBOX_SETTINGS, callTimeoutMs: 1000, ...settings });
  workers.push(created);
  return created;
}

describe('stageCode', () => {
  it('transpiles the candidate and the relative modules it reaches into a temp dir outside the workspace', async () => {
    const staged = await stageCode({ workspaceRoot: ws.root, files: new Map([[FILE, ws.candidateText('money/allocate', 'good')]]) });
    try {
      expect(staged.dir.startsWith(fs.realpathSync(os.tmpdir()))).toBe(true);
      expect(staged.dir.startsWith(ws.root)).toBe(false);
      const allocate = fs.readFileSync(path.join(staged.dir, 'ws/libs/money/src/allocate.js'), 'utf8');
      expect(allocate).toContain('require("./core.js")');
      expect(allocate).toContain('exports.allocate = allocate');
      expect(fs.existsSync(path.join(staged.dir, 'ws/libs/money/src/core.js'))).toBe(true);
      // a type-only import is erased: nothing to stage
      expect(fs.existsSync(path.join(staged.dir, 'ws/libs/money/src/money.types.js'))).toBe(false);
      expect(staged.entries).toEqual([path.join(staged.dir, 'ws/libs/money/src/allocate.js')]);
      // the working tree is untouched
      expect(fs.readFileSync(path.join(ws.root, FILE), 'utf8')).toBe(ws.candidateText('money/allocate', 'good'));
    } finally {
      await staged.dispose();
    }
    expect(fs.existsSync(staged.dir)).toBe(false);
  });

  it('stages workspace packages imported by name from their TypeScript sources', async () => {
    const staged = await stageCode({ workspaceRoot: ws.root, files: new Map([['apps/shop/src/price.ts', ws.candidateText('shop/price', 'good')]]) });
    try {
      const price = fs.readFileSync(path.join(staged.dir, 'ws/apps/shop/src/price.js'), 'utf8');
      expect(price).toContain('require("../../../libs/money/src/index.js")');
      for (const file of ['index.js', 'core.js', 'allocate.js']) expect(fs.existsSync(path.join(staged.dir, 'ws/libs/money/src', file))).toBe(true);
    } finally {
      await staged.dispose();
    }
  });
});

describe('SandboxWorker', () => {
  it('runs calls in one child, keeping undefined, NaN and -0', async () => {
    const w = await worker('export const id = (x: unknown) => x;\nexport const nan = () => [NaN, -0, undefined];');
    expect(await w.call('id', [{ a: [1, 'x'] }])).toMatchObject({ kind: 'returned', value: { a: [1, 'x'] } });
    const special = await w.call('nan', []);
    expect(special.kind).toBe('returned');
    const value = (special as { value: unknown[] }).value;
    expect(Number.isNaN(value[0])).toBe(true);
    expect(Object.is(value[1], -0)).toBe(true);
    expect(value).toHaveLength(3);
    expect(await w.call('missing', [])).toMatchObject({ kind: 'missing', message: expect.stringContaining('it exports: id, nan') });
    expect(w.spawned).toBe(1);
  });

  it('gives the child only PATH (no API keys) and no code generation from strings', async () => {
    process.env['OPENAI_API_KEY'] = 'sk-test-should-never-reach-the-sandbox';
    try {
      const code = "export const env = () => Object.keys(process['env']).sort();\nexport const ev = () => (0, eval)('1 + 1');";
      const staged = await stageCode({ workspaceRoot: ws.root, files: new Map([[FILE, code]]) });
      const granted = new SandboxWorker(staged, { ...DEFAULT_SANDBOX_SETTINGS, callTimeoutMs: 1000 }, ['env']);
      workers.push(granted);
      expect(await granted.call('env', [])).toMatchObject({ kind: 'returned', value: ['PATH'] });
      expect(await granted.call('ev', [])).toMatchObject({ kind: 'threw', error: { name: 'EvalError' } });
      // without the 'env' capability, reading the environment is itself a finding
      const w = await worker(code);
      expect(await w.call('env', [])).toMatchObject({ kind: 'threw', error: { name: 'SandboxDenied', capability: 'env', at: expect.stringMatching(/^libs\/money\/src\/allocate\.ts:1:/) } });
    } finally {
      delete process.env['OPENAI_API_KEY'];
    }
  });

  it.skipIf(!permissionFlag())('limits reads to the staging dir and forbids child processes (permission model)', async () => {
    const w = await worker(
      "import * as fs from 'node:fs';\nimport * as cp from 'node:child_process';\n" +
        'export const read = (p: string) => fs.readFileSync(p, "utf8").length;\n' +
        "export const run = () => cp.execFileSync('true').length;",
    );
    const outside = await w.call('read', [path.join(ws.root, 'tsconfig.base.json')]);
    expect(outside).toMatchObject({ kind: 'threw', error: { capability: 'fs', message: expect.stringMatching(/permission model denied FileSystemRead \(capability 'fs'\)/) } });
    expect(await w.call('read', ['/etc/hostname'])).toMatchObject({ kind: 'threw', error: { capability: 'fs' } });
    expect(await w.call('run', [])).toMatchObject({ kind: 'threw', error: { name: 'SandboxDenied', capability: 'child_process' } });
  });

  it('kills a call that runs past its budget and carries on in a fresh child', async () => {
    const w = await worker('export function spin(): number { for (;;) {} }\nexport const one = () => 1;', { callTimeoutMs: 300 });
    const started = Date.now();
    expect(await w.call('spin', [])).toEqual({ kind: 'timeout', ms: 300 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await w.call('one', [])).toMatchObject({ kind: 'returned', value: 1 });
    expect(w.spawned).toBe(2);
  });

  it('reports a child that exits or runs out of memory, then restarts', async () => {
    const w = await worker(
      "export const quit = () => process.exit(3);\nexport const hog = () => { const a: number[][] = []; for (;;) a.push(new Array(1e5).fill(1)); };\nexport const one = () => 1;",
      { maxOldSpaceMb: 48, callTimeoutMs: 10_000 },
    );
    expect(await w.call('quit', [])).toMatchObject({ kind: 'crashed', message: expect.stringContaining('code 3') });
    expect(await w.call('one', [])).toMatchObject({ kind: 'returned', value: 1 });
    expect(await w.call('hog', [])).toMatchObject({ kind: 'crashed' });
    expect(await w.call('one', [])).toMatchObject({ kind: 'returned', value: 1 });
  });

  it('maps a thrown error to the candidate source line and names its constructor chain', async () => {
    const w = await worker('class MoneyError extends RangeError {}\n\nexport function fail(): never {\n  throw new MoneyError("no money");\n}\n');
    const outcome = await w.call('fail', []);
    expect(outcome).toMatchObject({ kind: 'threw', error: { name: 'RangeError', message: 'no money', chain: ['MoneyError', 'RangeError', 'Error', 'Object'], at: `${FILE}:4:9` } });
  });

  it('reports a module that fails to load, once', async () => {
    const w = await worker('export const f = () => 1;\nthrow new TypeError("boom at load");\n');
    const outcome = await w.call('f', []);
    expect(outcome).toMatchObject({ kind: 'crashed', message: expect.stringMatching(/^loading libs\/money\/src\/allocate\.ts threw TypeError: boom at load at libs\/money\/src\/allocate\.ts:2:7/) });
    expect(await w.call('f', [])).toMatchObject({ kind: 'crashed' });
    expect(w.spawned).toBe(1);
  });

  it('does not leave a looping child or its staging dir behind when the gate process dies mid-call (reaper)', async () => {
    const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
    const host = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'specwright-host-')), 'host.ts');
    fs.writeFileSync(
      host,
      `import { DEFAULT_SANDBOX_SETTINGS, SandboxWorker, stageCode } from ${JSON.stringify(path.join(path.dirname(fileURLToPath(import.meta.url)), 'sandbox'))};\n` +
        'void (async () => {\n' +
        "  const staged = await stageCode({ workspaceRoot: process.argv[2]!, files: new Map([['libs/money/src/spin.ts', 'export function spin(): number { for (;;) {} }']]) });\n" +
        '  const w = new SandboxWorker(staged, { ...DEFAULT_SANDBOX_SETTINGS, callTimeoutMs: 60_000 });\n' +
        "  void w.call('spin', []);\n" +
        '  const timer = setInterval(() => { if (w.pid) { console.log(`PID ${w.pid} DIR ${staged.dir}`); clearInterval(timer); } }, 20);\n' +
        '})();\n',
    );
    const child = spawn(process.execPath, ['-r', '@swc-node/register', host, ws.root], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const [pid, dir] = await new Promise<[number, string]>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /PID (\d+) DIR (\S+)/.exec(out);
          if (match) resolve([Number(match[1]), match[2]!]);
        });
        child.on('exit', () => reject(new Error(`host exited early: ${out}`)));
      });
      const alive = (): boolean => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      expect(alive()).toBe(true);
      expect(fs.existsSync(dir)).toBe(true);
      child.kill('SIGKILL');
      const deadline = Date.now() + 5000;
      while ((alive() || fs.existsSync(dir)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(alive()).toBe(false);
      // and its staging directory is gone too
      expect(fs.existsSync(dir)).toBe(false);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      fs.rmSync(path.dirname(host), { recursive: true, force: true });
    }
  });

  it('describes values that are not data', async () => {
    const w = await worker('export const fn = () => () => 1;');
    expect(await w.call('fn', [])).toMatchObject({ kind: 'returned', unserializable: expect.stringContaining('[object Function]') });
  });
});

describe('SandboxWorker batches', () => {
  const BUSY = 'export function busy(ms: number): number { const end = Date.now() + ms; while (Date.now() < end) {} return ms; }\n';

  it('makes many calls with one message, each with its own budget, and stops at the first timeout', async () => {
    const w = await worker(`${BUSY}export function spin(): number { for (;;) {} }\nexport const one = () => 1;`, { callTimeoutMs: 400 });
    // three calls of 250 ms: longer than one budget together, each well inside its own
    const slow = await w.callBatch('busy', [[250], [250], [250]]);
    expect(slow.map((o) => o.kind)).toEqual(['returned', 'returned', 'returned']);
    const mixed = await w.callMany([
      { name: 'one', args: [] },
      { name: 'nope', args: [] },
      { name: 'spin', args: [] },
      { name: 'one', args: [] },
    ]);
    // a missing export is that call's outcome; the timeout ends the batch (the call after it never ran)
    expect(mixed).toEqual([
      expect.objectContaining({ kind: 'returned', value: 1 }),
      expect.objectContaining({ kind: 'missing' }),
      { kind: 'timeout', ms: 400 },
    ]);
    expect(await w.call('one', [])).toMatchObject({ kind: 'returned', value: 1 });
    expect(w.spawned).toBe(2);
  });

  it('does not blame the candidate for answers the parent was too busy to read', async () => {
    const w = await worker('export const one = () => 1;', { callTimeoutMs: 300 });
    expect(await w.call('one', [])).toMatchObject({ kind: 'returned' });
    const pending = w.callBatch('one', [[], [], []]);
    // the parent holds the thread past the budget (a type check of another spec) while the answers arrive
    await new Promise((resolve) => setImmediate(resolve));
    const end = Date.now() + 700;
    while (Date.now() < end) {
      /* busy */
    }
    expect((await pending).map((o) => o.kind)).toEqual(['returned', 'returned', 'returned']);
    expect(w.spawned).toBe(1);
  });

  it('carries on after a crash in a fresh child when asked for every outcome (callEach)', async () => {
    const w = await worker('export const quit = () => process.exit(3);\nexport const one = () => 1;');
    const outcomes = await w.callEach([
      { name: 'one', args: [] },
      { name: 'quit', args: [] },
      { name: 'one', args: [] },
    ]);
    expect(outcomes.map((o) => o.kind)).toEqual(['returned', 'crashed', 'returned']);
    expect(w.spawned).toBe(2);
  });
});

describe('SandboxPool', () => {
  const STATEFUL =
    'let calls = 0;\nexport function bump(): number[] { calls++; const g = globalThis as Record<string, unknown>; const seen = g["marker"] === undefined ? 0 : 1; g["marker"] = 1; return [calls, seen, process.pid]; }\n';

  it('gives every candidate a child of its own: one child serves all its gates, none sees another candidate\'s state', async () => {
    const pool = new SandboxPool({ ...DEFAULT_SANDBOX_SETTINGS, callTimeoutMs: 2000 });
    const first = ws.input('money/allocate', { content: STATEFUL });
    const second = ws.input('money/allocate', { content: STATEFUL });
    try {
      pool.beginScope(first, { prewarm: true });
      pool.beginScope(second, { prewarm: true });
      // the child is spawned by beginScope itself, before anything else gets the thread
      const bump = (input: typeof first) => pool.use(input, async (w) => (await w.call('bump', [])) as { kind: string; value: number[] });
      const a1 = await bump(first);
      const a2 = await bump(first);
      const b1 = await bump(second);
      expect(a1.value.slice(0, 2)).toEqual([1, 0]);
      expect(a2.value.slice(0, 2)).toEqual([2, 1]); // same child across gates
      expect(b1.value.slice(0, 2)).toEqual([1, 0]); // fresh module state and globals
      const dirs = await Promise.all([first, second].map((input) => pool.use(input, async (w) => w.code.dir)));
      expect(dirs[0]).not.toBe(dirs[1]);
      // a companion (the purity gate's second locale) starts on the candidate's staging and closes with the scope
      pool.prewarmWithEnv(first, { TZ: 'Pacific/Chatham' }, () => true);
      const companionPid = await pool.useWithEnv(first, { TZ: 'Pacific/Chatham' }, async (_w, variant) => {
        await variant.call('bump', []);
        return variant.pid;
      });
      const pids = await Promise.all([first, second].map((input) => pool.use(input, async (w) => w.pid)));
      await pool.endScope(first);
      await pool.endScope(second);
      const alive = (pid: number | undefined) => {
        try {
          process.kill(pid!, 0);
          return true;
        } catch {
          return false;
        }
      };
      for (const pid of [...pids, companionPid]) expect(alive(pid)).toBe(false);
      for (const dir of dirs) expect(fs.existsSync(dir)).toBe(false);
    } finally {
      await pool.dispose();
    }
  });
});
