import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchResult } from './bench';
import { main } from './main';
import { formatTable } from './report';

/**
 * Proves the harness works: the documented command at the quick size, once. Asserts structure and counts only —
 * never times (benchmarks are measurements, and this machine is shared). The project-graph measurement is left out
 * here to keep the test short (it is a dozen more nx runs); `--size quick` runs it.
 */
describe('bench harness', () => {
  it('runs the quick size: check vs floor, verify-spec vs its floor, generation (requests = stale, then 0), the pre-commit slot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'specwright-bench-test-'));
    try {
      const json = join(dir, 'quick.json');
      const code = await main(['--size', 'quick', '--only', 'check,verify,generate,hook', '--no-inline-floor', '--latency', '300', '--json', json]);
      expect(code).toBe(0);
      const result = JSON.parse(readFileSync(json, 'utf8')) as BenchResult;
      expect(result.problems).toEqual([]);
      expect(result.meta.options).toMatchObject({ specs: 40, projects: 4, stale: 8, concurrency: 8 });

      expect(result.check?.status).toBe(0);
      expect(result.check?.freshMs).toHaveLength(1);
      expect(result.check?.freshColdMs).toHaveLength(1);
      expect(result.check?.floorMs).toHaveLength(1);
      expect(result.check?.cachedMs).toHaveLength(1);
      expect(result.check?.ratio).toBeGreaterThan(0);

      // verify-spec: every spec verified, and its floor (one vitest run over the same 40 test files + tsc) passed
      expect(result.verify).toMatchObject({ status: 0, vitestStatus: 0, tscStatus: 0, testFiles: 40, specsVerified: 40 });
      expect(result.verify?.ratio).toBeGreaterThan(0);
      expect(Object.keys(result.verify?.gateMs ?? {})).toEqual(expect.arrayContaining(['types', 'examples', 'tests']));

      expect(result.generate).toMatchObject({ stale: 8, requests: 8, faultsInjected: 0, status: 0, secondRequests: 0, secondStatus: 0, idealMs: 300 });

      if (result.hook?.available) {
        expect(result.hook).toMatchObject({ files: 20, status: 0 });
        expect(result.hook.ms).toHaveLength(3);
      } else {
        expect(result.hook?.reason).toMatch(/pre-commit/);
      }

      expect(result.targets.map((target) => target.name)).toEqual(['fresh check / floor', 'fresh check, cold spec YAML cache / floor', 'cached check / cached floor', 'verify-spec / floor (vitest run + tsc)', 'generation / ideal', 'pre-commit (20 files)', 'peak RSS (largest process)']);
      const table = formatTable(result);
      expect(table).toContain('fresh check / floor');
      expect(table).toContain('model requests (first run)');
      expect(table).toContain('verify-spec / floor');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 420_000);
});
