import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createFixtureWorkspace, type FixtureWorkspace } from './__fixtures__/workspace';
import { GateContext } from './context';
import type { Capability } from '../types';
import type { Gate, GateInput } from './gate';
import { VitestHosts } from './sandbox/vitest-hosts';
import { createTestsGate, findTestFiles, softenAssertions, stageProject, TestsBatch } from './tests';

let ws: FixtureWorkspace;
let context: GateContext;
let gate: Gate;

beforeAll(() => {
  ws = createFixtureWorkspace();
  context = new GateContext(ws.root, { testsTimeoutMs: 30_000 });
  gate = createTestsGate(context);
});

afterAll(async () => {
  await context.dispose();
  await ws.cleanup();
});

/** Every file under the workspace (not following node_modules), with its mtime: to prove nothing was written. */
function snapshot(): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.name === 'node_modules') {
        out.set(full, fs.readdirSync(full).length);
        continue;
      }
      if (entry.isDirectory()) walk(full);
      else out.set(full, fs.statSync(full).mtimeMs);
    }
  };
  walk(ws.root);
  return out;
}

describe('findTestFiles', () => {
  it("selects the spec's tests plus the project's tests that import one of its outputs", () => {
    expect(findTestFiles(ws.input('money/allocate', 'good'))).toEqual(['libs/money/src/allocate.test.ts', 'libs/money/src/summary.test.ts']);
    expect(findTestFiles(ws.input('money/core', 'good'))).toEqual(['libs/money/src/allocate.test.ts', 'libs/money/src/core.test.ts']);
    expect(findTestFiles(ws.input('shop/price', 'good'))).toEqual(['apps/shop/src/price.test.ts']);
  });
});

describe('softenAssertions', () => {
  it('makes plain assertions inside tests soft, keeping every line in place', () => {
    const source = [
      "import { expect, it } from 'vitest';",
      'const helper = () => expect(1).toBe(1);',
      "it('x', async () => {",
      '  expect(f(1)).toBe(2);',
      '  expect(g).not.toThrow();',
      '  await expect(p).rejects.toThrow();',
      '  expect.soft(h).toBe(1);',
      '});',
    ].join('\n');
    const softened = softenAssertions(source);
    expect(softened.split('\n')).toEqual([
      "import { expect, it } from 'vitest';",
      'const helper = () => expect(1).toBe(1);',
      "it('x', async () => {",
      '  expect.soft(f(1)).toBe(2);',
      '  expect.soft(g).not.toThrow();',
      '  await expect(p).rejects.toThrow();',
      '  expect.soft(h).toBe(1);',
      '});',
    ]);
  });
});

describe('stageProject', () => {
  it('copies the project with the candidate outside the working tree and links the rest', async () => {
    const staged = await stageProject(ws.root, 'libs/money', new Map([['libs/money/src/allocate.ts', '// candidate\n']]));
    try {
      expect(staged.dir.startsWith(fs.realpathSync(os.tmpdir()))).toBe(true);
      expect(fs.readFileSync(path.join(staged.projectDir, 'src/allocate.ts'), 'utf8')).toBe('// candidate\n');
      expect(fs.lstatSync(path.join(staged.projectDir, 'src/core.ts')).isSymbolicLink()).toBe(false);
      expect(fs.lstatSync(path.join(staged.dir, 'apps')).isSymbolicLink()).toBe(true);
      expect(fs.lstatSync(path.join(staged.dir, 'node_modules')).isDirectory()).toBe(true);
      expect(fs.lstatSync(path.join(staged.dir, 'node_modules/vitest')).isSymbolicLink()).toBe(true);
      expect(fs.readFileSync(path.join(ws.root, 'libs/money/src/allocate.ts'), 'utf8')).not.toBe('// candidate\n');
    } finally {
      await staged.dispose();
    }
  });
});

