import { describe, expect, it } from 'vitest';
import { divideRounded, roundHalfEven, type RoundingMode } from './round';

const MAX = Number.MAX_SAFE_INTEGER;

/** Reference implementation on BigInt, written independently of the one under test. */
function reference(n: bigint, d: bigint, mode: RoundingMode): bigint {
  if (d < 0n) return reference(-n, -d, mode);
  const floor = n >= 0n ? n / d : -((-n + d - 1n) / d);
  const rest = n - floor * d; // 0 <= rest < d
  if (rest === 0n) return floor;
  switch (mode) {
    case 'floor':
      return floor;
    case 'ceil':
      return floor + 1n;
    case 'trunc':
      return n < 0n ? floor + 1n : floor;
    case 'half-away-from-zero':
      if (2n * rest === d) return n < 0n ? floor : floor + 1n;
      return 2n * rest > d ? floor + 1n : floor;
    case 'half-even':
      if (2n * rest === d) return floor % 2n === 0n ? floor : floor + 1n;
      return 2n * rest > d ? floor + 1n : floor;
  }
}

describe('roundHalfEven', () => {
  it('sends exact ties to the even neighbour', () => {
    expect(roundHalfEven(1, 2)).toBe(0);
    expect(roundHalfEven(3, 2)).toBe(2);
    expect(roundHalfEven(5, 2)).toBe(2);
    expect(roundHalfEven(7, 2)).toBe(4);
    expect(roundHalfEven(-3, 2)).toBe(-2);
    expect(roundHalfEven(-5, 2)).toBe(-2);
  });

  it('rounds non-ties to the nearest integer', () => {
    expect(roundHalfEven(1, 3)).toBe(0);
    expect(roundHalfEven(2, 3)).toBe(1);
    expect(roundHalfEven(-2, 3)).toBe(-1);
    expect(roundHalfEven(2501, 1000)).toBe(3);
    expect(roundHalfEven(2499, 1000)).toBe(2);
  });

  it('is exact where a floating-point quotient drifts (2.675 is stored as 2.67499…)', () => {
    expect(roundHalfEven(2675, 10)).toBe(268);
    expect(roundHalfEven(2665, 10)).toBe(266);
    expect(roundHalfEven(MAX, 2)).toBe(4503599627370496);
    expect(roundHalfEven(MAX - 1, 4)).toBe(2251799813685248); // …247.5 → even neighbour
    expect(roundHalfEven(-MAX, MAX)).toBe(-1);
  });

  it('never returns -0', () => {
    expect(Object.is(roundHalfEven(-1, 4), 0)).toBe(true);
    expect(Object.is(roundHalfEven(-1, 2), 0)).toBe(true);
    expect(Object.is(roundHalfEven(0, -7), 0)).toBe(true);
  });

  it('accepts a negative denominator', () => {
    expect(roundHalfEven(10, -4)).toBe(-2);
    expect(roundHalfEven(-10, -4)).toBe(2);
    expect(roundHalfEven(-14, -4)).toBe(4);
  });

  it('throws RangeError for a zero denominator and for non-safe-integer arguments', () => {
    expect(() => roundHalfEven(1, 0)).toThrow(RangeError);
    expect(() => roundHalfEven(1.5, 2)).toThrow(RangeError);
    expect(() => roundHalfEven(Number.NaN, 2)).toThrow(RangeError);
    expect(() => roundHalfEven(MAX + 1, 2)).toThrow(RangeError);
    expect(() => roundHalfEven(1, Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});

describe('divideRounded', () => {
  const modes: RoundingMode[] = ['half-even', 'half-away-from-zero', 'floor', 'ceil', 'trunc'];

  it('implements each mode on the classic table of ±x.5 and ±x.25', () => {
    const table: [number, number, Record<RoundingMode, number>][] = [
      [5, 2, { 'half-even': 2, 'half-away-from-zero': 3, floor: 2, ceil: 3, trunc: 2 }],
      [-5, 2, { 'half-even': -2, 'half-away-from-zero': -3, floor: -3, ceil: -2, trunc: -2 }],
      [9, 4, { 'half-even': 2, 'half-away-from-zero': 2, floor: 2, ceil: 3, trunc: 2 }],
      [-9, 4, { 'half-even': -2, 'half-away-from-zero': -2, floor: -3, ceil: -2, trunc: -2 }],
      [12, 4, { 'half-even': 3, 'half-away-from-zero': 3, floor: 3, ceil: 3, trunc: 3 }],
    ];
    for (const [n, d, expected] of table) {
      for (const mode of modes) {
        expect(divideRounded(n, d, mode), `${n}/${d} ${mode}`).toBe(expected[mode]);
      }
    }
  });

  it('agrees with a BigInt reference on a spread of values, including huge ones', () => {
    const values = [0, 1, -1, 2, -2, 3, 7, -7, 10, 99, -100, 12345, 2 ** 31, -(2 ** 31), MAX, -MAX, MAX - 1, 2 ** 52 + 1];
    const denominators = [1, -1, 2, -2, 3, 4, 10, -10, 1000, 7919, 2 ** 32, MAX, -MAX];
    for (const n of values) {
      for (const d of denominators) {
        for (const mode of modes) {
          const want = Number(reference(BigInt(n), BigInt(d), mode));
          expect(divideRounded(n, d, mode), `${n}/${d} ${mode}`).toBe(want);
        }
      }
    }
  });

  it('rejects an unknown mode', () => {
    expect(() => divideRounded(1, 2, 'half-up' as RoundingMode)).toThrow(RangeError);
  });
});
