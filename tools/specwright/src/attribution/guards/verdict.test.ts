import { describe, expect, it } from 'vitest';
import { guardExport, guardState, resetCalls } from './runtime';
import type { GuardContract } from './transform';
import { decideVerdict, formatVerdict } from './verdict';

/** The runtime's checks and the verdicts for cases the template run does not cover (undeclared throw, a broken example). */
const contract: GuardContract = {
  specId: 'demo/div',
  specFile: 'libs/demo/src/div.spec.yaml',
  file: 'libs/demo/src/div.ts',
  absoluteFile: '/nowhere/libs/demo/src/div.ts',
  workspaceRoot: '/nowhere',
  content: 'reviewed',
  exports: {
    div: {
      params: [
        { name: 'a', schema: { type: 'integer' } },
        { name: 'b', schema: { type: 'integer', not: { const: 0 } } },
      ],
      returns: { type: 'integer' },
      throws: ['RangeError'],
      examples: [{ args: [7, 2], expect: 3 }],
    },
  },
};

describe('guard runtime and verdicts', () => {
  it('an undeclared error thrown for arguments within contract is the generated code\'s fault', () => {
    resetCalls();
    const div = guardExport(contract, 'div', (a: number, b: number) => {
      if (a < 0) throw new TypeError('negative');
      return Math.trunc(a / b);
    });
    expect(() => div(-1, 1)).toThrow(TypeError);
    const verdict = decideVerdict(guardState().calls, { message: 'TypeError: negative' }, '/nowhere');
    expect(verdict).toMatchObject({ kind: 'generated', specId: 'demo/div', export: 'div' });
    expect(verdict?.summary).toContain('threw TypeError, which the spec does not declare (declared: RangeError)');
  });

  it('a result that contradicts the spec\'s own example for the same arguments is the generated code\'s fault', () => {
    resetCalls();
    const div = guardExport(contract, 'div', (a: number, b: number) => Math.ceil(a / b));
    expect(div(7, 2)).toBe(4); // behaviour unchanged: the guard only observes
    const verdict = decideVerdict(guardState().calls, undefined, '/nowhere');
    expect(verdict?.kind).toBe('generated');
    expect(formatVerdict(verdict!)).toContain("(result) = 4 violates demo/div examples example expects 3");
  });

  it('a declared error for out-of-contract arguments blames the caller, with the path and keyword', () => {
    resetCalls();
    const div = guardExport(contract, 'div', (a: number, b: number) => {
      if (b === 0) throw new RangeError('division by zero');
      return Math.trunc(a / b);
    });
    expect(() => div(1, 0)).toThrow(RangeError);
    const verdict = decideVerdict(guardState().calls, undefined, '/nowhere');
    expect(verdict?.kind).toBe('caller');
    expect(verdict?.summary).toContain('b = 0 violates demo/div params.b not');
    expect(verdict?.where).toMatch(/verdict\.test\.ts:\d+:\d+$/);
  });

  it('no guarded call, no verdict', () => {
    resetCalls();
    expect(decideVerdict(guardState().calls, { message: 'x' }, '/nowhere')).toBeUndefined();
  });
});
