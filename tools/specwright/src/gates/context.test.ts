import { describe, expect, it } from 'vitest';
import { errorMatches } from './context';

describe('errorMatches', () => {
  it('matches declared errors by name or prototype chain', () => {
    expect(errorMatches({ name: 'RangeError', message: 'denominator is 0', chain: ['RangeError', 'Error'] }, ['RangeError'])).toBe(true);
    expect(errorMatches({ name: 'MoneyError', message: 'x', chain: ['MoneyError', 'RangeError', 'Error'] }, ['RangeError'])).toBe(true);
    expect(errorMatches({ name: 'TypeError', message: 'x', chain: ['TypeError', 'Error'] }, ['RangeError'])).toBe(false);
  });

  it('never counts a stack overflow as the RangeError a spec declares', () => {
    expect(errorMatches({ name: 'RangeError', message: 'Maximum call stack size exceeded', chain: ['RangeError', 'Error'] }, ['RangeError'])).toBe(false);
  });
});
