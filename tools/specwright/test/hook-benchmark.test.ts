import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUND_IMPL, ROUND_SPEC } from './fixtures';
import { createHookRepo, DEMO, withDemoLib, type HookRepo } from './hook-repo';

/**
 * A measurement, not an assertion on time: how long the pre-commit hook takes on a 20-file commit on this machine,
 * next to the cost of starting Node at all. Printed to the test log ("hook timing"). Only correctness is asserted.
 *
 * Two staged states of one repository are kept as two index files and handed to the hook through GIT_INDEX_FILE
 * (as git itself does for `git commit <paths>`), so the runs can be interleaved: every scenario sees the same
 * machine load. Wall time is what a person waits; CPU time (user + sys of node and its git children, from
 * /usr/bin/time) is what the hook costs on an idle machine, whatever else is running.
 */

const ROUNDS = Number(process.env.SPECWRIGHT_BENCH_ROUNDS ?? 7);
const SPECS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'];
const TIME = '/usr/bin/time';
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

describe('pre-commit hook timing (20-file commits)', () => {
  let repo: HookRepo;
  let fastIndex: string;
  let fullIndex: string;

  beforeAll(async () => {
    repo = createHookRepo();
    await withDemoLib(repo);
    const spec = (name: string) => ROUND_SPEC.replace('demo/round', `demo/${name}`).replace('[round.ts]', `[${name}.ts]`);
    for (const name of SPECS) repo.write(`libs/demo/src/${name}.spec.yaml`, spec(name));
    await repo.generate(DEMO, Object.fromEntries([['demo/round', [{ path: 'round.ts', content: ROUND_IMPL }]], ...SPECS.map((name) => [`demo/${name}`, [{ path: `${name}.ts`, content: ROUND_IMPL }]])]));
    expect(repo.specwright(['review', '--approve', '--all']).status).toBe(0);
    repo.git(['add', '-A']);
    expect(repo.commit('base').status).toBe(0);

    // State 1: 20 hand-written files, nothing Specwright owns.
    for (let index = 0; index < 20; index++) repo.write(`libs/demo/src/notes/note-${index}.ts`, `export const note${index} = ${index};\n`);
    repo.git(['add', '-A']);
    fastIndex = join(repo.root, '.git', 'bench-fast-index');
    copyFileSync(join(repo.root, '.git', 'index'), fastIndex);
    repo.git(['reset', '-q']);
    rmSync(join(repo.root, 'libs/demo/src/notes'), { recursive: true });

    // State 2: 6 specs edited and regenerated (6 specs + 6 outputs + the lock) + 7 hand-written files = 20 files,
    // reviewed with `specwright review --approve`, which also fills the hook's cache.
    for (const [index, name] of SPECS.entries()) {
      const path = `libs/demo/src/${name}.spec.yaml`;
      repo.write(path, repo.read(path).replace('ties to even.', `ties to even (revision ${index}).`));
    }
    await repo.generate(DEMO, Object.fromEntries(SPECS.map((name) => [`demo/${name}`, [{ path: `${name}.ts`, content: `${ROUND_IMPL}// v2\n` }]])));
    for (let index = 0; index < 7; index++) repo.write(`libs/demo/src/more/more-${index}.ts`, `export const more${index} = ${index};\n`);
    expect(repo.specwright(['review', '--approve', '--all']).status).toBe(0);
    repo.git(['add', '-A']);
    expect(repo.git(['diff', '--cached', '--name-only']).output.trim().split('\n')).toHaveLength(20);
    fullIndex = join(repo.root, '.git', 'bench-full-index');
    copyFileSync(join(repo.root, '.git', 'index'), fullIndex);
  }, 300_000);
  afterAll(() => repo?.cleanup());

  it('measures the fast path and the full check, interleaved with Node start-up alone', () => {
    const hookEntry = join(repo.root, 'tools/specwright/src/review/hook-entry.cjs');
    const scenarios: { label: string; args: string[]; env: NodeJS.ProcessEnv; expect?: string }[] = [
      { label: 'node -e 0 (start-up floor)', args: ['-e', '0'], env: {} },
      { label: '20 files, no spec/lock/generated file (fast path)', args: [hookEntry, 'pre-commit'], env: { GIT_INDEX_FILE: fastIndex }, expect: 'no generated file, spec or lock involved' },
      { label: '20 files incl. 6 specs + 6 outputs + lock (warm cache)', args: [hookEntry, 'pre-commit'], env: { GIT_INDEX_FILE: fullIndex }, expect: '0 spec(s) parsed' },
      { label: '20 files incl. 6 specs + 6 outputs + lock (cache off)', args: [hookEntry, 'pre-commit'], env: { GIT_INDEX_FILE: fullIndex, SPECWRIGHT_HOOK_CACHE: 'off' }, expect: '7 spec(s) parsed' },
    ];
    const withTime = existsSync(TIME);
    const results = scenarios.map(() => ({ wall: [] as number[], cpu: [] as number[], note: '' }));
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GIT_')));
    for (let round = -1; round < ROUNDS; round++) {
      scenarios.forEach((scenario, index) => {
        const command = withTime ? TIME : process.execPath;
        const args = withTime ? ['-f', 'cpu %U %S', process.execPath, ...scenario.args] : scenario.args;
        const started = performance.now();
        const result = spawnSync(command, args, { cwd: repo.root, env: { ...env, SPECWRIGHT_HOOK_TIMING: '1', ...scenario.env }, encoding: 'utf8' });
        const wall = performance.now() - started;
        expect(result.status, result.stderr).toBe(0);
        if (scenario.expect) expect(result.stderr).toContain(scenario.expect);
        if (round < 0) return; // warm-up: compiled-module cache, OS file cache
        const cpu = /cpu ([\d.]+) ([\d.]+)/.exec(result.stderr);
        const slot = results[index] as (typeof results)[number];
        slot.wall.push(wall);
        if (cpu) slot.cpu.push((Number(cpu[1]) + Number(cpu[2])) * 1000);
        slot.note = (result.stderr.split('\n').find((line) => line.startsWith('specwright pre-commit')) ?? '').replace('specwright pre-commit: ', '');
      });
    }
    const load = existsSync('/proc/loadavg') ? spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.trim() : 'n/a';
    const rows = scenarios.map((scenario, index) => {
      const { wall, cpu, note } = results[index] as (typeof results)[number];
      const cpuText = cpu.length ? `cpu ${median(cpu).toFixed(0).padStart(4)} ms` : '';
      return `${scenario.label.padEnd(56)} wall median ${median(wall).toFixed(0).padStart(4)} ms (min ${Math.min(...wall).toFixed(0).padStart(4)})  ${cpuText}   ${note}`;
    });
    console.log(['', `hook timing: ${ROUNDS} interleaved rounds, load average ${load}`, ...rows, ''].join('\n'));
  }, 600_000);
});
