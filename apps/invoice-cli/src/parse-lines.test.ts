import { formatCsvLine } from '@acme/text';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { InvoiceLine } from './invoice.types';
import { parseInvoiceLines } from './parse-lines';

const HEADER = 'description,quantity,unit_price,tax_rate';
const csv = (...rows: string[]) => [HEADER, ...rows].join('\n');

describe('parseInvoiceLines', () => {
  it('parses rows into minor units, thousandths and basis points', () => {
    expect(parseInvoiceLines(csv('Widget,2,9.99,20', '"Consulting, senior",1.5,180,7.25%'), 'USD')).toEqual([
      { description: 'Widget', quantityMilli: 2000, unitPrice: 999, taxRateBp: 2000 },
      { description: 'Consulting, senior', quantityMilli: 1500, unitPrice: 18000, taxRateBp: 725 },
    ]);
  });

  it('uses the currency digits for prices', () => {
    expect(parseInvoiceLines(csv('Ramen,1,1200,10'), 'JPY')[0]?.unitPrice).toBe(1200);
    expect(parseInvoiceLines(csv('Tea,1,1.25,10'), 'BHD')[0]?.unitPrice).toBe(1250);
    expect(parseInvoiceLines(csv('Tea,1,1.255,10'), 'BHD')[0]?.unitPrice).toBe(1255);
    expect(parseInvoiceLines(csv('Pen,1,5.5,10'), 'GBP')[0]?.unitPrice).toBe(550);
    expect(parseInvoiceLines(csv('Pen,1,0.07,10'), 'EUR')[0]?.unitPrice).toBe(7);
  });

  it('converts decimals exactly and never yields -0', () => {
    // 0.29 * 100 is 28.999999999999996 in floating point.
    expect(parseInvoiceLines(csv('Gum,1,0.29,0'), 'USD')[0]?.unitPrice).toBe(29);
    expect(parseInvoiceLines(csv('Gum,1.001,1.1,0.01'), 'USD')[0]).toMatchObject({ quantityMilli: 1001, unitPrice: 110, taxRateBp: 1 });
    expect(Object.is(parseInvoiceLines(csv('Free,1,-0.00,0'), 'USD')[0]?.unitPrice, 0)).toBe(true);
    expect(parseInvoiceLines(csv('Zero,0,0,0'), 'USD')[0]).toMatchObject({ quantityMilli: 0, unitPrice: 0, taxRateBp: 0 });
  });

  it('accepts CRLF, blank lines, padding, a BOM and a header in any case', () => {
    const text = '\uFEFFDescription, QUANTITY ,Unit_Price,tax_rate\r\n\r\n   \r\n  Discount , 1 , -5.50 , 0 \r\n';
    expect(parseInvoiceLines(text, 'EUR')).toEqual([{ description: 'Discount', quantityMilli: 1000, unitPrice: -550, taxRateBp: 0 }]);
    expect(parseInvoiceLines(`${HEADER}\n`, 'USD')).toEqual([]);
    expect(parseInvoiceLines(csv('"Say ""hi""",1,1,0'), 'USD')[0]?.description).toBe('Say "hi"');
  });

  it('reports malformed input as SyntaxError with the line number', () => {
    expect(() => parseInvoiceLines('', 'USD')).toThrow(/missing the header/);
    expect(() => parseInvoiceLines('\n  \n', 'USD')).toThrow(SyntaxError);
    expect(() => parseInvoiceLines('name,qty,price,tax\nWidget,1,1,0', 'USD')).toThrow(/^line 1: expected the header/);
    expect(() => parseInvoiceLines(csv('ok,1,1,0', '', '"Widget,1,1,0'), 'USD')).toThrow(/^line 4: unterminated quoted field/);
    expect(() => parseInvoiceLines(csv('"Widget"x,1,1,0'), 'USD')).toThrow(SyntaxError);
    expect(() => parseInvoiceLines(csv('Widget,1,1'), 'USD')).toThrow(/^line 2: expected 4 fields .*got 3/);
    expect(() => parseInvoiceLines(csv('  ,1,1,0'), 'USD')).toThrow(/^line 2: description is empty/);
  });

  it('reports badly formatted numbers as SyntaxError naming the field and value', () => {
    expect(() => parseInvoiceLines(csv('W,1.2345,1,0'), 'USD')).toThrow(/quantity "1.2345"/);
    expect(() => parseInvoiceLines(csv('W,-1,1,0'), 'USD')).toThrow(SyntaxError);
    expect(() => parseInvoiceLines(csv('W,1e3,1,0'), 'USD')).toThrow(SyntaxError);
    expect(() => parseInvoiceLines(csv('W,1,9.999,0'), 'USD')).toThrow(/more than 2 decimals for USD/);
    expect(() => parseInvoiceLines(csv('W,1,100.0,0'), 'JPY')).toThrow(/JPY has no minor unit/);
    expect(() => parseInvoiceLines(csv('W,1,"1,000.00",0'), 'USD')).toThrow(/unit_price "1,000.00"/);
    expect(() => parseInvoiceLines(csv('W,1,1,7.125'), 'USD')).toThrow(/tax_rate "7.125"/);
    expect(() => parseInvoiceLines(csv('W,1,1,-5'), 'USD')).toThrow(SyntaxError);
  });

  it('reports values out of bounds as RangeError', () => {
    expect(() => parseInvoiceLines(csv('W,10000.001,1,0'), 'USD')).toThrow(RangeError);
    expect(parseInvoiceLines(csv('W,10000,1,0'), 'USD')[0]?.quantityMilli).toBe(10_000_000);
    expect(() => parseInvoiceLines(csv('W,1,1000000.01,0'), 'USD')).toThrow(RangeError);
    expect(parseInvoiceLines(csv('W,1,-1000000.00,0'), 'USD')[0]?.unitPrice).toBe(-100_000_000);
    expect(() => parseInvoiceLines(csv('W,1,1,50.01'), 'USD')).toThrow(/^line 2: tax_rate 50.01 is more than 50%/);
    expect(() => parseInvoiceLines(csv(`${'x'.repeat(201)},1,1,0`), 'USD')).toThrow(RangeError);
    expect(parseInvoiceLines(csv(`${'😀'.repeat(200)},1,1,0`), 'USD')[0]?.description).toHaveLength(400);
    expect(() => parseInvoiceLines(csv(...Array.from({ length: 1001 }, () => 'W,1,1,0')), 'USD')).toThrow(RangeError);
    expect(() => parseInvoiceLines(csv('W,1,1,0'), 'XYZ' as 'USD')).toThrow(RangeError);
  });

  it('reads back any valid line written as CSV (property)', () => {
    const arbitraryLine: fc.Arbitrary<InvoiceLine> = fc.record({
      description: fc
        .string({ unit: fc.constantFrom('a', 'Z', ' ', ',', '"', 'é', '😀'), minLength: 1, maxLength: 40 })
        .map((s) => s.trim())
        .filter((s) => s !== ''),
      quantityMilli: fc.integer({ min: 0, max: 10_000_000 }),
      unitPrice: fc.integer({ min: -100_000_000, max: 100_000_000 }),
      taxRateBp: fc.integer({ min: 0, max: 5000 }),
    });
    const decimal = (value: number, digits: number) => {
      const abs = String(Math.abs(value)).padStart(digits + 1, '0');
      const text = digits === 0 ? abs : `${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
      return value < 0 ? `-${text}` : text;
    };
    fc.assert(
      fc.property(fc.array(arbitraryLine, { maxLength: 20 }), fc.constantFrom(['USD', 2] as const, ['JPY', 0] as const, ['BHD', 3] as const), (lines, [currency, digits]) => {
        const rows = lines.map((l) =>
          formatCsvLine([l.description, decimal(l.quantityMilli, 3), decimal(l.unitPrice, digits), decimal(l.taxRateBp, 2)]),
        );
        expect(parseInvoiceLines(csv(...rows), currency)).toEqual(lines);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a header with a wrong column name and a row with the wrong number of fields', () => {
    expect(() => parseInvoiceLines('description,quantity,price,tax_rate\nWidget,1,1,0', 'USD')).toThrow(SyntaxError);
    // A header missing a column fails even when the rows that follow are complete.
    expect(() => parseInvoiceLines('description,quantity,unit_price\nWidget,1,1,0', 'USD')).toThrow(SyntaxError);
    expect(() => parseInvoiceLines(csv('Widget,1,1,0,extra'), 'USD')).toThrow(SyntaxError);
    expect(() => parseInvoiceLines(csv('Widget,1,1'), 'USD')).toThrow(SyntaxError);
  });
});
