import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { problemsOf, SpecwrightError } from './errors';
import { parseSpec, SPEC_SCHEMA_AJV_OPTIONS } from './parse';

const location = { file: 'libs/demo/src/round.spec.yaml', projectRoot: 'libs/demo', project: 'demo' };
const VALID = `id: demo/round
description: Round half to even.
outputs: [round.ts]
exports:
  - name: roundHalfEven
    params:
      - name: value
        schema: { type: integer }
    returns:
      schema: { type: integer }
examples:
  - export: roundHalfEven
    args: [1]
    expect: 1
`;

function errorOf(source: string): SpecwrightError {
  try {
    parseSpec(source, location);
  } catch (error) {
    expect(error).toBeInstanceOf(SpecwrightError);
    return error as SpecwrightError;
  }
  throw new Error('expected the spec to be rejected');
}

describe('parseSpec', () => {
  it('ships a spec schema that is valid draft-07 (the parser compiles it without checking that again)', () => {
    const ajv = new Ajv(SPEC_SCHEMA_AJV_OPTIONS);
    const schema = JSON.parse(readFileSync(join(__dirname, '../spec.schema.json'), 'utf8')) as object;
    expect(ajv.validateSchema(schema), JSON.stringify(ajv.errors)).toBe(true);
    expect(() => ajv.compile(schema)).not.toThrow();
  });

  it('fills defaults and resolves paths against the spec file', () => {
    const parsed = parseSpec(VALID, location);
    expect(parsed.outputFiles).toEqual(['libs/demo/src/round.ts']);
    expect(parsed.spec.constraints).toEqual({ rules: [], allowedImports: [], capabilities: [], pure: false, security: false });
    expect(parsed.spec.exports[0]?.throws).toEqual([]);
    expect(parsed.spec.dependsOn).toEqual([]);
  });

  it('names line and column of a YAML syntax error', () => {
    const error = errorOf('id: demo/x\ndescription: "unterminated\noutputs: [a.ts]\n');
    expect(error.file).toBe(location.file);
    expect(error.line).toBeGreaterThanOrEqual(2);
    expect(error.message).toMatch(/YAML syntax error/);
  });

  it('rejects a tab used for indentation with its position', () => {
    const error = errorOf('id: demo/x\nexports:\n\t- name: f\n');
    expect(error.line).toBe(3);
    expect(error.format()).toContain('libs/demo/src/round.spec.yaml:3:');
  });

  it('rejects duplicate keys', () => {
    const error = errorOf(`${VALID}id: demo/again\n`);
    expect(error.message).toMatch(/YAML syntax error.*(unique|duplicate)/i);
    expect(error.line).toBe(15);
  });

  it('rejects an empty file and a non-mapping', () => {
    expect(errorOf('').message).toMatch(/empty/);
    expect(errorOf('- a\n- b\n').message).toMatch(/must be a YAML mapping/);
  });

  it('points at the offending field of a schema violation', () => {
    const error = errorOf(VALID.replace('schema: { type: integer }\n    returns', 'schema: { type: integer }\n        colour: red\n    returns'));
    expect(error.message).toBe('exports[0].params[0]: unknown field `colour`');
    expect(error.line).toBe(9);
    expect(error.column).toBe(9);
    expect(error.fix).toContain('libs/demo/src/round.spec.yaml');
  });

  it('reports a wrong type at the value', () => {
    const error = errorOf(VALID.replace('outputs: [round.ts]', 'outputs: round.ts'));
    expect(error.message).toBe('outputs: must be array — a list, e.g. `outputs: [round.ts]`');
    expect(error.line).toBe(3);
    expect(error.expected).toBe('a value of type array');
  });

  it('reports a missing required field at its parent', () => {
    const error = errorOf(VALID.replace('description: Round half to even.\n', ''));
    expect(error.message).toBe('missing required field `description`');
    expect(error.line).toBe(1);
  });

  it('refuses outputs that escape the project', () => {
    const error = errorOf(VALID.replace('outputs: [round.ts]', 'outputs: [../../other/round.ts]'));
    expect(error.message).toMatch(/outside project demo/);
    expect(error.line).toBe(3);
  });

  it('refuses a contract type without a types file, and examples calling unknown exports', () => {
    expect(errorOf(VALID.replace('schema: { type: integer }\n    returns', 'type: Money\n    returns')).message).toMatch(/no `types` file/);
    expect(errorOf(VALID.replace('- export: roundHalfEven', '- export: roundHalfUp')).message).toMatch(/does not export/);
    expect(errorOf(VALID.replace('args: [1]', 'args: [1, 2]')).message).toMatch(/takes 1/);
  });

  it('stops anchor bombs and oversized specs', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]'].join('\n');
    expect(errorOf(bomb).message).toMatch(/alias|expanded|YAML/i);
    expect(errorOf(`${VALID}# ${'x'.repeat(300 * 1024)}\n`).message).toMatch(/bytes/);
  });
});

