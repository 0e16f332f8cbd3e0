import { describe, expect, it } from 'vitest';
import { allocate } from './allocate';

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('allocate', () => {
  it('splits evenly and gives the leftover units to the earliest parts on equal remainders', () => {
    expect(allocate(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(allocate(101, [1, 1, 1])).toEqual([34, 34, 33]);
    expect(allocate(2, [1, 1, 1, 1])).toEqual([1, 1, 0, 0]);
    expect(allocate(5, [3, 7])).toEqual([2, 3]);
  });

  it('gives leftover units to the largest remainders first, regardless of position', () => {
    // 7 * [1,2,3] / 6 = 1.17, 2.33, 3.5 → floors 1,2,3, the one leftover unit goes to the .5
    expect(allocate(7, [1, 2, 3])).toEqual([1, 2, 4]);
    // 10 * [1,1,8] / 10 = exact
    expect(allocate(10, [1, 1, 8])).toEqual([1, 1, 8]);
    // 11 * [3, 5] / 8 = 4.125, 6.875 → the leftover unit goes to the second part
    expect(allocate(11, [3, 5])).toEqual([4, 7]);
  });

  it('mirrors negative amounts and never returns -0', () => {
    expect(allocate(-100, [1, 1, 1])).toEqual([-34, -33, -33]);
    expect(allocate(-7, [1, 2, 3])).toEqual([-1, -2, -4]);
    const parts = allocate(-1, [1, 1, 1]);
    expect(parts).toEqual([-1, 0, 0]);
    expect(Object.is(parts[1], 0)).toBe(true);
    expect(allocate(0, [5, 5]).every((p) => Object.is(p, 0))).toBe(true);
  });

  it('gives zero-ratio parts nothing', () => {
    expect(allocate(100, [0, 1, 0, 1])).toEqual([0, 50, 0, 50]);
    expect(allocate(3, [0, 0, 1])).toEqual([0, 0, 3]);
    expect(allocate(1, [1, 0, 0, 0, 1])).toEqual([1, 0, 0, 0, 0]);
  });

  it('is exact where amount * ratio exceeds 2^53', () => {
    const amount = Number.MAX_SAFE_INTEGER;
    const parts = allocate(amount, [1_000_000_000, 1]);
    expect(sum(parts)).toBe(amount);
    expect(parts).toEqual([9007199245733792, 9007199]);
    const thirds = allocate(amount, [1, 1, 1]);
    expect(thirds).toEqual([3002399751580331, 3002399751580330, 3002399751580330]);
  });

  it('always sums exactly to the amount, with parts within one unit of the exact share', () => {
    const cases: [number, number[]][] = [
      [1, [1]],
      [999, [1, 2, 3, 4, 5, 6, 7]],
      [-12345, [17, 0, 33, 50]],
      [1_000_001, [333, 333, 334]],
      [3, Array.from({ length: 50 }, () => 1)],
      [987_654_321, [1_000_000_000, 999_999_999, 3]],
    ];
    for (const [amount, ratios] of cases) {
      const parts = allocate(amount, ratios);
      expect(parts).toHaveLength(ratios.length);
      expect(sum(parts)).toBe(amount);
      const total = sum(ratios);
      parts.forEach((part, i) => {
        const exact = (amount * (ratios[i] ?? 0)) / total;
        expect(Math.abs(part - exact)).toBeLessThan(1 + 1e-6);
      });
    }
  });

  it('does not mutate its input', () => {
    const ratios = [3, 1, 2];
    allocate(10, ratios);
    expect(ratios).toEqual([3, 1, 2]);
  });

  it('throws RangeError for empty, all-zero, negative or non-integer ratios and non-integer amounts', () => {
    expect(() => allocate(100, [])).toThrow(RangeError);
    expect(() => allocate(100, [0, 0, 0])).toThrow(RangeError);
    expect(() => allocate(100, [1, -1, 2])).toThrow(RangeError);
    expect(() => allocate(100, [1.5, 1])).toThrow(RangeError);
    expect(() => allocate(10.5, [1, 1])).toThrow(RangeError);
    expect(() => allocate(Number.MAX_SAFE_INTEGER + 1, [1])).toThrow(RangeError);
  });
});
