import { appendFileSync, statSync, truncateSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { beforeEach } from 'vitest';
import { ensureLocalDir } from '../../runs/local-dir';
import { guardState, resetCalls } from './runtime';
import { decideVerdict, formatVerdict, type TestFailure } from './verdict';

/**
 * The vitest setup file the guards plugin adds when SPECWRIGHT_GUARDS=1: each test starts with an empty call log;
 * when it fails, the verdict is decided from the guarded calls and appended to the failure (so it is printed
 * with the assertion) and to `.specwright/guards/verdicts.jsonl` (git-ignored, bounded).
 */

const VERDICT_LOG_LIMIT = 1024 * 1024;

function workspaceRootOfRun(): string | undefined {
  for (const contract of guardState().modules.values()) return contract.workspaceRoot;
  return undefined;
}

beforeEach((context) => {
  resetCalls();
  context.onTestFailed(({ task }) => {
    const errors = (task.result?.errors ?? []) as (TestFailure & { message?: string })[];
    const root = workspaceRootOfRun();
    if (!root) return;
    const contents = new Map([...guardState().modules.values()].map((module) => [module.file, module.content]));
    const verdict = decideVerdict(guardState().calls, errors[0], root, contents);
    if (!verdict) return;
    const text = formatVerdict(verdict);
    if (errors[0]) errors[0].message = `${errors[0].message ?? ''}\n\n${text}`;
    else console.error(text);
    try {
      const dir = ensureLocalDir(root, 'guards');
      const file = join(dir, 'verdicts.jsonl');
      try {
        if (statSync(file).size > VERDICT_LOG_LIMIT) truncateSync(file, 0);
      } catch {
        // No log yet.
      }
      appendFileSync(file, `${JSON.stringify({ test: task.name, file: task.file?.filepath ? relative(root, task.file.filepath).split(sep).join('/') : undefined, time: new Date().toISOString(), verdict })}\n`);
    } catch {
      // The verdict is already in the test's output; a read-only workspace must not fail the run.
    }
  });
});
