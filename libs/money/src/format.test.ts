import { describe, expect, it } from 'vitest';
import { currencyDigits, formatMoney } from './format';
import type { CurrencyCode, Money } from './money.types';

describe('currencyDigits', () => {
  it('knows the minor-unit digits of every supported currency', () => {
    expect(currencyDigits('USD')).toBe(2);
    expect(currencyDigits('EUR')).toBe(2);
    expect(currencyDigits('GBP')).toBe(2);
    expect(currencyDigits('JPY')).toBe(0);
    expect(currencyDigits('BHD')).toBe(3);
  });

  it('throws RangeError for an unknown code, including inherited property names', () => {
    expect(() => currencyDigits('XYZ' as CurrencyCode)).toThrow(RangeError);
    expect(() => currencyDigits('usd' as CurrencyCode)).toThrow(RangeError);
    expect(() => currencyDigits('toString' as CurrencyCode)).toThrow(RangeError);
  });
});

describe('formatMoney', () => {
  const m = (amount: number, currency: CurrencyCode): Money => ({ amount, currency });

  it('places the decimal point by the currency digits and zero-pads the fraction', () => {
    expect(formatMoney(m(123456, 'USD'))).toBe('$1,234.56');
    expect(formatMoney(m(5, 'EUR'))).toBe('€0.05');
    expect(formatMoney(m(0, 'GBP'))).toBe('£0.00');
    expect(formatMoney(m(1250, 'BHD'))).toBe('BD 1.250');
    expect(formatMoney(m(7, 'BHD'))).toBe('BD 0.007');
    expect(formatMoney(m(1234, 'JPY'))).toBe('¥1,234');
    expect(formatMoney(m(0, 'JPY'))).toBe('¥0');
  });

  it('groups thousands in threes from the right', () => {
    expect(formatMoney(m(99999, 'USD'))).toBe('$999.99');
    expect(formatMoney(m(100000, 'USD'))).toBe('$1,000.00');
    expect(formatMoney(m(123456789, 'JPY'))).toBe('¥123,456,789');
    expect(formatMoney(m(12345678, 'JPY'))).toBe('¥12,345,678');
    expect(formatMoney(m(Number.MAX_SAFE_INTEGER, 'USD'))).toBe('$90,071,992,547,409.91');
    expect(formatMoney(m(-Number.MAX_SAFE_INTEGER, 'BHD'))).toBe('-BD 9,007,199,254,740.991');
  });

  it('renders negatives with a leading minus by default, or in parentheses', () => {
    expect(formatMoney(m(-123456, 'USD'))).toBe('-$1,234.56');
    expect(formatMoney(m(-123456, 'USD'), { negative: 'minus' })).toBe('-$1,234.56');
    expect(formatMoney(m(-123456, 'USD'), { negative: 'parentheses' })).toBe('($1,234.56)');
    expect(formatMoney(m(-1, 'JPY'), { negative: 'parentheses', display: 'code' })).toBe('(JPY 1)');
    expect(formatMoney(m(0, 'USD'), { negative: 'parentheses' })).toBe('$0.00');
    expect(formatMoney(m(-0, 'USD'))).toBe('$0.00');
  });

  it('shows the code instead of the symbol when asked', () => {
    expect(formatMoney(m(123456, 'USD'), { display: 'code' })).toBe('USD 1,234.56');
    expect(formatMoney(m(-7, 'BHD'), { display: 'code' })).toBe('-BHD 0.007');
    expect(formatMoney(m(100, 'EUR'), { display: 'symbol' })).toBe('€1.00');
  });

  it('throws RangeError for unknown currencies, non-integer amounts and unknown options', () => {
    expect(() => formatMoney({ amount: 100, currency: 'XYZ' as CurrencyCode })).toThrow(RangeError);
    expect(() => formatMoney(m(1.5, 'USD'))).toThrow(RangeError);
    expect(() => formatMoney(m(Number.NaN, 'USD'))).toThrow(RangeError);
    expect(() => formatMoney(m(2 ** 60, 'USD'))).toThrow(RangeError);
    expect(() => formatMoney(m(1, 'USD'), { display: 'name' as 'code' })).toThrow(RangeError);
    expect(() => formatMoney(m(1, 'USD'), { negative: 'red' as 'minus' })).toThrow(RangeError);
  });
});
