import { describe, expect, it } from 'vitest';
import { slugify } from './slugify';

describe('slugify', () => {
  it('lowercases and joins words with single hyphens, trimming the ends', () => {
    expect(slugify('Hello, World!')).toBe('hello-world');
    expect(slugify('  many   spaces\tand\nlines  ')).toBe('many-spaces-and-lines');
    expect(slugify('--Already--slugged--')).toBe('already-slugged');
    expect(slugify('snake_case and.dots/slashes')).toBe('snake-case-and-dots-slashes');
    expect(slugify('Version 2.0 (beta)')).toBe('version-2-0-beta');
  });

  it('strips accents after NFKD normalisation, precomposed or not', () => {
    expect(slugify('Crème Brûlée')).toBe('creme-brulee');
    expect(slugify('Cre\u0300me')).toBe('creme'); // decomposed input
    expect(slugify('Ångström Über Çà')).toBe('angstrom-uber-ca');
    expect(slugify('İstanbul')).toBe('istanbul');
  });

  it('applies compatibility decompositions (ligatures, circled and full-width forms)', () => {
    expect(slugify('ﬁne ﬂow')).toBe('fine-flow');
    expect(slugify('①②③')).toBe('123');
    expect(slugify('Ｆｕｌｌ Ｗｉｄｔｈ')).toBe('full-width');
    expect(slugify('x²')).toBe('x2');
  });

  it('transliterates the letters NFKD does not decompose', () => {
    expect(slugify('Straße')).toBe('strasse');
    expect(slugify('GROẞ')).toBe('gross');
    expect(slugify('Æsir Œuvre')).toBe('aesir-oeuvre');
    expect(slugify('Smørrebrød Øl')).toBe('smorrebrod-ol');
    expect(slugify('Łódź Đakovo Þór ı ħ')).toBe('lodz-dakovo-thor-i-h');
  });

  it('treats other scripts, emoji and symbols as separators and may return ""', () => {
    expect(slugify('Привет, мир')).toBe('');
    expect(slugify('café ☕ 東京 bar')).toBe('cafe-bar');
    expect(slugify('!!!')).toBe('');
    expect(slugify('')).toBe('');
    expect(slugify('a😀b')).toBe('a-b');
  });

  it('cuts to maxLength at a word boundary', () => {
    const text = 'hello world foo';
    expect(slugify(text, { maxLength: 15 })).toBe('hello-world-foo');
    expect(slugify(text, { maxLength: 100 })).toBe('hello-world-foo');
    expect(slugify(text, { maxLength: 14 })).toBe('hello-world');
    expect(slugify(text, { maxLength: 11 })).toBe('hello-world');
    expect(slugify(text, { maxLength: 10 })).toBe('hello');
    expect(slugify(text, { maxLength: 5 })).toBe('hello');
  });

  it('cuts a first word longer than maxLength hard, never leaving a trailing hyphen', () => {
    expect(slugify('hello world', { maxLength: 3 })).toBe('hel');
    expect(slugify('supercalifragilistic', { maxLength: 1 })).toBe('s');
    for (let max = 1; max <= 30; max++) {
      const slug = slugify('The quick brown fox jumps over the lazy dog', { maxLength: max });
      expect(slug.length).toBeLessThanOrEqual(max);
      expect(slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    }
  });

  it('treats an empty options object like no options', () => {
    expect(slugify('A B', {})).toBe('a-b');
  });

  it('throws RangeError for a maxLength that is not a positive integer', () => {
    expect(() => slugify('abc', { maxLength: 0 })).toThrow(RangeError);
    expect(() => slugify('abc', { maxLength: -1 })).toThrow(RangeError);
    expect(() => slugify('abc', { maxLength: 2.5 })).toThrow(RangeError);
    expect(() => slugify('abc', { maxLength: Number.NaN })).toThrow(RangeError);
  });

  it('transliterates every letter of the table', () => {
    expect(slugify('Đorđe Ðuro ðe')).toBe('dorde-duro-de');
    expect(slugify('Þór þing')).toBe('thor-thing');
    expect(slugify('Łukasz łza')).toBe('lukasz-lza');
    expect(slugify('Øre ø ıi Ħal ħ ẞ Æ œ')).toBe('ore-o-ii-hal-h-ss-ae-oe');
  });
});
