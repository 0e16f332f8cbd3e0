import { describe, expect, it } from 'vitest';
import { normalizeOptions } from '../options';
import { thresholdFor } from './commands';
import { mutantsOf, sample } from './mutants';

describe('mutants from Stryker', () => {
  it('applies each mutant to its own copy, with 1-based positions in the file as written', async () => {
    const source = '// header\nexport function atLeast(a: number, b: number): boolean {\n  if (a < b) throw new RangeError(`too small: ${a}`);\n  return a >= b;\n}\n';
    const mutants = await mutantsOf('x.ts', source);
    const boundary = mutants.find((mutant) => mutant.original === 'a >= b' && mutant.replacement === 'a > b');
    expect(boundary).toMatchObject({ file: 'x.ts', line: 4, column: 10, mutator: 'EqualityOperator' });
    expect(boundary?.content).toBe(source.replace('return a >= b;', 'return a > b;'));
    // The message text is listed but not run; the condition before it is.
    expect(mutants.find((mutant) => mutant.mutator === 'StringLiteral')?.ignored).toMatch(/error message/);
    expect(mutants.some((mutant) => mutant.original === 'a < b' && !mutant.ignored)).toBe(true);
  });

  it('samples evenly and deterministically', () => {
    expect(sample([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3)).toEqual([0, 3, 6]);
    expect(sample([1, 2], 5)).toEqual([1, 2]);
  });
});

describe('strength thresholds', () => {
  it('takes --threshold, else the project option, else the workspace option', () => {
    const options = normalizeOptions({ strengthThreshold: 60, strengthThresholds: { money: 85 } });
    expect(thresholdFor(options, 'money')).toBe(85);
    expect(thresholdFor(options, 'text')).toBe(60);
    expect(thresholdFor(options, 'money', 95)).toBe(95);
    expect(thresholdFor(normalizeOptions({}), 'text')).toBe(0);
  });
});
