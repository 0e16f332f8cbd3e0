import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { COMMANDS, main } from '../src/cli';
import { PACKAGE_JSON, ROUND_SPEC, tempWorkspace, type TempWorkspace } from './fixtures';

/** The CLI in-process: its output, its exit code, run from inside a temp workspace. */
async function cli(ws: TempWorkspace | undefined, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void out.push(args.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void err.push(args.join(' ')));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  const cwd = vi.spyOn(process, 'cwd').mockReturnValue(ws?.root ?? process.cwd());
  try {
    const code = await main(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
    cwd.mockRestore();
  }
}

describe('specwright CLI: help, JSON and usage errors', () => {
  let ws: TempWorkspace;
  beforeEach(() => {
    ws = tempWorkspace({ 'libs/demo/package.json': PACKAGE_JSON('demo'), 'libs/demo/src/round.spec.yaml': ROUND_SPEC });
  });
  afterEach(() => ws.cleanup());

  it('--help lists every registered command, with the exit codes', async () => {
    const { code, out } = await cli(ws, '--help');
    expect(code).toBe(0);
    for (const name of COMMANDS.keys()) expect(out).toMatch(new RegExp(`^  ${name} `, 'm'));
    expect(out).toMatch(/Exit codes:[^]*\b2\b/);
    expect([...COMMANDS.keys()]).toEqual(expect.arrayContaining(['generate', 'check', 'dry-run', 'verify', 'review', 'ci-check', 'hook']));
  });

  it('<command> --help prints that command\'s own help, and exits 0 without running it', async () => {
    for (const name of COMMANDS.keys()) {
      const { code, out } = await cli(ws, name, '--help');
      expect(code, name).toBe(0);
      expect(out, name).toContain(`specwright ${name}`);
      expect(out, name).not.toMatch(/^Commands:/m);
    }
    expect((await cli(ws, 'check', '--help')).out).toContain('--json');
    expect((await cli(ws, 'help', 'verify')).out).toContain('--json');
  });

  it('check --json reports every spec and every problem as JSON', async () => {
    ws.write('libs/demo/src/broken.spec.yaml', 'id: demo/broken\ndescription: x\noutput: [b.ts]\nexports:\n  - name: f\n    params: []\n    returns: { type: string }\n');
    const { code, out } = await cli(ws, 'check', '--json');
    expect(code).toBe(1);
    const report = JSON.parse(out);
    expect(report.ok).toBe(false);
    expect(report.specs).toEqual([expect.objectContaining({ id: 'demo/round', state: 'new' })]);
    expect(report.problems.map((problem: { line: number; message: string }) => `${problem.line} ${problem.message}`)).toEqual([
      '3 unknown field `output` — did you mean `outputs`?',
      '7 returns of "f" says `type: string` — inline JSON Schema goes under `schema:`',
    ]);
    expect(report.problems[0]).toMatchObject({ file: 'libs/demo/src/broken.spec.yaml', column: 1, code: 'SPEC_INVALID' });
  });

  it('invalid values and unknown options are usage errors (exit 2) that name the help', async () => {
    const bad = await cli(ws, 'generate', '--concurrency', 'abc');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--concurrency must be a positive integer, got "abc"[^]*specwright generate --help/);
    expect((await cli(ws, 'check', '--concurrency', '0')).code).toBe(2);
    const unknown = await cli(ws, 'check', '--frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/frobnicate[^]*specwright check --help/);
    expect((await cli(ws, 'nonsense')).code).toBe(2);
  });
});
