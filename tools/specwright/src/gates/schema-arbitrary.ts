/**
 * JSON Schema → fast-check arbitrary, for the subset the spec format allows: type (string, number, integer, boolean,
 * array, object, null, or a list of them), enum, const, minimum/maximum/exclusive*, multipleOf, minLength/maxLength,
 * pattern (fc.stringMatching), a few formats, items (schema or tuple) / prefixItems, minItems/maxItems, uniqueItems,
 * properties/required/additionalProperties, anyOf/oneOf/allOf, local $ref (#/definitions, #/$defs).
 * Anything else is left to ajv: callers post-filter every generated value with the same schema, so the mapper only
 * has to be mostly right, and fast-check keeps shrinking.
 */
import * as fc from 'fast-check';
import type { JsonSchema } from '../types';
import { canonicalJson } from './util';

export class UnsupportedSchemaError extends Error {
  override name = 'UnsupportedSchemaError';
}

export interface SchemaArbitraryOptions {
  /** Upper bound of generated arrays when the schema sets none. Default 10. */
  maxItems?: number;
  /** Upper bound of generated strings when the schema sets none. Default 20. */
  maxLength?: number;
  /** How many times one `$ref` may be expanded inside itself before recursion is cut. Default 2. */
  maxRefDepth?: number;
}

type Schema = Record<string, unknown>;

interface State {
  root: JsonSchema;
  options: Required<SchemaArbitraryOptions>;
  refDepth: Map<string, number>;
}

export function schemaToArbitrary(schema: JsonSchema, options: SchemaArbitraryOptions = {}): fc.Arbitrary<unknown> {
  const state: State = {
    root: schema,
    options: { maxItems: options.maxItems ?? 10, maxLength: options.maxLength ?? 20, maxRefDepth: options.maxRefDepth ?? 2 },
    refDepth: new Map(),
  };
  return build(schema, state);
}

const ANY_JSON = fc.jsonValue({ maxDepth: 2 });

function build(schema: JsonSchema, state: State): fc.Arbitrary<unknown> {
  if (schema === true) return ANY_JSON;
  if (schema === false) throw new UnsupportedSchemaError('schema `false` accepts no value');
  if (typeof schema !== 'object' || schema === null) throw new UnsupportedSchemaError(`not a schema: ${JSON.stringify(schema)}`);
  const s = schema as Schema;

  if (typeof s['$ref'] === 'string') return buildRef(s, state);
  if ('const' in s) return fc.constant(s['const']);
  if (Array.isArray(s['enum'])) {
    if (s['enum'].length === 0) throw new UnsupportedSchemaError('empty enum accepts no value');
    return fc.constantFrom(...(s['enum'] as unknown[]));
  }
  if (Array.isArray(s['allOf'])) {
    const { allOf, ...rest } = s;
    return build((allOf as JsonSchema[]).reduce<Schema>((merged, part) => merge(merged, part), rest), state);
  }
  for (const keyword of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(s[keyword])) {
      const { [keyword]: branches, ...rest } = s;
      const arbitraries: fc.Arbitrary<unknown>[] = [];
      let lastError: unknown;
      for (const branch of branches as JsonSchema[]) {
        try {
          arbitraries.push(build(Object.keys(rest).length ? merge(rest, branch) : branch, state));
        } catch (error) {
          lastError = error;
        }
      }
      if (arbitraries.length === 0) throw lastError instanceof Error ? lastError : new UnsupportedSchemaError(`${keyword} with no usable branch`);
      return arbitraries.length === 1 ? arbitraries[0]! : fc.oneof(...arbitraries);
    }
  }

  const type = s['type'];
  if (Array.isArray(type)) {
    const arbitraries = (type as string[]).map((t) => buildTyped(t, s, state));
    return arbitraries.length === 1 ? arbitraries[0]! : fc.oneof(...arbitraries);
  }
  const resolved = typeof type === 'string' ? type : inferType(s);
  const arbitrary = resolved ? buildTyped(resolved, s, state) : ANY_JSON;
  return s['nullable'] === true ? fc.option(arbitrary, { nil: null }) : arbitrary;
}

