import { describe, expect, it } from 'vitest';
import { suggestField } from './spec-hints';

const TOP = ['id', 'description', 'outputs', 'types', 'exports', 'constraints', 'examples', 'tests', 'dependsOn', 'model'];
const EXPORT = ['name', 'description', 'params', 'returns', 'throws'];
const EXAMPLE = ['export', 'description', 'args', 'expect', 'throws'];
const CONSTRAINTS = ['rules', 'allowedImports', 'capabilities', 'pure', 'security'];

describe('suggestField: "did you mean" for unknown spec fields', () => {
  it.each([
    // typos and plural/singular slips (edit distance)
    ['descripton', TOP, 'description'],
    ['ouputs', TOP, 'outputs'],
    ['output', TOP, 'outputs'],
    ['example', TOP, 'examples'],
    ['contraints', TOP, 'constraints'],
    ['modle', TOP, 'model'],
    ['param', EXPORT, 'params'],
    ['throw', EXAMPLE, 'throws'],
    ['capability', CONSTRAINTS, 'capabilities'],
    // case and separators
    ['Outputs', TOP, 'outputs'],
    ['depends_on', TOP, 'dependsOn'],
    // another ending of the same word
    ['purity', CONSTRAINTS, 'pure'],
    ['secure', CONSTRAINTS, 'security'],
    // other names for the same thing, by context
    ['parameters', EXPORT, 'params'],
    ['arguments', EXAMPLE, 'args'],
    ['returnType', EXPORT, 'returns'],
    ['expected', EXAMPLE, 'expect'],
    ['result', EXAMPLE, 'expect'],
    ['dependencies', TOP, 'dependsOn'],
    ['imports', CONSTRAINTS, 'allowedImports'],
  ])('%s → %s', (unknown, known, expected) => {
    expect(suggestField(unknown, known)).toBe(expected);
  });

  it('suggests nothing for a field unlike any known one', () => {
    expect(suggestField('colour', EXPORT)).toBeUndefined();
    expect(suggestField('x', TOP)).toBeUndefined();
    expect(suggestField('anything', [])).toBeUndefined();
  });
});
