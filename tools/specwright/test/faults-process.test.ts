import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSpecwrightError } from '../src/errors';
import { sha256 } from '../src/fs-utils';
import { JOURNAL_FILE_NAME } from '../src/journal';
import { readLock, type LockFile } from '../src/lock';
import { RUN_LOCK_FILE_NAME } from '../src/mutex';
import { DEMO, forbiddenProvider, localProvider, multiOutputSpec, runDemo, snapshotTree, treeChanges, versionedSource } from './crash-support';
import { PACKAGE_JSON, ROUND_IMPL, ROUND_SPEC, tempWorkspace, type TempWorkspace } from './fixtures';

/**
 * Process faults: kill -9 in the middle of writing, two writing runs at once, an output that cannot be written.
 * The writing runs are real child processes (test/crash-generate.ts) so that a kill is a real kill.
 */
const HELPER = join(__dirname, 'crash-generate.ts');
const SPEC_COUNT = 8;
const SPEC_IDS = Array.from({ length: SPEC_COUNT }, (_, index) => `demo/s${index}`);
const outputsOf = (index: number) => [`s${index}-a.ts`, `s${index}-b.ts`];
/** Big enough outputs that a write takes a moment, small enough for the 512 KiB limit. */
const OUTPUT_BYTES = 50_000;
const ITERATIONS = Number(process.env.SPECWRIGHT_CRASH_ITERATIONS ?? 20);

interface Helper {
  child: ChildProcess;
  ready: Promise<number>;
  /** When the first model request was made (the writes start right after); resolves at exit if never. */
  asked: Promise<number>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; at: number }>;
}

function startHelper(args: string[]): Helper {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', HELPER, ...args], { cwd: join(__dirname, '..'), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let markReady: (at: number) => void = () => undefined;
  let markAsked: (at: number) => void = () => undefined;
  const ready = new Promise<number>((resolve) => (markReady = resolve));
  const asked = new Promise<number>((resolve) => (markAsked = resolve));
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('READY\n')) markReady(performance.now());
    if (stdout.includes('ASKED\n')) markAsked(performance.now());
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; at: number }>((resolve) =>
    child.on('close', (code, signal) => {
      markReady(performance.now());
      markAsked(performance.now());
      resolve({ code, signal, stdout, stderr, at: performance.now() });
    }),
  );
  return { child, ready, asked, exit };
}

/** A copy of a workspace folder (node_modules stays a symlink). */
function copyWorkspace(from: string): string {
  const to = mkdtempSync(join(tmpdir(), 'specwright-crash-'));
  cpSync(from, to, { recursive: true, verbatimSymlinks: true });
  return to;
}