describe('tests gate', () => {
  it('passes the correct candidates (money with its vitest config; shop without one)', async () => {
    const before = snapshot();
    expect(await gate.check(ws.input('money/allocate', 'good'))).toEqual({ gate: 'tests', ok: true, findings: [] });
    expect(await gate.check(ws.input('shop/price', 'good'))).toEqual({ gate: 'tests', ok: true, findings: [] });
    // nothing written into the workspace (no candidate, no vitest cache, no config)
    expect(snapshot()).toEqual(before);
  });

  it('reports failing tests with their names and assertion messages', async () => {
    const verdict = await gate.check(ws.input('money/allocate', 'accepts-negative'));
    expect(verdict.ok).toBe(false);
    expect(verdict.findings).toEqual([
      {
        file: 'libs/money/src/allocate.test.ts',
        message:
          "test failed: libs/money/src/allocate.test.ts › allocate rejects negative amounts: AssertionError: expected function to throw an error, but it didn't (at libs/money/src/allocate.test.ts:17:37: expect(() => allocate(-5, [1])).toThrow(RangeError);)",
      },
    ]);
  });

  it('reports every failing assertion with its source line (the input), from every selected test file', async () => {
    const halves = ws.candidateText('money/allocate', 'good').replace('return parts;', 'return parts.map((p) => p * 2);');
    const messages = (await gate.check(ws.input('money/allocate', { content: halves }))).findings.map((f) => f.message);
    expect(messages).toContain(
      'test failed: libs/money/src/summary.test.ts › splits a bill in two: AssertionError: expected [ 1000, 1000 ] to deeply equal [ 500, 500 ] (at libs/money/src/summary.test.ts:5:34: expect(allocate(1000, [1, 1])).toEqual([500, 500]);)',
    );
    expect(messages).toContain(
      'test failed: libs/money/src/allocate.test.ts › allocate gives leftover units to the first parts: AssertionError: expected [ 4, 4, 2 ] to deeply equal [ 2, 2, 1 ] (at libs/money/src/allocate.test.ts:13:36: expect(allocate(5, [1, 1, 1])).toEqual([2, 2, 1]);)',
    );
    // the loop in 'keeps the total' fails on each of its three inputs: all three are reported, not only the first
    expect(messages.filter((m) => m.includes('allocate keeps the total'))).toHaveLength(3);
    expect(messages).toHaveLength(5);
    expect(messages.join('\n')).not.toContain(ws.root);
  });

  it('reports a test file that cannot load the candidate', async () => {
    const verdict = await gate.check(ws.input('money/allocate', { content: 'export const allocate = ;\n' }));
    expect(verdict.ok).toBe(false);
    expect(verdict.findings.map((f) => f.message).join('\n')).toMatch(/test file failed: libs\/money\/src\/allocate\.test\.ts: .*/);
  });
});

describe('tests batch (verify-spec: one vitest run per project)', () => {
  it("runs the tests of a project's specs once and gives each spec the findings of its own test files", async () => {
    const halves = ws.candidateText('money/allocate', 'good').replace('return parts;', 'return parts.map((p) => p * 2);');
    const allocate = ws.input('money/allocate', { content: halves });
    const core = ws.input('money/core', 'good');
    const price = ws.input('shop/price', 'good');
    const batch = new TestsBatch([allocate, core, price]);
    const [batchedAllocate, batchedCore, batchedPrice] = await Promise.all([allocate, core, price].map((input) => gate.check({ ...input, testsBatch: batch })));
    // two projects: two runs, not three
    expect(batch.runsStarted).toBe(2);
    expect(batchedPrice).toEqual({ gate: 'tests', ok: true, findings: [] });
    // allocate: the same findings as a run of its own (summary.test.ts is its test only; allocate.test.ts is shared)
    expect(batchedAllocate).toEqual(await gate.check(allocate));
    expect(batchedAllocate!.findings.some((f) => f.file === 'libs/money/src/summary.test.ts')).toBe(true);
    // core: only its own test files (allocate.test.ts imports core, so its failures are core's too; summary.test.ts is not)
    const coreFiles = new Set(batchedCore!.findings.map((f) => f.file));
    expect([...coreFiles]).toEqual(['libs/money/src/allocate.test.ts']);
  }, 120_000);

  it('runs a candidate that is not the one the batch was made with on its own', async () => {
    const batch = new TestsBatch([ws.input('money/allocate', 'good')]);
    const verdict = await gate.check({ ...ws.input('money/allocate', 'accepts-negative'), testsBatch: batch });
    expect(batch.runsStarted).toBe(0);
    expect(verdict.ok).toBe(false);
    expect(verdict.findings.map((f) => f.file)).toEqual(['libs/money/src/allocate.test.ts']);
  }, 60_000);
});

