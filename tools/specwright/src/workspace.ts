import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SpecwrightError } from './errors';

/** The nearest folder upwards that holds nx.json. */
export function findWorkspaceRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) {
      throw new SpecwrightError(`no nx.json in ${from} or any folder above it`, { expected: 'to run inside an Nx workspace', fix: 'cd into the workspace', code: 'NO_WORKSPACE' });
    }
  }
}

/** The Specwright plugin's options from nx.json, so the CLI behaves like the inferred targets. */
export function readPluginOptions(workspaceRoot: string): Record<string, unknown> {
  const nxJson = JSON.parse(readFileSync(join(workspaceRoot, 'nx.json'), 'utf8')) as { plugins?: (string | { plugin: string; options?: Record<string, unknown> })[] };
  for (const entry of nxJson.plugins ?? []) {
    if (typeof entry === 'object' && entry.plugin === '@specwright/nx') return entry.options ?? {};
  }
  return {};
}
