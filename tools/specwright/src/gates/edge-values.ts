/**
 * Edge-biased inputs derived from a JSON Schema: the values where code that works on "ordinary" input breaks —
 * bounds and bounds ± 1, 0 and -0, safe-integer limits, empty / one / maximum sizes, Unicode classes (combining
 * marks, astral and emoji, right-to-left, case-folding traps, whitespace variants, CR/LF, lone surrogates),
 * prototype keys, long strings. The lists over-approximate on purpose: callers keep only the values the param's
 * contract accepts (ajv), so an input outside the contract is never used as a valid input.
 *
 * `invalidValues` is the other side: values a contract rejects (wrong type, NaN, ±Infinity, fractions, one past a
 * bound, a string outside an enum, undefined), for exports that promise to reject them (`rejectsInvalid`).
 */
import type { JsonSchema } from '../types';

type Schema = Record<string, unknown>;

/** How long the "long" strings and "large" arrays are when the contract sets no maximum. */
export const LONG_SIZE = 2000;
/** The largest string or array an edge input has. */
const MAX_EDGE_SIZE = 5000;
/** At most this many edge values per schema. */
const MAX_VALUES = 60;

const INTEGER_EDGES = [0, -0, 1, -1, 2, -2, 9, 10, 99, 100, 255, 256, 1000, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 32, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER - 1, Number.MIN_SAFE_INTEGER + 1, 2 ** 53, -(2 ** 53), 2 ** 53 + 2, 1e21];
const NUMBER_EDGES = [0.5, -0.5, 0.1, 0.2, 0.3, 1.005, 2.675, 1e-7, -1e-7, Number.EPSILON, 5e-324, 1e21, -1e21, 1.7976931348623157e308, 123456.789];

/** Strings that break naive text handling; each one is a class, not a test case. */
export const EDGE_STRINGS: readonly string[] = [
  '',
  'a',
  ' ',
  '  a  b  ',
  '\t',
  '\n',
  '\r',
  '\r\n',
  'a\r\nb',
  'a\rb',
  '\u00a0', // no-break space
  '\u2003x\u3000', // em space, ideographic space
  '\u200b', // zero-width space
  '\ufeffa', // byte order mark
  'e\u0301', // e + combining acute
  '\u00e9', // precomposed é
  'Z\u0351\u0352\u0353', // stacked combining marks
  '\u{1F600}', // astral emoji (two UTF-16 units)
  '\u{1F469}\u200d\u{1F469}\u200d\u{1F467}', // ZWJ family: one grapheme, five code points
  '\u{1F1E9}\u{1F1EA}', // flag
  '\u{1D400}', // mathematical bold A (astral letter)
  '\ud83d', // lone high surrogate
  '\u05e9\u05dc\u05d5\u05dd', // Hebrew (RTL)
  '\u0645\u0631\u062d\u0628\u0627', // Arabic (RTL)
  'a\u202eb', // right-to-left override
  '\u00df', // ß: uppercases to SS
  '\u0130', // İ: lowercases to i + combining dot
  '\u0131', // dotless ı
  '\ufb01', // ﬁ ligature
  '\u03a3\u03c3\u03c2', // Σσς: final sigma
  '\u00c5ngstr\u00f6m', // Ångström
  '\u65e5\u672c\u8a9e', // CJK
  '\uff11\uff12', // full-width digits
  '\u0663', // Arabic-Indic digit three
  'toString',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  'valueOf',
  '0',
  '-0',
  '00',
  '1e3',
  'NaN',
  'Infinity',
  'null',
  'undefined',
  'true',
  '"',
  "'",
  ',',
  ';',
  '\\',
  '<a>&amp;',
  '%s%d',
  '${x}',
  '\u0000',
];

/**
 * For a contract that accepts anything: JSON values and the values JSON cannot carry (they reach the sandbox through
 * the structured-clone IPC channel).
 */
const ANYTHING: readonly unknown[] = [null, 0, -0, '', [], {}, 'toString', Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, undefined, 2 ** 53 + 2];