function inferType(s: Schema): string | undefined {
  if ('properties' in s || 'required' in s || 'additionalProperties' in s) return 'object';
  if ('items' in s || 'prefixItems' in s || 'minItems' in s || 'maxItems' in s) return 'array';
  if ('minLength' in s || 'maxLength' in s || 'pattern' in s || 'format' in s) return 'string';
  if ('minimum' in s || 'maximum' in s || 'exclusiveMinimum' in s || 'exclusiveMaximum' in s || 'multipleOf' in s) return 'number';
  return undefined;
}

function buildRef(s: Schema, state: State): fc.Arbitrary<unknown> {
  const ref = s['$ref'] as string;
  const depth = state.refDepth.get(ref) ?? 0;
  if (depth >= state.options.maxRefDepth) throw new UnsupportedSchemaError(`recursion through ${ref} cut at depth ${depth}`);
  const target = resolvePointer(state.root, ref);
  const { $ref: _ref, ...siblings } = s;
  void _ref;
  state.refDepth.set(ref, depth + 1);
  try {
    return build(Object.keys(siblings).length ? merge(siblings, target) : target, state);
  } finally {
    state.refDepth.set(ref, depth);
  }
}

function resolvePointer(root: JsonSchema, ref: string): JsonSchema {
  if (!ref.startsWith('#')) throw new UnsupportedSchemaError(`only local $ref are supported, got ${ref}`);
  let current: unknown = root;
  const pointer = ref.slice(1);
  if (pointer === '' || pointer === '/') return root;
  for (const raw of pointer.replace(/^\//, '').split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (current === null || typeof current !== 'object' || !(key in (current as Schema))) {
      throw new UnsupportedSchemaError(`$ref ${ref} does not resolve`);
    }
    current = (current as Schema)[key];
  }
  return current as JsonSchema;
}

/** Shallow merge for allOf / sibling keywords; `required` unions and `properties` merge key-wise. */
function merge(a: Schema, b: JsonSchema): Schema {
  if (b === true) return a;
  if (b === false) throw new UnsupportedSchemaError('schema `false` accepts no value');
  const out: Schema = { ...a, ...b };
  if (Array.isArray(a['required']) || Array.isArray(b['required'])) {
    out['required'] = [...new Set([...((a['required'] as string[]) ?? []), ...((b['required'] as string[]) ?? [])])];
  }
  if (a['properties'] && b['properties']) out['properties'] = { ...(a['properties'] as Schema), ...(b['properties'] as Schema) };
  return out;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function bounds(s: Schema): { min?: number; max?: number; minExcluded: boolean; maxExcluded: boolean } {
  let min = num(s['minimum']);
  let max = num(s['maximum']);
  let minExcluded = false;
  let maxExcluded = false;
  const exMin = s['exclusiveMinimum'];
  const exMax = s['exclusiveMaximum'];
  if (typeof exMin === 'number' && (min === undefined || exMin >= min)) {
    min = exMin;
    minExcluded = true;
  } else if (exMin === true) minExcluded = true; // draft-04 boolean form
  if (typeof exMax === 'number' && (max === undefined || exMax <= max)) {
    max = exMax;
    maxExcluded = true;
  } else if (exMax === true) maxExcluded = true;
  return { min, max, minExcluded, maxExcluded };
}

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

function buildTyped(type: string, s: Schema, state: State): fc.Arbitrary<unknown> {
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return integerArbitrary(s);
    case 'number':
      return numberArbitrary(s);
    case 'string':
      return stringArbitrary(s, state);
    case 'array':
      return arrayArbitrary(s, state);
    case 'object':
      return objectArbitrary(s, state);
    default:
      throw new UnsupportedSchemaError(`unknown type '${type}'`);
  }
}