describe('faults: process faults', () => {
  let pristine: TempWorkspace;
  /** Workspace-relative output path → content before the run (old) and after a complete run (new). */
  const oldContent = new Map<string, string>();
  const newContent = new Map<string, string>();
  const oldFingerprints = new Map<string, string>();
  const newFingerprints = new Map<string, string>();
  /** After READY: when the first model request comes (writing starts right after), and when the run is done. */
  let askedMs = 0;
  let completeMs = 0;

  const outputPath = (index: number, output: string) => `${DEMO.root}/src/${output}`;
  const allOutputs = () => Array.from({ length: SPEC_COUNT }, (_, index) => outputsOf(index).map((output) => ({ index, file: outputPath(index, output) }))).flat();

  beforeAll(async () => {
    pristine = tempWorkspace({ 'libs/demo/package.json': PACKAGE_JSON('demo') });
    for (let index = 0; index < SPEC_COUNT; index++) pristine.write(`libs/demo/src/s${index}.spec.yaml`, multiOutputSpec(`demo/s${index}`, outputsOf(index), 1));
    const generated = await runDemo(pristine.root, { provider: localProvider((specId, output) => versionedSource(specId, output, 'old', OUTPUT_BYTES)) });
    expect(generated.ok).toBe(true);
    for (const [id, entry] of Object.entries(readLock(pristine.root, DEMO.root).specs)) oldFingerprints.set(id, entry.fingerprint);
    for (const { file } of allOutputs()) oldContent.set(file, readFileSync(join(pristine.root, file), 'utf8'));
    // The new revision of every spec: all of them stale.
    for (let index = 0; index < SPEC_COUNT; index++) pristine.write(`libs/demo/src/s${index}.spec.yaml`, multiOutputSpec(`demo/s${index}`, outputsOf(index), 2));

    // One complete run in a child, for the new contents and for how long a run takes after READY.
    const reference = copyWorkspace(pristine.root);
    try {
      const helper = startHelper(['generate', reference, 'new', '0', '60000', String(OUTPUT_BYTES)]);
      const readyAt = await helper.ready;
      const askedAt = await helper.asked;
      const exit = await helper.exit;
      expect(exit.stderr).toBe('');
      expect(exit.stdout).toContain(`DONE true ${SPEC_COUNT}`);
      askedMs = askedAt - readyAt;
      completeMs = exit.at - readyAt;
      for (const [id, entry] of Object.entries(readLock(reference, DEMO.root).specs)) newFingerprints.set(id, entry.fingerprint);
      for (const { file } of allOutputs()) newContent.set(file, readFileSync(join(reference, file), 'utf8'));
    } finally {
      rmSync(reference, { recursive: true, force: true });
    }
    expect(newFingerprints.size).toBe(SPEC_COUNT);
  }, 60_000);
  afterAll(() => pristine?.cleanup());

  /** Which version each spec's files are in: 'old', 'new', or 'mixed'. */
  function versions(root: string): Map<string, 'old' | 'new' | 'mixed'> {
    const result = new Map<string, 'old' | 'new' | 'mixed'>();
    for (let index = 0; index < SPEC_COUNT; index++) {
      const states = outputsOf(index).map((output) => {
        const file = outputPath(index, output);
        const content = readFileSync(join(root, file), 'utf8');
        if (content === oldContent.get(file)) return 'old';
        if (content === newContent.get(file)) return 'new';
        throw new Error(`${file} is neither the old nor the new content (${content.length} chars)`);
      });
      result.set(`demo/s${index}`, states.every((s) => s === 'old') ? 'old' : states.every((s) => s === 'new') ? 'new' : 'mixed');
    }
    return result;
  }

  /** Every spec's lock entry describes exactly its files: the old generation or the new one, never a mix. */
  function expectLockMatchesFiles(root: string, lock: LockFile, pendingSpec?: string): void {
    const byVersion = versions(root);
    for (const id of SPEC_IDS) {
      const entry = lock.specs[id];
      expect(entry, `lock entry of ${id}`).toBeDefined();
      const version = entry!.fingerprint === newFingerprints.get(id) ? 'new' : entry!.fingerprint === oldFingerprints.get(id) ? 'old' : 'unknown';
      expect(version, `fingerprint of ${id}`).not.toBe('unknown');
      const files = byVersion.get(id);
      // The journal holds this spec's new files and entry (its files and lock entry may be either, while the
      // write is in flight): the next run rolls it forward.
      if (id === pendingSpec) continue;
      expect(files, `${id}: files vs lock`).toBe(version);
      for (const [output, recorded] of Object.entries(entry!.outputs)) {
        expect(recorded.hash, `${id} ${output}`).toBe(sha256(readFileSync(join(root, DEMO.root, output), 'utf8')));
      }
    }
  }

  it(`kill -9 at random moments while writing (${ITERATIONS} runs): outputs are old or new, and the lock matches them after recovery`, async () => {
    const hits = { before: 0, middle: 0, after: 0, journal: 0, tempFiles: 0 };
    for (let iteration = 0; iteration < ITERATIONS; iteration++) {
      const root = copyWorkspace(pristine.root);
      try {
        const helper = startHelper(['generate', root, 'new', '0', '60000', String(OUTPUT_BYTES)]);
        await helper.ready;
        // Mostly while writing (between the first answer and the end), sometimes before or just after.
        const delay = askedMs * 0.8 + Math.random() * (completeMs - askedMs * 0.8) * 1.1;
        const timer = setTimeout(() => helper.child.kill('SIGKILL'), delay);
        const exit = await helper.exit;
        clearTimeout(timer);
        expect(exit.stderr, `iteration ${iteration}`).toBe('');

        // Right after the kill: every output is the old or the new content, the lock is readable, and a spec whose
        // files disagree with its lock entry is the one the journal is about.
        const byVersion = versions(root);
        const lock = readLock(root, DEMO.root);
        const journalPath = join(root, DEMO.root, JOURNAL_FILE_NAME);
        const journal = existsSync(journalPath) ? (JSON.parse(readFileSync(journalPath, 'utf8')) as { specId: string }) : undefined;
        if (journal) hits.journal++;
        expectLockMatchesFiles(root, lock, journal?.specId);
        const stray = readdirSync(join(root, DEMO.root, 'src')).filter((name) => name.startsWith('.specwright-tmp-'));
        hits.tempFiles += stray.length;
        const fresh = [...byVersion.values()].filter((v) => v === 'new').length;
        if (exit.signal === null) hits.after++;
        else if (fresh === 0 && !journal) hits.before++;
        else hits.middle++;

        // The next run finishes the interrupted write (without asking any model) and leaves every spec consistent.
        const recovery = await runDemo(root, { provider: forbiddenProvider() });
        expect(recovery.failures).toEqual([]);
        expect(existsSync(journalPath)).toBe(false);
        expect(existsSync(join(root, DEMO.root, RUN_LOCK_FILE_NAME))).toBe(false);
        expectLockMatchesFiles(root, readLock(root, DEMO.root));
        const check = await runDemo(root, { mode: 'check' });
        expect(check.failures).toEqual([]);
        expect(new Set(check.outcomes.map((outcome) => outcome.state))).toSatisfy((states: Set<string>) => [...states].every((state) => state === 'fresh' || state === 'stale'));

        // And a full run then completes exactly what is left.
        const provider = localProvider((specId, output) => versionedSource(specId, output, 'new', OUTPUT_BYTES));
        const final = await runDemo(root, { provider });
        expect(final.ok).toBe(true);
        expect(provider.calls).toBe(check.outcomes.filter((outcome) => outcome.state === 'stale').length);
        expect([...versions(root).values()].every((v) => v === 'new')).toBe(true);
        expectLockMatchesFiles(root, readLock(root, DEMO.root));
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    }
    console.log(`kill -9: ${ITERATIONS} runs (after READY, the first model request comes at ${askedMs.toFixed(0)} ms and a complete run ends at ${completeMs.toFixed(0)} ms): killed before writing ${hits.before}, in the middle ${hits.middle} (journal pending ${hits.journal}), finished first ${hits.after}; stray .specwright-tmp-* files left ${hits.tempFiles}`);
    expect(hits.middle, 'no kill landed in the middle of writing: the test did not test anything').toBeGreaterThan(0);
  }, 180_000);

  it('two generate runs at once on the same project: the second waits, then finds everything fresh', async () => {
    const root = copyWorkspace(pristine.root);
    try {
      const first = startHelper(['generate', root, 'new', '300', '60000', String(OUTPUT_BYTES)]);
      const second = startHelper(['generate', root, 'new', '300', '60000', String(OUTPUT_BYTES)]);
      const exits = await Promise.all([first.exit, second.exit]);
      for (const exit of exits) {
        expect(exit.stderr).toBe('');
        expect(exit.code).toBe(0);
      }
      const calls = exits.map((exit) => Number(/DONE true (\d+)/.exec(exit.stdout)?.[1]));
      expect(calls.sort()).toEqual([0, SPEC_COUNT]);
      const lock = readLock(root, DEMO.root);
      expectLockMatchesFiles(root, lock);
      expect([...versions(root).values()].every((v) => v === 'new')).toBe(true);
      // One run wrote every entry: no interleaving of the two runs' lock updates.
      expect(new Set(Object.values(lock.specs).map((entry) => entry.generation.runId)).size).toBe(1);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);

  it('two generate runs at once with a short lock wait: the second fails cleanly, naming the other run', async () => {
    const root = copyWorkspace(pristine.root);
    try {
      const first = startHelper(['generate', root, 'new', '400', '100', String(OUTPUT_BYTES)]);
      const second = startHelper(['generate', root, 'new', '400', '100', String(OUTPUT_BYTES)]);
      const exits = await Promise.all([first.exit, second.exit]);
      const failed = exits.filter((exit) => exit.code !== 0);
      expect(failed).toHaveLength(1);
      expect(failed[0]?.code).toBe(3);
      expect(failed[0]?.stdout).not.toContain('DONE');
      expect(failed[0]?.stderr).toMatch(/^libs\/demo\/\.specwright-run\.lock: another Specwright run \(pid (\d+)\) is writing project libs\/demo\n\s+expected: one generate run per project at a time\n\s+fix: wait for pid \1 to finish, then run again\n$/);
      expect(exits.find((exit) => exit.code === 0)?.stdout).toContain(`DONE true ${SPEC_COUNT}`);
      const lock = readLock(root, DEMO.root);
      expectLockMatchesFiles(root, lock);
      expect(new Set(Object.values(lock.specs).map((entry) => entry.generation.runId)).size).toBe(1);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('faults: outputs that cannot be written', () => {
  const SPEC_FILE = 'libs/demo/src/round.spec.yaml';
  const OUTPUT = 'libs/demo/src/round.ts';

  async function staleWorkspace(): Promise<TempWorkspace> {
    const ws = tempWorkspace({ 'libs/demo/package.json': PACKAGE_JSON('demo'), [SPEC_FILE]: ROUND_SPEC });
    expect((await runDemo(ws.root, { provider: localProvider(() => ROUND_IMPL) })).ok).toBe(true);
    ws.write(SPEC_FILE, ROUND_SPEC.replace('ties to even.', 'ties to even, always.'));
    return ws;
  }

  /**
   * A read-only output. Tests run as root here, and root writes through chmod 444; the file is made immutable
   * with `chattr +i` instead (root cannot write, rename over or delete it), which fails exactly like a read-only
   * file does for a normal user. Other users get chmod 444.
   */
  it('a read-only output file', async (context) => {
    const ws = await staleWorkspace();
    const absolute = join(ws.root, OUTPUT);
    const asRoot = process.getuid?.() === 0;
    try {
      if (asRoot) {
        const chattr = spawnSync('chattr', ['+i', absolute], { encoding: 'utf8' });
        if (chattr.status !== 0) context.skip(`running as root and chattr +i is not available (${(chattr.stderr || chattr.error?.message || '').trim()}): root writes through chmod 444, so a read-only file cannot be made`);
      } else {
        spawnSync('chmod', ['444', absolute]);
      }
      const before = snapshotTree(ws.root);
      const provider = localProvider(() => ROUND_IMPL.replace('quotient', 'q').replace('quotient', 'q'));
      const result = await runDemo(ws.root, { provider });
      expect(result.ok).toBe(false);
      expect(provider.calls).toBe(1);
      expect(result.outcomes[0]).toMatchObject({ id: 'demo/round', result: 'failed' });
      expect(result.outcomes[0]?.message).toMatch(/^libs\/demo\/src\/round\.ts: cannot write libs\/demo\/src\/round\.ts: (EPERM|EACCES)\n\s+expected: a writable output file\n\s+fix: make it writable/);
      expect(treeChanges(before, snapshotTree(ws.root))).toEqual([]);
    } finally {
      if (asRoot) spawnSync('chattr', ['-i', absolute]);
      ws.cleanup();
    }
  });

  // Regression: a folder where an output should be used to escape runPipeline in every mode (check too) as the
  // bare `EISDIR: illegal operation on a directory, read`. Expected: a SpecwrightError naming the path and the fix.
  it('an output path taken by a directory', async () => {
    const ws = await staleWorkspace();
    try {
      unlinkSync(join(ws.root, OUTPUT));
      mkdirSync(join(ws.root, OUTPUT));
      writeFileSync(join(ws.root, OUTPUT, 'keep.txt'), 'a folder where the output should be\n');
      const before = snapshotTree(ws.root);
      let error: unknown;
      let message = '';
      try {
        const result = await runDemo(ws.root, { provider: localProvider(() => ROUND_IMPL) });
        expect(result.ok).toBe(false);
        message = [...result.failures.map((f) => f.error.format()), ...result.outcomes.map((o) => o.message ?? '')].join('\n');
      } catch (thrown) {
        error = thrown;
        message = isSpecwrightError(thrown) ? thrown.format() : String(thrown);
      }
      expect(treeChanges(before, snapshotTree(ws.root))).toEqual([]);
      expect(error === undefined || isSpecwrightError(error), `a bare error escaped the pipeline: ${message}`).toBe(true);
      expect(message).toMatch(/libs\/demo\/src\/round\.ts/);
      expect(message).toMatch(/fix: /);
    } finally {
      ws.cleanup();
    }
  });
});
