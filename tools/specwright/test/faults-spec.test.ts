import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSpecwrightError, type SpecwrightError } from '../src/errors';
import type { RunMode } from '../src/run';
import { forbiddenProvider, localProvider, runDemo, snapshotTree, treeChanges } from './crash-support';
import { PACKAGE_JSON, ROUND_IMPL, ROUND_SPEC, tempWorkspace, type TempWorkspace } from './fixtures';

/**
 * Broken specs. Every case runs the real pipeline (check, then write with a model that must not be asked) over a
 * workspace whose valid spec is already generated, and asserts: one clear SpecwrightError naming the file, the
 * position where one applies, what was expected and what to do — and not one byte of the workspace changed.
 */
const BROKEN = 'libs/demo/src/broken.spec.yaml';

interface Expected {
  file: string;
  message: RegExp;
  code: string;
  line?: number;
  column?: number;
}

describe('faults: broken specs fail alone, clearly, and change nothing', () => {
  let ws: TempWorkspace;

  beforeEach(async () => {
    ws = tempWorkspace({ 'libs/demo/package.json': PACKAGE_JSON('demo'), 'libs/demo/src/round.spec.yaml': ROUND_SPEC });
    const generated = await runDemo(ws.root, { provider: localProvider(() => ROUND_IMPL) });
    expect(generated.ok).toBe(true);
  });
  afterEach(() => ws.cleanup());

  /** The errors a run reports: per-spec failures, or the one error a set-level problem throws. */
  async function errorsOf(mode: RunMode): Promise<{ errors: SpecwrightError[]; threw: boolean; calls: number }> {
    const provider = forbiddenProvider();
    try {
      const result = await runDemo(ws.root, { mode, provider });
      expect(result.ok).toBe(false);
      return { errors: result.failures.map((failure) => failure.error), threw: false, calls: provider.calls };
    } catch (error) {
      expect(isSpecwrightError(error), `a non-Specwright error escaped: ${String((error as Error)?.stack ?? error)}`).toBe(true);
      return { errors: [error as SpecwrightError], threw: true, calls: provider.calls };
    }
  }

  async function expectClearFailure(expected: Expected, setLevel = false): Promise<SpecwrightError> {
    const before = snapshotTree(ws.root);
    let first: SpecwrightError | undefined;
    for (const mode of ['check', 'write'] as const) {
      const { errors, threw, calls } = await errorsOf(mode);
      expect(threw).toBe(setLevel);
      expect(calls).toBe(0);
      expect(errors).toHaveLength(1);
      const error = errors[0] as SpecwrightError;
      expect(error.code).toBe(expected.code);
      expect(error.file).toBe(expected.file);
      expect(error.message).toMatch(expected.message);
      expect(error.fix, 'every error says what to do').toBeTruthy();
      if (expected.line !== undefined) {
        expect({ line: error.line, column: error.column }).toEqual({ line: expected.line, column: expected.column });
        expect(error.format().split('\n')[0]).toMatch(new RegExp(`^${expected.file.replace(/\./g, '\\.')}:${expected.line}:${expected.column}: `));
      }
      expect(error.format()).toContain('fix: ');
      expect(treeChanges(before, snapshotTree(ws.root)), `${mode} run changed the workspace`).toEqual([]);
      first ??= error;
    }
    return first as SpecwrightError;
  }

  it('empty file', async () => {
    ws.write(BROKEN, '\n  \n');
    await expectClearFailure({ file: BROKEN, code: 'SPEC_INVALID', message: /spec file is empty/, line: 1, column: 1 });
  });

  it('not a mapping', async () => {
    ws.write(BROKEN, '# a list, not a spec\n- id: demo/broken\n- outputs: [broken.ts]\n');
    const error = await expectClearFailure({ file: BROKEN, code: 'SPEC_INVALID', message: /spec must be a YAML mapping/, line: 2, column: 1 });
    expect(error.expected).toMatch(/mapping with keys id, description/);
  });

  it('a tab as indentation', async () => {
    ws.write(BROKEN, 'id: demo/broken\ndescription: x\noutputs:\n\t- broken.ts\n');
    await expectClearFailure({ file: BROKEN, code: 'SPEC_INVALID', message: /YAML syntax error: Tabs are not allowed/, line: 4, column: 1 });
  });

  it('a duplicate key', async () => {
    ws.write(BROKEN, 'id: demo/broken\ndescription: x\noutputs: [broken.ts]\ndescription: y\n');
    const error = await expectClearFailure({ file: BROKEN, code: 'SPEC_INVALID', message: /YAML syntax error: Map keys must be unique/, line: 4, column: 1 });
    expect(error.expected).toMatch(/no duplicate keys/);
  });

  it('an anchor bomb (billion laughs) is refused quickly', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let level = 1; level < 9; level++) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
    }
    ws.write(BROKEN, `id: demo/broken\ndescription: x\noutputs: [broken.ts]\n${levels.join('\n')}\n`);
    const started = Date.now();
    const error = await expectClearFailure({ file: BROKEN, code: 'SPEC_INVALID', message: /spec cannot be expanded: Excessive alias count/, line: 1, column: 1 });
    expect(error.expected).toMatch(/at most 50 alias expansions/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('wrong types', async () => {
    ws.write(BROKEN, 'id: demo/broken\ndescription: x\noutputs: broken.ts\nexports: []\n');
    await expectClearFailure({ file: BROKEN, code: 'SPEC_INVALID', message: /^outputs: must be array — a list, e\.g\. `outputs: \[/, line: 3, column: 10 });
    ws.write(BROKEN, 'id: demo/broken\ndescription: x\noutputs: [broken.ts]\nexports:\n  - name: f\n    params: []\n    returns: { schema: 42 }\n');
    await expectClearFailure({ file: BROKEN, code: 'SPEC_INVALID', message: /^exports\[0\]\.returns\.schema: must be object,boolean$/, line: 7, column: 24 });
  });

  it('an unknown field, nested', async () => {
    ws.write(BROKEN, 'id: demo/broken\ndescription: x\noutputs: [broken.ts]\nexports:\n  - name: f\n    params: []\n    returns: { schema: { type: integer } }\nconstraints:\n  pure: true\n  purity: total\n');
    const error = await expectClearFailure({ file: BROKEN, code: 'SPEC_INVALID', message: /^constraints: unknown field `purity` — did you mean `pure`\?$/, line: 10, column: 3 });
    expect(error.expected).toMatch(/only the fields the spec format defines/);
  });

  const TYPED_SPEC = [
    'id: demo/typed',
    'description: Adds cents.',
    'outputs: [typed.ts]',
    'types: ./typed.types.ts',
    'exports:',
    '  - name: addCents',
    '    params:',
    '      - name: a',
    '        type: Cents',
    '    returns:',
    '      type: Money',
    '',
  ].join('\n');

  it('a contract type the types file does not export', async () => {
    ws.write('libs/demo/src/typed.types.ts', 'export interface Cents { value: number }\n');
    ws.write('libs/demo/src/typed.spec.yaml', TYPED_SPEC);
    const error = await expectClearFailure({ file: 'libs/demo/src/typed.spec.yaml', code: 'CONTRACT_TYPE_MISSING', message: /contract addCents\.returns refers to type "Money", which libs\/demo\/src\/typed\.types\.ts does not export/ });
    expect(error.expected).toMatch(/it exports: Cents/);
  });

  // Regression: CONTRACT_TYPE_MISSING used to carry the spec file but no line:column of the `type: Money` node.
  it('a contract type the types file does not export: names the line:column of the reference', async () => {
    ws.write('libs/demo/src/typed.types.ts', 'export interface Cents { value: number }\n');
    ws.write('libs/demo/src/typed.spec.yaml', TYPED_SPEC);
    await expectClearFailure({ file: 'libs/demo/src/typed.spec.yaml', code: 'CONTRACT_TYPE_MISSING', message: /Money/, line: 11, column: 13 });
  });

  it('outputs escaping the project', async () => {
    ws.write(BROKEN, 'id: demo/broken\ndescription: x\noutputs:\n  - ok.ts\n  - ../../other/src/escape.ts\nexports:\n  - name: f\n    params: []\n    returns: { schema: { type: integer } }\n');
    const error = await expectClearFailure({ file: BROKEN, code: 'SPEC_INVALID', message: /output "\.\.\/\.\.\/other\/src\/escape\.ts" resolves to libs\/other\/src\/escape\.ts, outside project demo/, line: 5, column: 5 });
    expect(error.expected).toBe('a path inside libs/demo/');
  });

  it('two specs claiming one output', async () => {
    ws.write(BROKEN, 'id: demo/thief\ndescription: x\noutputs: [round.ts]\nexports:\n  - name: f\n    params: []\n    returns: { schema: { type: integer } }\n');
    const error = await expectClearFailure({ file: 'libs/demo/src/round.spec.yaml', code: 'SPEC_DUPLICATE_OUTPUT', message: /output libs\/demo\/src\/round\.ts is already owned by spec "demo\/thief" \(libs\/demo\/src\/broken\.spec\.yaml\)/, line: 3, column: 11 }, true);
    expect(error.fix).toMatch(/remove libs\/demo\/src\/round\.ts from the outputs of one of the two specs/);
  });

  it('a dependsOn cycle', async () => {
    const spec = (name: string, other: string) => `id: demo/${name}\ndescription: x\noutputs: [${name}.ts]\nexports:\n  - name: f\n    params: []\n    returns: { schema: { type: integer } }\ndependsOn: [demo/${other}]\n`;
    ws.write('libs/demo/src/a.spec.yaml', spec('a', 'b'));
    ws.write('libs/demo/src/b.spec.yaml', spec('b', 'a'));
    const error = await expectClearFailure({ file: 'libs/demo/src/b.spec.yaml', code: 'SPEC_DEPENDENCY_CYCLE', message: /^dependency cycle: demo\/a → demo\/b → demo\/a$/, line: 8, column: 13 }, true);
    expect(error.fix).toMatch(/libs\/demo\/src\/a\.spec\.yaml, libs\/demo\/src\/b\.spec\.yaml/);
  });

  it('a 5 MB spec is refused before parsing', async () => {
    ws.write(BROKEN, `id: demo/broken\noutputs: [broken.ts]\ndescription: |\n${`  ${'x'.repeat(98)}\n`.repeat(52_000)}`);
    const started = Date.now();
    const error = await expectClearFailure({ file: BROKEN, code: 'SPEC_INVALID', message: /^spec is 52\d{5} bytes, more than the 262144 a spec may have$/ });
    expect(error.line).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a spec that breaks leaves its valid neighbour generated and untouched (project still loads)', async () => {
    ws.write(BROKEN, 'id: demo/broken\n');
    const result = await runDemo(ws.root, { mode: 'check', provider: forbiddenProvider() });
    expect(result.outcomes.map((outcome) => [outcome.id, outcome.result])).toEqual([['demo/round', 'fresh']]);
    expect(result.failures.map((failure) => failure.file)).toEqual([BROKEN]);
  });
});
