import { describe, expect, it } from 'vitest';
import { SpecwrightError } from './errors';
import { parseSpec } from './parse';

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
    expect(error.message).toBe('exports[0].params[0]: unknown field "colour"');
    expect(error.line).toBe(9);
    expect(error.column).toBe(9);
    expect(error.fix).toContain('libs/demo/src/round.spec.yaml');
  });

  it('reports a wrong type at the value', () => {
    const error = errorOf(VALID.replace('outputs: [round.ts]', 'outputs: round.ts'));
    expect(error.message).toBe('outputs: must be array');
    expect(error.line).toBe(3);
    expect(error.expected).toBe('a value of type array');
  });

  it('reports a missing required field at its parent', () => {
    const error = errorOf(VALID.replace('description: Round half to even.\n', ''));
    expect(error.message).toBe('missing required field "description"');
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
