import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCsvLine, parseCsvLine } from './csv-line';

describe('parseCsvLine', () => {
  it('splits plain fields and keeps empty ones', () => {
    expect(parseCsvLine('a,b,c')).toEqual(['a', 'b', 'c']);
    expect(parseCsvLine('')).toEqual(['']);
    expect(parseCsvLine(',')).toEqual(['', '']);
    expect(parseCsvLine('a,,b,')).toEqual(['a', '', 'b', '']);
  });

  it('keeps whitespace and treats a quote inside an unquoted field literally', () => {
    expect(parseCsvLine(' a , b ')).toEqual([' a ', ' b ']);
    expect(parseCsvLine('a"b,c')).toEqual(['a"b', 'c']);
    expect(parseCsvLine(' "a",b')).toEqual([' "a"', 'b']);
  });

  it('reads quoted fields: delimiters, doubled quotes, line breaks, empty quotes', () => {
    expect(parseCsvLine('"x, y","say ""hi""",z')).toEqual(['x, y', 'say "hi"', 'z']);
    expect(parseCsvLine('""')).toEqual(['']);
    expect(parseCsvLine('"",""')).toEqual(['', '']);
    expect(parseCsvLine('""""')).toEqual(['"']);
    expect(parseCsvLine('"line1\nline2",2')).toEqual(['line1\nline2', '2']);
    expect(parseCsvLine('a,"b"')).toEqual(['a', 'b']);
  });

  it('removes exactly one trailing line terminator', () => {
    expect(parseCsvLine('a,b\r\n')).toEqual(['a', 'b']);
    expect(parseCsvLine('a,b\n')).toEqual(['a', 'b']);
    expect(parseCsvLine('a,b\r')).toEqual(['a', 'b']);
    expect(parseCsvLine('a,b\n\n')).toEqual(['a', 'b\n']);
    expect(parseCsvLine('"a\n"\n')).toEqual(['a\n']);
  });

  it('uses the given delimiter, including regex metacharacters and astral characters', () => {
    expect(parseCsvLine('a;"b;c";d', ';')).toEqual(['a', 'b;c', 'd']);
    expect(parseCsvLine('a|b|c', '|')).toEqual(['a', 'b', 'c']);
    expect(parseCsvLine('a\t"b\tc"', '\t')).toEqual(['a', 'b\tc']);
    expect(parseCsvLine('a,b;c', ';')).toEqual(['a,b', 'c']);
    expect(parseCsvLine('x😀"y😀z"😀', '😀')).toEqual(['x', 'y😀z', '']);
  });

  it('throws SyntaxError for an unterminated quote, naming the column', () => {
    expect(() => parseCsvLine('"abc')).toThrow(SyntaxError);
    expect(() => parseCsvLine('a,"b""')).toThrow(/column 3/);
    expect(() => parseCsvLine('a,"b\r\n')).toThrow(SyntaxError);
  });

  it('throws SyntaxError for characters after a closing quote', () => {
    expect(() => parseCsvLine('"abc"d,e')).toThrow(SyntaxError);
    expect(() => parseCsvLine('"abc" ,e')).toThrow(/column 6/);
    expect(() => parseCsvLine('"a";b')).toThrow(SyntaxError); // ';' is not the delimiter here
  });

  it('throws RangeError for an invalid delimiter', () => {
    expect(() => parseCsvLine('a', '')).toThrow(RangeError);
    expect(() => parseCsvLine('a', '"')).toThrow(RangeError);
    expect(() => parseCsvLine('a', '\n')).toThrow(RangeError);
    expect(() => parseCsvLine('a', '\r')).toThrow(RangeError);
    expect(() => formatCsvLine(['a'], '\r')).toThrow(RangeError);
    expect(() => parseCsvLine('a', ',,')).toThrow(RangeError);
  });
});

describe('formatCsvLine', () => {
  it('quotes exactly the fields that need it', () => {
    expect(formatCsvLine(['plain', 'with,comma', 'say "hi"', ''])).toBe('plain,"with,comma","say ""hi""",');
    expect(formatCsvLine(['a\nb', 'c\rd', ' e '])).toBe('"a\nb","c\rd", e ');
    expect(formatCsvLine(['a,b'], ';')).toBe('a,b');
    expect(formatCsvLine(['a;b'], ';')).toBe('"a;b"');
    expect(formatCsvLine([''])).toBe('');
  });

  it('round-trips through parseCsvLine', () => {
    const records: [string[], string][] = [
      [['a', 'b', 'c'], ','],
      [[''], ','],
      [['', ''], ','],
      [['"', '""', '"quoted"'], ','],
      [['multi\nline', 'tail\r'], ','],
      [[' lead', 'trail ', ' "x"'], ','],
      [['a|b', '|', ''], '|'],
      [['😀', 'x😀y'], '😀'],
    ];
    for (const [fields, delimiter] of records) {
      expect(parseCsvLine(formatCsvLine(fields, delimiter), delimiter)).toEqual(fields);
    }
  });

  it('round-trips arbitrary fields (property)', () => {
    const delimiter = fc.constantFrom(',', ';', '\t', '|', '😀', 'é');
    const field = fc.string({ unit: fc.constantFrom('a', ' ', '"', ',', ';', '\n', '\r', '|', '😀', 'é', 'x') });
    fc.assert(
      fc.property(fc.array(field, { minLength: 1, maxLength: 8 }), delimiter, (fields, d) => {
        expect(parseCsvLine(formatCsvLine(fields, d), d)).toEqual(fields);
      }),
      { numRuns: 500 },
    );
  });

  it('throws RangeError for no fields or an invalid delimiter', () => {
    expect(() => formatCsvLine([])).toThrow(RangeError);
    expect(() => formatCsvLine(['a'], '"')).toThrow(RangeError);
    expect(() => formatCsvLine(['a'], 'ab')).toThrow(RangeError);
  });
});