describe('warm vitest hosts (one vitest main process serves run after run)', () => {
  const withCapabilities = (input: GateInput, capabilities: Capability[]): GateInput => ({
    ...input,
    spec: { ...input.spec, spec: { ...input.spec.spec, constraints: { ...input.spec.spec.constraints, capabilities } } },
  });

  it('reuses the host, but every run gets fresh forks, a fresh environment and no read of another run’s copy', async () => {
    const own = new GateContext(ws.root, { testsTimeoutMs: 30_000 });
    try {
      const testsGate = createTestsGate(own);
      const good = ws.candidateText('money/allocate', 'good');
      // the first candidate leaves marks in its fork's globals and environment
      const marking = [
        "(globalThis as Record<string, unknown>)['__previousCandidate'] = 'A';",
        "process.env['PREVIOUS_CANDIDATE'] = 'A';",
        good,
      ].join('\n');
      // the second fails to load if it sees any of them, or if it can list the folder every run's copy lives in
      const checking = [
        "import { readdirSync } from 'node:fs';",
        "import { fileURLToPath } from 'node:url';",
        "import * as nodePath from 'node:path';",
        "if ((globalThis as Record<string, unknown>)['__previousCandidate'] !== undefined) throw new Error('LEAK: globals of the previous run');",
        "if (process.env['PREVIOUS_CANDIDATE'] !== undefined) throw new Error('LEAK: environment of the previous run');",
        // <staging folder>/<this run's copy>/libs/money/src/allocate.ts
        "const ownCopy = nodePath.resolve(nodePath.dirname(fileURLToPath(import.meta.url)), '../../..');",
        "readdirSync(ownCopy);",
        'const stagingRoot = nodePath.dirname(ownCopy);',
        "let listed = false; try { readdirSync(stagingRoot); listed = true; } catch { /* ERR_ACCESS_DENIED */ }",
        "if (listed) throw new Error('LEAK: read the folder of every run');",
        good,
      ].join('\n');
      const first = await testsGate.check(withCapabilities(ws.input('money/allocate', { content: marking }), ['fs', 'env']));
      expect(first).toEqual({ gate: 'tests', ok: true, findings: [] });
      const second = await testsGate.check(withCapabilities(ws.input('money/allocate', { content: checking }), ['fs', 'env']));
      expect(second).toEqual({ gate: 'tests', ok: true, findings: [] });
      expect(own.vitest.started).toBe(1);
    } finally {
      await own.dispose();
    }
  }, 120_000);

  it("does not let a test end its run's output early: denials after a forged end marker still count", async () => {
    const forged = '[specwright-vitest-host] end 00000000-0000-4000-8000-000000000000';
    const candidate = [
      "import { createConnection } from 'node:net';",
      `process.stderr.write('\\n${forged}\\n');`,
      `process.stdout.write('\\n${forged}\\n');`,
      "try { createConnection(80, '127.0.0.1'); } catch { /* denied by the lockdown */ }",
      ws.candidateText('money/allocate', 'good'),
    ].join('\n');
    const verdict = await gate.check(ws.input('money/allocate', { content: candidate }));
    expect(verdict.ok).toBe(false);
    expect(verdict.findings.map((f) => f.message).join('\n')).toMatch(/^tests: the sandbox denied net\.createConnection at libs\/money\/src\/allocate\.ts:\d+:\d+ \(capability 'net'\)/m);
  }, 60_000);

  it('kills the host of a run that does not finish; the next run gets a fresh host', async () => {
    const own = new GateContext(ws.root, { testsTimeoutMs: 4_000 });
    try {
      const testsGate = createTestsGate(own);
      const spinning = `${ws.candidateText('money/allocate', 'good')}\nwhile (Date.now() > 0) { /* never returns */ }\n`;
      const hung = await testsGate.check(ws.input('money/allocate', { content: spinning }));
      expect(hung.ok).toBe(false);
      expect(hung.findings.map((f) => f.message).join('\n')).toContain('did not finish within 4000 ms');
      expect(await testsGate.check(ws.input('money/allocate', 'good'))).toEqual({ gate: 'tests', ok: true, findings: [] });
      expect(own.vitest.started).toBe(2);
    } finally {
      await own.dispose();
    }
  }, 120_000);

  it('answers a run it cannot start with its error and stays usable for the next', async () => {
    const hosts = new VitestHosts(ws.root);
    const own = new GateContext(ws.root, { testsTimeoutMs: 30_000 });
    try {
      const missing = path.join(hosts.stagingRoot(), 'no-such-copy');
      const failed = await hosts.run({ root: missing, filters: [], outputFile: path.join(missing, 'report.json'), execArgv: [], env: { PATH: process.env['PATH'] ?? '' }, timeoutMs: 30_000 });
      expect(failed.exitCode).toBe(1);
      expect(failed.timedOut).toBe(false);
      expect(failed.output).toContain('ENOENT');
      const testsGate = createTestsGate(Object.assign(Object.create(own) as GateContext, { vitest: hosts }));
      expect(await testsGate.check(ws.input('money/allocate', 'good'))).toEqual({ gate: 'tests', ok: true, findings: [] });
      expect(hosts.started).toBe(1);
    } finally {
      await hosts.dispose();
      await own.dispose();
    }
  }, 120_000);

  it('retires a host after its runs and removes every copy and process when the session ends', async () => {
    const tmpRoot = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'specwright-hosts-test-')));
    onTestFinished(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
    const hosts = new VitestHosts(ws.root, tmpRoot, 2);
    const own = new GateContext(ws.root, { testsTimeoutMs: 30_000, tmpRoot });
    try {
      const testsGate = createTestsGate(Object.assign(Object.create(own) as GateContext, { vitest: hosts }));
      for (let run = 0; run < 3; run++) expect(await testsGate.check(ws.input('money/allocate', 'good'))).toEqual({ gate: 'tests', ok: true, findings: [] });
      expect(hosts.started).toBe(2);
    } finally {
      await hosts.dispose();
      await own.dispose();
    }
    expect(fs.readdirSync(tmpRoot)).toEqual([]);
    // the hosts' wrappers name the staging folder on their command line: none may be left
    await new Promise((resolve) => setTimeout(resolve, 200));
    const survivors = fs.readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(tmpRoot);
      } catch {
        return false;
      }
    });
    expect(survivors).toEqual([]);
  }, 120_000);
});