function integerArbitrary(s: Schema): fc.Arbitrary<number> {
  const { min, max, minExcluded, maxExcluded } = bounds(s);
  let lo = min === undefined ? INT_MIN : minExcluded ? Math.floor(min) + 1 : Math.ceil(min);
  let hi = max === undefined ? INT_MAX : maxExcluded ? Math.ceil(max) - 1 : Math.floor(max);
  lo = Math.max(lo, Number.MIN_SAFE_INTEGER);
  hi = Math.min(hi, Number.MAX_SAFE_INTEGER);
  if (min !== undefined && max === undefined) hi = Math.max(hi, Math.min(lo + INT_MAX, Number.MAX_SAFE_INTEGER));
  if (max !== undefined && min === undefined) lo = Math.min(lo, Math.max(hi - INT_MAX, Number.MIN_SAFE_INTEGER));
  const step = num(s['multipleOf']);
  if (step && Number.isInteger(step) && step > 0) {
    const kLo = Math.ceil(lo / step);
    const kHi = Math.floor(hi / step);
    if (kLo > kHi) throw new UnsupportedSchemaError(`no multiple of ${step} in [${lo}, ${hi}]`);
    return fc.integer({ min: kLo, max: kHi }).map((k) => k * step);
  }
  if (lo > hi) throw new UnsupportedSchemaError(`empty integer range [${lo}, ${hi}]`);
  const full = fc.integer({ min: lo, max: hi });
  // Bugs live near 0 and near the bounds (empty totals, single units, ties): weight small values in, fast-check's
  // own bias alone rarely produces e.g. ratios of only 0s and 1s from [0, 1000].
  const near = lo <= 0 && hi >= 0 ? [Math.max(lo, -10), Math.min(hi, 10)] : lo > 0 ? [lo, Math.min(hi, lo + 10)] : [Math.max(lo, hi - 10), hi];
  if (hi - lo <= 20) return full;
  return fc.oneof({ arbitrary: full, weight: 2 }, { arbitrary: fc.integer({ min: near[0]!, max: near[1]! }), weight: 1 });
}

function numberArbitrary(s: Schema): fc.Arbitrary<number> {
  const { min, max, minExcluded, maxExcluded } = bounds(s);
  const step = num(s['multipleOf']);
  if (step && step > 0) {
    const kLo = Math.ceil((min ?? -1e6) / step);
    const kHi = Math.floor((max ?? 1e6) / step);
    return fc.integer({ min: kLo, max: kHi }).map((k) => k * step);
  }
  return fc.double({
    ...(min !== undefined ? { min, minExcluded } : {}),
    ...(max !== undefined ? { max, maxExcluded } : {}),
    noNaN: true,
    noDefaultInfinity: true,
  });
}

const FORMATS: Record<string, () => fc.Arbitrary<string>> = {
  'date-time': () => fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  date: () => fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  email: () => fc.emailAddress(),
  uuid: () => fc.uuid(),
  uri: () => fc.webUrl(),
  url: () => fc.webUrl(),
  ipv4: () => fc.ipV4(),
  ipv6: () => fc.ipV6(),
};

function stringArbitrary(s: Schema, state: State): fc.Arbitrary<string> {
  const minLength = num(s['minLength']) ?? 0;
  const maxLength = num(s['maxLength']) ?? Math.max(minLength, state.options.maxLength);
  const format = typeof s['format'] === 'string' ? FORMATS[s['format']] : undefined;
  if (format) return format();
  if (typeof s['pattern'] === 'string') {
    try {
      return fc.stringMatching(new RegExp(s['pattern']), { size: 'small' });
    } catch {
      // a pattern fc cannot generate from: plain strings, ajv filters
    }
  }
  return fc.string({ minLength, maxLength, unit: TEXT_UNIT });
}

/**
 * One "character" of generated text: mostly printable ASCII (readable counterexamples, fast shrinking), with a
 * share of the characters naive text code gets wrong — whitespace variants, CR/LF, combining marks, case-folding
 * traps, right-to-left text, astral letters and emoji — and any code point. Each unit is one code point, so a
 * string stays within the contract's minLength/maxLength (which count code points).
 */
const TEXT_UNIT = fc.oneof(
  { weight: 12, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(' ', '\t', '\n', '\r', '\u00a0', '\u2003', '\u200b', '\u0301', '\u00e9', '\u00df', '\u0130', '\u0131', '\u03c2', '\ufb01', '\u{1F600}', '\u{1D400}', '\u05e9', '\u0645', '\u202e', '\uff11', '\u0000'),
  },
  { weight: 1, arbitrary: fc.string({ unit: anyCodePoint(), minLength: 1, maxLength: 1 }) },
);