/** Object keys that collide with Object.prototype members or with __proto__ handling. */
export const PROTOTYPE_KEYS: readonly string[] = ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf', ''];

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function resolveRef(root: JsonSchema, ref: string): JsonSchema | undefined {
  if (!ref.startsWith('#')) return undefined;
  let current: unknown = root;
  for (const raw of ref.slice(1).replace(/^\//, '').split('/').filter(Boolean)) {
    const k = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (current === null || typeof current !== 'object' || !(k in (current as Schema))) return undefined;
    current = (current as Schema)[k];
  }
  return current as JsonSchema;
}

function unique(values: unknown[]): unknown[] {
  const out: unknown[] = [];
  const seen = new Set<string>();
  for (const value of values) {
    const k = typeof value === 'number' ? (Object.is(value, -0) ? '-0' : `n${String(value)}`) : typeof value === 'string' ? `s${value}` : `${typeof value}:${safeKey(value)}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(value);
  }
  return out;
}

function safeKey(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Edge values for `schema`, most telling first; the caller filters them through the contract. */
export function edgeValues(schema: JsonSchema, root: JsonSchema = schema, depth = 0): unknown[] {
  if (depth > 4) return [];
  if (schema === true) return [...ANYTHING];
  if (schema === false || typeof schema !== 'object' || schema === null) return [];
  const s = schema as Schema;
  if (typeof s['$ref'] === 'string') {
    const target = resolveRef(root, s['$ref']);
    return target === undefined ? [] : edgeValues(target, root, depth + 1);
  }
  if ('const' in s) return [s['const']];
  if (Array.isArray(s['enum'])) return (s['enum'] as unknown[]).slice(0, MAX_VALUES);
  const branches = [...((s['anyOf'] as JsonSchema[]) ?? []), ...((s['oneOf'] as JsonSchema[]) ?? []), ...((s['allOf'] as JsonSchema[]) ?? [])];
  const types = Array.isArray(s['type']) ? (s['type'] as string[]) : typeof s['type'] === 'string' ? [s['type']] : inferTypes(s);
  if (types.length === 0 && branches.length === 0) return [...ANYTHING];
  const values: unknown[] = [];
  for (const type of types) values.push(...typedEdges(type, s, root, depth));
  for (const branch of branches) values.push(...edgeValues(branch, root, depth + 1));
  if (s['nullable'] === true) values.push(null);
  return unique(values).slice(0, MAX_VALUES);
}

function inferTypes(s: Schema): string[] {
  if ('properties' in s || 'required' in s || 'additionalProperties' in s) return ['object'];
  if ('items' in s || 'prefixItems' in s || 'minItems' in s || 'maxItems' in s) return ['array'];
  if ('minLength' in s || 'maxLength' in s || 'pattern' in s || 'format' in s) return ['string'];
  if ('minimum' in s || 'maximum' in s || 'exclusiveMinimum' in s || 'exclusiveMaximum' in s || 'multipleOf' in s) return ['number'];
  return [];
}

function numericBounds(s: Schema): number[] {
  const out: number[] = [];
  for (const k of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']) {
    const bound = num(s[k]);
    if (bound !== undefined) out.push(bound, bound - 1, bound + 1, Math.ceil(bound), Math.floor(bound));
  }
  const step = num(s['multipleOf']);
  if (step !== undefined) out.push(step, -step, 2 * step, 0);
  return out;
}

function typedEdges(type: string, s: Schema, root: JsonSchema, depth: number): unknown[] {
  switch (type) {
    case 'null':
      return [null];
    case 'boolean':
      return [false, true];
    case 'integer':
      return [...numericBounds(s), ...INTEGER_EDGES];
    case 'number':
      return [...numericBounds(s), ...INTEGER_EDGES, ...NUMBER_EDGES, ...numericBounds(s).map((b) => b + 0.5)];
    case 'string':
      return stringEdges(s);
    case 'array':
      return arrayEdges(s, root, depth);
    case 'object':
      return objectEdges(s, root, depth);
    default:
      return [];
  }
}

function stringEdges(s: Schema): string[] {
  const minLength = num(s['minLength']) ?? 0;
  const maxLength = num(s['maxLength']);
  // The contract's maximum, up to MAX_EDGE_SIZE: beyond that, size is the cost gate's business (it grows inputs
  // to the contract's maximum and measures), and a million-character edge would slow every run for nothing.
  const long = Math.min(maxLength ?? LONG_SIZE, MAX_EDGE_SIZE);
  const out: string[] = [];
  // The sizes first: exactly the minimum, exactly the maximum (also in astral characters, which count one each
  // for the contract but two for `.length`), and a long run with spaces for the unbounded case.
  for (const size of [minLength, Math.max(minLength, 1), long]) {
    out.push('a'.repeat(size), 'x '.repeat(Math.ceil(size / 2)).slice(0, size), '\u{1F600}'.repeat(size), '\u00e9'.repeat(size));
  }
  out.push(...EDGE_STRINGS);
  for (const base of ['abc', 'Hello World']) out.push(base.padEnd(Math.max(minLength, base.length), 'z'));
  return out;
}

function arrayEdges(s: Schema, root: JsonSchema, depth: number): unknown[] {
  const minItems = num(s['minItems']) ?? 0;
  const maxItems = num(s['maxItems']) ?? LONG_SIZE;
  const tuple = Array.isArray(s['prefixItems']) ? (s['prefixItems'] as JsonSchema[]) : Array.isArray(s['items']) ? (s['items'] as JsonSchema[]) : undefined;
  if (tuple) {
    const heads = tuple.map((item) => edgeValues(item, root, depth + 1));
    const out: unknown[][] = [];
    const width = Math.max(0, ...heads.map((h) => h.length));
    for (let i = 0; i < Math.min(width, 20); i++) out.push(heads.map((h) => h[Math.min(i, h.length - 1)]));
    return out;
  }
  const items = s['items'] === undefined ? [0, 'a', null] : edgeValues(s['items'] as JsonSchema, root, depth + 1);
  if (items.length === 0) return [[]];
  const out: unknown[] = [[]];
  for (const item of items.slice(0, 24)) out.push(Array.from({ length: Math.max(1, minItems) }, () => item));
  // Two equal items (duplicates), all different items, and the maximum size.
  out.push([items[0], items[0]], items.slice(0, Math.max(minItems, Math.min(items.length, maxItems))));
  const size = Math.max(minItems, Math.min(maxItems, LONG_SIZE, MAX_EDGE_SIZE));
  out.push(Array.from({ length: size }, (_, i) => items[i % items.length]));
  out.push(Array.from({ length: size }, () => items[0]));
  return out;
}

function objectEdges(s: Schema, root: JsonSchema, depth: number): unknown[] {
  const properties = (s['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = Array.isArray(s['required']) ? (s['required'] as string[]) : [];
  const propertyEdges = Object.fromEntries(Object.entries(properties).map(([k, schema]) => [k, edgeValues(schema, root, depth + 1)]));
  const out: unknown[] = [];
  const base = (): Record<string, unknown> => {
    const object: Record<string, unknown> = {};
    for (const k of Object.keys(properties)) if (propertyEdges[k]!.length > 0) object[k] = propertyEdges[k]![0];
    return object;
  };
  out.push(base());
  const requiredOnly: Record<string, unknown> = {};
  for (const k of required) if (propertyEdges[k]?.length) requiredOnly[k] = propertyEdges[k]![0];
  out.push(requiredOnly);
  // Vary one property at a time through its edges, the others at their first edge.
  for (const [k, edges] of Object.entries(propertyEdges)) {
    for (const value of edges.slice(1, 16)) out.push({ ...base(), [k]: value });
  }
  const additional = s['additionalProperties'];
  if (additional !== false && Object.keys(properties).length === 0) {
    const values = additional && typeof additional === 'object' ? edgeValues(additional as JsonSchema, root, depth + 1) : [1, 'a', null];
    if (values.length > 0) {
      out.push({});
      // JSON.parse makes `__proto__` an own key, as a parsed request body would have it.
      out.push(JSON.parse(JSON.stringify(Object.fromEntries(PROTOTYPE_KEYS.filter((k) => k !== '__proto__').map((k) => [k, values[0]])))));
      out.push(JSON.parse(`{"__proto__": ${JSON.stringify(values[0]) ?? 'null'}}`) as unknown);
      out.push(Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, values[i % values.length]])));
    }
  }
  return out;
}

/** Values outside `schema` (the caller keeps the ones the contract really rejects). */
export function invalidValues(schema: JsonSchema): unknown[] {
  const out: unknown[] = [undefined, null, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.5, -1.5, '', 'not-a-valid-value', true, {}, [], '1'];
  if (schema && typeof schema === 'object') {
    const s = schema as Schema;
    for (const k of ['minimum', 'exclusiveMinimum']) {
      const bound = num(s[k]);
      if (bound !== undefined) out.push(bound - 1, bound - 0.5);
    }
    for (const k of ['maximum', 'exclusiveMaximum']) {
      const bound = num(s[k]);
      if (bound !== undefined) out.push(bound + 1, bound + 0.5, Number.MAX_SAFE_INTEGER + 2);
    }
    if (Array.isArray(s['enum'])) out.push(...(s['enum'] as unknown[]).filter((v): v is string => typeof v === 'string').map((v) => v.toUpperCase() + '?'));
    const maxLength = num(s['maxLength']);
    if (maxLength !== undefined) out.push('a'.repeat(maxLength + 1));
    const maxItems = num(s['maxItems']);
    if (maxItems !== undefined) out.push(Array.from({ length: maxItems + 1 }, () => 0));
  }
  return unique(out);
}