describe('parseSpec: every problem at once, with hints', () => {
  const problems = (source: string, fileExists?: (path: string) => boolean) => {
    try {
      parseSpec(source, location, fileExists ? { fileExists } : {});
    } catch (error) {
      return problemsOf(error as SpecwrightError);
    }
    throw new Error('expected the spec to be rejected');
  };

  it('reports four unrelated mistakes in one run, each at its own line:column, in file order', () => {
    const source = `id: demo/round
description: Round half to even.
output: [round.ts]
exports:
  - name: roundHalfEven
    params:
      - name: value
        schema: { type: integer }
    returns: { type: string }
constraints:
  purity: true
examples:
  - export: roundHalfEven
    args: [1, 2]
    expect: 1
tests: [round.test.ts]
`;
    const found = problems(source, () => false);
    expect(found.map((problem) => `${problem.line}:${problem.column} ${problem.message}`)).toEqual([
      '3:1 unknown field `output` — did you mean `outputs`?',
      '9:22 returns of "roundHalfEven" says `type: string` — inline JSON Schema goes under `schema:`',
      '11:3 constraints: unknown field `purity` — did you mean `pure`?',
      '14:11 example 1 passes 2 argument(s) to roundHalfEven, which takes 1',
      '16:9 test file "round.test.ts" does not exist (libs/demo/src/round.test.ts)',
    ]);
    // No separate "missing outputs" for the misspelled key: the suggestion covers it.
    expect(found.some((problem) => /missing required field `outputs`/.test(problem.message))).toBe(false);
  });

  it('formats all problems with their positions', () => {
    let error: SpecwrightError | undefined;
    try {
      parseSpec(VALID.replace('outputs:', 'output:').replace('description:', 'desc:'), location);
    } catch (caught) {
      error = caught as SpecwrightError;
    }
    const text = error?.format() ?? '';
    expect(text.split('\n').filter((line) => line.startsWith('libs/'))).toHaveLength(2);
    expect(text).toContain('libs/demo/src/round.spec.yaml:2:1: unknown field `desc` — did you mean `description`?');
    expect(text).toContain('libs/demo/src/round.spec.yaml:3:1: unknown field `output` — did you mean `outputs`?');
  });

  it('explains the common confusions', () => {
    const one = (source: string) => problems(source).map((problem) => problem.message);
    expect(one(VALID.replace('returns:\n      schema: { type: integer }', 'returns:\n      type: { type: integer }'))).toEqual([
      expect.stringMatching(/returns\.type: must be string — inline JSON Schema goes under `schema:`/),
    ]);
    expect(one(VALID.replace('returns:\n      schema: { type: integer }', 'returns:\n      schema: { type: integer }\n      type: Money'))).toEqual([expect.stringMatching(/has both `schema` and `type`/)]);
    expect(one(VALID.replace('    expect: 1\n', ''))).toEqual([expect.stringMatching(/examples\[0\]: needs `expect:` or `throws:`/)]);
    expect(one(VALID.replace('    params:\n      - name: value\n        schema: { type: integer }', '    params:\n      value: { schema: { type: integer } }'))).toEqual([
      expect.stringMatching(/params: must be array — `params` is a list/),
    ]);
    expect(one(VALID.replace('id: demo/round', 'id: Demo/RoundHalf'))).toEqual([expect.stringMatching(/id: "Demo\/RoundHalf" does not match/)]);
    expect(problems(VALID.replace('id: demo/round', 'id: Demo/RoundHalf'))[0]?.expected).toContain('`demo/round-half`');
    expect(one(`${VALID}dependencies: [demo/other]\n`)).toEqual(['unknown field `dependencies` — did you mean `dependsOn`?']);
    expect(one(`${VALID}pure: true\n`)).toEqual(['unknown field `pure` — `pure` goes under `constraints:`']);
    expect(one(`${VALID}constraints:\n  capabilities: [filesystem]\n`)).toEqual([expect.stringMatching(/"filesystem" is not one of the allowed values/)]);
    expect(one(VALID.replace('schema: { type: integer }\n    returns', 'type: number\n    returns'))).toEqual([expect.stringMatching(/`type: number` — inline JSON Schema goes under `schema:`/)]);
  });

  it('accepts *.spec.ts test files and checks that listed files exist only when asked', () => {
    const withTest = `${VALID}tests: [round.spec.ts]\n`;
    expect(parseSpec(withTest, location).testFiles).toEqual(['libs/demo/src/round.spec.ts']);
    expect(parseSpec(withTest, location, { fileExists: (path) => path === 'libs/demo/src/round.spec.ts' }).testFiles).toEqual(['libs/demo/src/round.spec.ts']);
    expect(problems(`${VALID}tests: [round.ts.bak]\n`)[0]?.expected).toMatch(/\*\.test\.ts or \*\.spec\.ts/);
  });
});
