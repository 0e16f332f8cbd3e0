import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { normalizeOptions } from '../src/options';
import type { RunRequest } from '../src/run';

/** The repository this test file lives in. */
export const REPO_ROOT = resolve(__dirname, '../../..');

export interface TempWorkspace {
  root: string;
  write(path: string, content: string): void;
  cleanup(): void;
}

/** A throwaway workspace with the real spec schema and tsconfig; node_modules points at the repository's. */
export function tempWorkspace(files: Record<string, string> = {}): TempWorkspace {
  const root = mkdtempSync(join(tmpdir(), 'specwright-test-'));
  const write = (path: string, content: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  };
  write('nx.json', JSON.stringify({ plugins: [] }));
  cpSync(join(REPO_ROOT, 'tsconfig.base.json'), join(root, 'tsconfig.base.json'));
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  for (const [path, content] of Object.entries(files)) write(path, content);
  return { root, write, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export const ROUND_SPEC = `id: demo/round
description: Round a fraction numerator/denominator to the nearest integer, ties to even.
outputs: [round.ts]
exports:
  - name: roundHalfEven
    params:
      - name: numerator
        schema: { type: integer, minimum: -1000000, maximum: 1000000 }
      - name: denominator
        schema: { type: integer, minimum: 1, maximum: 1000 }
    returns:
      schema: { type: integer }
constraints:
  pure: true
examples:
  - export: roundHalfEven
    args: [5, 2]
    expect: 2
  - export: roundHalfEven
    args: [7, 2]
    expect: 4
`;

export const ROUND_IMPL = `export function roundHalfEven(numerator: number, denominator: number): number {
  const quotient = Math.floor(numerator / denominator);
  const remainder = numerator - quotient * denominator;
  const twice = remainder * 2;
  if (twice < denominator) return quotient;
  if (twice > denominator) return quotient + 1;
  return quotient % 2 === 0 ? quotient : quotient + 1;
}
`;

export const PACKAGE_JSON = (name: string) => JSON.stringify({ name, version: '0.0.0', private: true });

/** The project of the demo workspace (`tempWorkspace` with ROUND_SPEC under libs/demo). */
export const DEMO_PROJECT = { name: 'demo', root: 'libs/demo' };

/** A writing run of the demo project against a fake OpenAI-compatible server: what the pipeline tests start from. */
export function demoWriteRequest(workspaceRoot: string, serverUrl: string, log: (line: string) => void = () => undefined): RunRequest {
  return {
    workspaceRoot,
    projects: [DEMO_PROJECT],
    options: normalizeOptions({ provider: 'openai', maxRetries: 0, timeoutMs: 5_000, model: 'test-model' }),
    mode: 'write',
    env: { OPENAI_BASE_URL: serverUrl, OPENAI_API_KEY: 'test-key' },
    log,
  };
}
