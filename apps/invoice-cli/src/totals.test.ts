import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { InvoiceLine } from './invoice.types';
import { computeTotals } from './totals';

const line = (quantityMilli: number, unitPrice: number, taxRateBp: number, description = 'item'): InvoiceLine => ({
  description,
  quantityMilli,
  unitPrice,
  taxRateBp,
});

describe('computeTotals', () => {
  it('returns zeros for an empty invoice', () => {
    expect(computeTotals([])).toEqual({ lines: [], subtotal: 0, tax: 0, total: 0 });
  });

  it('computes net, tax and gross per line', () => {
    const totals = computeTotals([line(2000, 999, 2000), line(1000, 4999, 0)]);
    expect(totals.lines).toEqual([
      { net: 1998, tax: 400, gross: 2398 },
      { net: 4999, tax: 0, gross: 4999 },
    ]);
    expect(totals.subtotal).toBe(6997);
    expect(totals.tax).toBe(400);
    expect(totals.total).toBe(7397);
  });

  it('rounds the net half-even on fractional quantities', () => {
    expect(computeTotals([line(500, 5, 0)]).lines[0]?.net).toBe(2); // 2.5 → 2
    expect(computeTotals([line(1500, 5, 0)]).lines[0]?.net).toBe(8); // 7.5 → 8
    expect(computeTotals([line(333, 100, 0)]).lines[0]?.net).toBe(33); // 33.3 → 33
    expect(computeTotals([line(12_345, 999, 0)]).lines[0]?.net).toBe(12_333); // 12332.655 → 12333
  });

  it('rounds tax per line from the rounded net, half-even', () => {
    // 49.99 × 20% = 9.998 → 10.00
    expect(computeTotals([line(1000, 4999, 2000)]).lines[0]).toEqual({ net: 4999, tax: 1000, gross: 5999 });
    // 0.10 × 5% = 0.5 cent → 0 (even); 0.30 × 5% = 1.5 cents → 2 (even)
    expect(computeTotals([line(1000, 10, 500)]).lines[0]?.tax).toBe(0);
    expect(computeTotals([line(1000, 30, 500)]).lines[0]?.tax).toBe(2);
    // Rounding per line, not on the subtotal: 3 × 1.5 → 6, not round(4.5) = 4.
    const three = computeTotals([line(1000, 30, 500), line(1000, 30, 500), line(1000, 30, 500)]);
    expect(three.tax).toBe(6);
    expect(three.total).toBe(96);
  });

  it('handles discount lines symmetrically and never yields -0', () => {
    const totals = computeTotals([line(1000, -1000, 2000), line(1000, -25, 1000), line(0, -500, 2000)]);
    expect(totals.lines[0]).toEqual({ net: -1000, tax: -200, gross: -1200 });
    expect(totals.lines[1]).toEqual({ net: -25, tax: -2, gross: -27 }); // -2.5 → -2
    expect(Object.is(totals.lines[2]?.net, 0)).toBe(true);
    expect(Object.is(totals.lines[2]?.tax, 0)).toBe(true);
  });

  it('is exact at the largest bounds', () => {
    const totals = computeTotals([line(10_000_000, 100_000_000, 5000), line(10_000_000, -99_999_999, 4999)]);
    expect(totals.lines[0]).toEqual({ net: 1e12, tax: 5e11, gross: 1.5e12 });
    expect(totals.lines[1]).toEqual({ net: -999_999_990_000, tax: -499_899_995_001, gross: -1_499_899_985_001 });
    expect(totals.total).toBe(100_014_999);
  });

  it('always adds up line by line (property)', () => {
    const arbitraryLine = fc.record({
      description: fc.constant('x'),
      quantityMilli: fc.integer({ min: 0, max: 10_000_000 }),
      unitPrice: fc.integer({ min: -100_000_000, max: 100_000_000 }),
      taxRateBp: fc.integer({ min: 0, max: 5000 }),
    });
    fc.assert(
      fc.property(fc.array(arbitraryLine, { maxLength: 30 }), (lines) => {
        const totals = computeTotals(lines);
        expect(totals.lines).toHaveLength(lines.length);
        const sum = (pick: (t: { net: number; tax: number; gross: number }) => number) =>
          totals.lines.reduce((acc, t) => acc + pick(t), 0);
        expect(totals.subtotal).toBe(sum((t) => t.net));
        expect(totals.tax).toBe(sum((t) => t.tax));
        expect(totals.total).toBe(sum((t) => t.gross));
        lines.forEach((l, i) => {
          const exact = (l.quantityMilli * l.unitPrice) / 1000;
          expect(Math.abs((totals.lines[i]?.net ?? 0) - exact)).toBeLessThanOrEqual(0.5);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('does not mutate the input and throws RangeError on out-of-range lines', () => {
    const lines = [line(1000, 100, 2000)];
    const copy = structuredClone(lines);
    computeTotals(lines);
    expect(lines).toEqual(copy);
    expect(() => computeTotals([line(-1, 100, 0)])).toThrow(RangeError);
    expect(() => computeTotals([line(1000, 1.5, 0)])).toThrow(RangeError);
    expect(() => computeTotals([line(1000, 100, 5001)])).toThrow(/lines\[0\]\.taxRateBp/);
    expect(() => computeTotals([line(1000, 100_000_001, 0)])).toThrow(RangeError);
    expect(() => computeTotals(Array.from({ length: 1001 }, () => line(1, 1, 0)))).toThrow(RangeError);
  });

  it('accepts exactly 1000 lines, the bound', () => {
    const totals = computeTotals(Array.from({ length: 1000 }, () => line(1000, 1, 0)));
    expect(totals.lines).toHaveLength(1000);
    expect(totals.total).toBe(1000);
  });

  it('names the line index and the field in range errors', () => {
    expect(() => computeTotals([line(1000, 1, 0), line(-1, 1, 0)])).toThrow(/lines\[1\]\.quantityMilli/);
    expect(() => computeTotals([line(1000, 100_000_001, 0)])).toThrow(/lines\[0\]\.unitPrice/);
  });
});
