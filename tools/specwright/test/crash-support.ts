/**
 * Shared helpers of the fault suite (test/faults*.test.ts) and of its child-process helper (test/crash-generate.ts):
 * a demo workspace with generated specs, an in-process provider, and a snapshot of every file of a workspace.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { SpecwrightError } from '../src/errors';
import { normalizeOptions } from '../src/options';
import type { Provider } from '../src/providers';
import { runPipeline, type RunRequest, type RunResult } from '../src/run';

export const DEMO = { name: 'demo', root: 'libs/demo' };

/** path → sha256 of every file (and symlink target) under `root`, without descending into node_modules. */
export function snapshotTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (relative: string): void => {
    for (const entry of readdirSync(join(root, relative), { withFileTypes: true })) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.name === 'node_modules') continue;
      // The run log (.specwright/runs) records every attempt, failed runs included, by design; it is local and
      // git-ignored, not the workspace's content.
      if (!relative && entry.name === '.specwright') continue;
      if (entry.isSymbolicLink()) out.set(path, `link:${readlinkSync(join(root, path))}`);
      else if (entry.isDirectory()) {
        out.set(`${path}/`, 'dir');
        walk(path);
      } else out.set(path, createHash('sha256').update(readFileSync(join(root, path))).digest('hex'));
    }
  };
  walk('');
  return out;
}

/** The differences between two snapshots, one line each (empty when nothing changed). */
export function treeChanges(before: Map<string, string>, after: Map<string, string>): string[] {
  const changes: string[] = [];
  for (const [path, hash] of before) {
    if (!after.has(path)) changes.push(`removed ${path}`);
    else if (after.get(path) !== hash) changes.push(`changed ${path}`);
  }
  for (const path of after.keys()) if (!before.has(path)) changes.push(`added ${path}`);
  return changes.sort();
}

/** The spec id and the outputs a prompt asks for (the spec is in the user message as YAML). */
export function askedFor(messages: { role: string; content: string }[]): { id: string; outputs: string[] } {
  const user = messages[1]?.content ?? '';
  return { id: /^id: (\S+)$/m.exec(user)?.[1] ?? '', outputs: (/^Write: (.+)$/m.exec(user)?.[1] ?? '').split(', ').filter(Boolean) };
}

export interface CountingProvider extends Provider {
  calls: number;
}

/** An in-process provider answering every request with `content(specId, output)` for each asked output. */
export function localProvider(content: (specId: string, output: string) => string, delayMs = 0): CountingProvider {
  const provider: CountingProvider = {
    name: 'replay',
    calls: 0,
    async complete(request) {
      provider.calls++;
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      const { outputs } = askedFor(request.messages);
      const files = outputs.map((path) => ({ path, content: content(request.specId, path) }));
      return { text: JSON.stringify({ files, notes: '' }), model: 'local-model', usage: { promptTokens: 0, completionTokens: 0, cachedTokens: 0 } };
    },
  };
  return provider;
}

/** A provider that must not be called. */
export function forbiddenProvider(): CountingProvider {
  const provider: CountingProvider = {
    name: 'replay',
    calls: 0,
    async complete(request) {
      provider.calls++;
      throw new SpecwrightError(`test: the model must not be asked for ${request.specId}`, { code: 'TEST_NO_MODEL' });
    },
  };
  return provider;
}

export function runDemo(workspaceRoot: string, overrides: Partial<RunRequest> = {}): Promise<RunResult> {
  return runPipeline({
    workspaceRoot,
    projects: [DEMO],
    options: normalizeOptions({ provider: 'replay', model: 'local-model', maxAttempts: 3 }),
    mode: 'write',
    log: () => undefined,
    ...overrides,
  });
}

/** A spec with `outputCount` outputs, each exporting one function; `revision` changes the description (staleness). */
export function multiOutputSpec(id: string, outputs: string[], revision = 1): string {
  return [
    `id: ${id}`,
    `description: Constant functions for the crash tests (revision ${revision}).`,
    `outputs: [${outputs.join(', ')}]`,
    'exports:',
    ...outputs.map((output) => `  - name: ${exportName(output)}\n    params: []\n    returns:\n      schema: { type: integer }`),
    '',
  ].join('\n');
}

export function exportName(output: string): string {
  return `value_${output.replace(/\.ts$/, '').replace(/[^A-Za-z0-9]/g, '_')}`;
}

/** A valid implementation of `output` in version `tag`, padded to about `bytes` so writes take a while. */
export function versionedSource(specId: string, output: string, tag: string, bytes = 0): string {
  const body = `// ${specId} ${output} version ${tag}\nexport function ${exportName(output)}(): number {\n  return ${tag.length};\n}\n`;
  if (bytes <= body.length) return body;
  const line = `// padding for ${tag} ${'.'.repeat(60)}\n`;
  return body + line.repeat(Math.ceil((bytes - body.length) / line.length));
}