/**
 * fast-check's `binary` unit (any code point but a lone surrogate), built the way fast-check builds it (a natural
 * number mapped onto the code points), so it draws and shrinks exactly the same values — but with an unmapper
 * that computes the index instead of looking it up in a map of all 1.1 million code points, which fast-check
 * builds on first use and which cost every gate process about a second of CPU at start-up.
 */
function anyCodePoint(): fc.Arbitrary<string> {
  const SURROGATE_START = 0xd800;
  const SURROGATES = 0xe000 - SURROGATE_START;
  return fc.nat({ max: 0x10ffff - SURROGATES }).map(
    (index) => String.fromCodePoint(index < SURROGATE_START ? index : index + SURROGATES),
    (value) => {
      const point = typeof value === 'string' ? value.codePointAt(0) : undefined;
      if (point === undefined || String.fromCodePoint(point) !== value || (point >= SURROGATE_START && point < SURROGATE_START + SURROGATES)) {
        throw new Error('not a single code point');
      }
      return point < SURROGATE_START ? point : point - SURROGATES;
    },
  );
}

function arrayArbitrary(s: Schema, state: State): fc.Arbitrary<unknown[]> {
  const minItems = num(s['minItems']) ?? 0;
  const maxItems = num(s['maxItems']) ?? Math.max(minItems, state.options.maxItems);
  const prefix = Array.isArray(s['prefixItems']) ? (s['prefixItems'] as JsonSchema[]) : Array.isArray(s['items']) ? (s['items'] as JsonSchema[]) : undefined;
  if (prefix) {
    const rest = Array.isArray(s['items']) ? s['additionalItems'] : s['items'];
    const head = fc.tuple(...prefix.map((p) => build(p, state)));
    if (rest === undefined || rest === false) return head;
    const tail = fc.array(build(rest as JsonSchema, state), { maxLength: Math.max(0, maxItems - prefix.length) });
    return fc.tuple(head, tail).map(([h, t]) => [...h, ...t]);
  }
  let item: fc.Arbitrary<unknown>;
  try {
    item = s['items'] === undefined ? ANY_JSON : build(s['items'] as JsonSchema, state);
  } catch (error) {
    // recursion cut (or an impossible item): only the empty array is left
    if (minItems === 0) return fc.constant([]);
    throw error;
  }
  if (s['uniqueItems'] === true) return fc.uniqueArray(item, { minLength: minItems, maxLength: maxItems, selector: (v) => canonicalJson(v) });
  return fc.array(item, { minLength: minItems, maxLength: maxItems });
}

function objectArbitrary(s: Schema, state: State): fc.Arbitrary<Record<string, unknown>> {
  const properties = (s['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set(Array.isArray(s['required']) ? (s['required'] as string[]) : []);
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, propertySchema] of Object.entries(properties)) {
    try {
      model[key] = build(propertySchema, state);
    } catch (error) {
      if (required.has(key)) throw error;
      // optional and not generable (e.g. recursion cut): leave it out
    }
  }
  const requiredKeys = [...required].filter((key) => key in model);
  for (const key of required) {
    if (!(key in model)) model[key] = ANY_JSON; // required but without a schema: anything, ajv decides
    if (!requiredKeys.includes(key)) requiredKeys.push(key);
  }
  const record = fc.record(model, { requiredKeys });
  const additional = s['additionalProperties'];
  if (additional && typeof additional === 'object') {
    const extra = fc.dictionary(
      fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !(k in properties) && k !== '__proto__'),
      build(additional as JsonSchema, state),
      { maxKeys: 3 },
    );
    return fc.tuple(record, extra).map(([r, e]) => ({ ...e, ...r }));
  }
  if (Object.keys(properties).length === 0 && additional !== false && !('required' in s)) {
    return fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== '__proto__'), ANY_JSON, { maxKeys: 4 });
  }
  return record;
}
