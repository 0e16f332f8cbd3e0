import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFrames, resolveFramePath } from './stack';

describe('parseFrames', () => {
  it('reads V8 frames, file:// URLs, vitest ❯ lines and bare file:line:col, and splits failures into stacks', () => {
    const text = [
      ' FAIL  |money| src/caller.test.ts > splits a bill',
      '\u001b[31mRangeError: ratios[2] must be a non-negative safe integer, got -1\u001b[39m',
      ' ❯ allocate src/allocate.ts:19:13',
      '     17|   for (const [i, ratio] of ratios.entries()) {',
      ' ❯ src/split-bill.ts:5:10',
      '',
      '\u001b[41m\u001b[1m FAIL \u001b[22m\u001b[49m \u001b[30m\u001b[42m invoice-cli \u001b[49m\u001b[39m src/totals.test.ts\u001b[2m > \u001b[22madds up',
      'Error: boom',
      '    at computeTotals (/w/apps/invoice-cli/src/totals.ts:30:17)',
      '    at file:///w/apps/invoice-cli/src/totals.test.ts:12:5',
      '    at async run (node:internal/process/task_queues:95:5)',
      'src/main.ts:7',
    ].join('\n');
    const frames = parseFrames(text);
    expect(frames.map((f) => [f.fn, f.path, f.line, f.column, f.project, f.stack])).toEqual([
      ['allocate', 'src/allocate.ts', 19, 13, 'money', 0],
      [undefined, 'src/split-bill.ts', 5, 10, 'money', 0],
      ['computeTotals', '/w/apps/invoice-cli/src/totals.ts', 30, 17, 'invoice-cli', 1],
      [undefined, '/w/apps/invoice-cli/src/totals.test.ts', 12, 5, 'invoice-cli', 1],
      ['run', 'node:internal/process/task_queues', 95, 5, 'invoice-cli', 1],
      [undefined, 'src/main.ts', 7, undefined, 'invoice-cli', 1],
    ]);
  });
});

describe('resolveFramePath', () => {
  const root = mkdtempSync(join(tmpdir(), 'specwright-stack-'));
  mkdirSync(join(root, 'libs/money/src'), { recursive: true });
  mkdirSync(join(root, 'libs/text/src'), { recursive: true });
  writeFileSync(join(root, 'libs/money/src/allocate.ts'), '');
  writeFileSync(join(root, 'libs/text/src/index.ts'), '');
  writeFileSync(join(root, 'libs/money/src/index.ts'), '');
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const context = { workspaceRoot: root, cwd: root, projectRoots: new Map([['money', 'libs/money'], ['text', 'libs/text']]) };

  it('makes absolute and project-relative paths workspace-relative, preferring the project vitest named', () => {
    expect(resolveFramePath(join(root, 'libs/money/src/allocate.ts'), context)).toBe('libs/money/src/allocate.ts');
    expect(resolveFramePath('src/allocate.ts', context)).toBe('libs/money/src/allocate.ts');
    expect(resolveFramePath('src/index.ts', context, 'text')).toBe('libs/text/src/index.ts');
    expect(resolveFramePath('src/index.ts', context, 'money')).toBe('libs/money/src/index.ts');
    expect(resolveFramePath('/elsewhere/x.ts', context)).toBeUndefined();
    expect(resolveFramePath('src/deleted.test.ts', context, 'money')).toBe('libs/money/src/deleted.test.ts');
  });
});
