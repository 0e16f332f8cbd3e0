import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonSchema } from '../types';
import { schemaToArbitrary, UnsupportedSchemaError } from './schema-arbitrary';
import { SchemaValidator } from './schema-validator';

const validator = new SchemaValidator();

function validShare(schema: JsonSchema, numRuns = 200): { share: number; values: unknown[] } {
  const values = fc.sample(schemaToArbitrary(schema), { numRuns, seed: 42 });
  const valid = values.filter((v) => validator.validate(schema, v).ok).length;
  return { share: valid / values.length, values };
}

const SCHEMAS: Array<[string, JsonSchema]> = [
  ['integer range', { type: 'integer', minimum: -5, maximum: 1_000_000 }],
  ['exclusive bounds', { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 }],
  ['integer exclusive', { type: 'integer', exclusiveMinimum: 0, exclusiveMaximum: 10 }],
  ['multipleOf', { type: 'integer', multipleOf: 5, minimum: 0, maximum: 100 }],
  ['string lengths', { type: 'string', minLength: 2, maxLength: 5 }],
  ['pattern', { type: 'string', pattern: '^[A-Z]{3}-\\d{2,4}$' }],
  ['formats', { type: 'object', properties: { at: { type: 'string', format: 'date-time' }, id: { type: 'string', format: 'uuid' }, mail: { type: 'string', format: 'email' }, day: { type: 'string', format: 'date' } }, required: ['at', 'id', 'mail', 'day'] }],
  ['enum', { enum: ['EUR', 'USD', 3, null] }],
  ['const', { const: { a: [1] } }],
  ['nullable type list', { type: ['string', 'null'], maxLength: 3 }],
  ['boolean', { type: 'boolean' }],
  ['null', { type: 'null' }],
  ['array', { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 1, maxItems: 4 }],
  ['unique array', { type: 'array', items: { enum: [1, 2, 3, 4] }, uniqueItems: true, minItems: 2 }],
  ['tuple (draft-07)', { type: 'array', items: [{ type: 'string' }, { type: 'integer' }], additionalItems: false, minItems: 2 }],
  [
    'object',
    {
      type: 'object',
      properties: { currency: { type: 'string', pattern: '^[A-Z]{3}$' }, amount: { type: 'integer' }, note: { type: 'string' } },
      required: ['currency', 'amount'],
      additionalProperties: false,
    },
  ],
  ['additionalProperties schema', { type: 'object', properties: { a: { type: 'integer' } }, additionalProperties: { type: 'boolean' } }],
  ['anyOf', { anyOf: [{ type: 'integer', maximum: -1 }, { type: 'string', minLength: 1 }] }],
  ['oneOf objects', { oneOf: [{ type: 'object', properties: { kind: { const: 'a' }, x: { type: 'integer' } }, required: ['kind', 'x'], additionalProperties: false }, { type: 'object', properties: { kind: { const: 'b' } }, required: ['kind'], additionalProperties: false }] }],
  ['allOf', { allOf: [{ type: 'object', properties: { a: { type: 'integer' } }, required: ['a'] }, { properties: { b: { type: 'string' } }, required: ['b'] }] }],
  [
    'ts-json-schema-generator style $ref',
    { $schema: 'http://json-schema.org/draft-07/schema#', $ref: '#/definitions/Money', definitions: { Money: { type: 'object', properties: { amount: { type: 'integer' }, currency: { $ref: '#/definitions/Currency' } }, required: ['amount', 'currency'], additionalProperties: false }, Currency: { type: 'string', enum: ['EUR', 'USD'] } } },
  ],
  [
    'recursive $ref',
    { $ref: '#/definitions/Tree', definitions: { Tree: { type: 'object', properties: { value: { type: 'integer' }, children: { type: 'array', items: { $ref: '#/definitions/Tree' } } }, required: ['value'], additionalProperties: false } } },
  ],
  ['true', true],
  ['empty object schema', {}],
];

describe('schemaToArbitrary', () => {
  it.each(SCHEMAS)('generates values ajv accepts: %s', (_name, schema) => {
    const { share } = validShare(schema);
    expect(share).toBe(1);
  });

  it('covers the edges of integer ranges (small values are weighted in)', () => {
    const values = fc.sample(schemaToArbitrary({ type: 'integer', minimum: 0, maximum: 1000 }), { numRuns: 300, seed: 1 }) as number[];
    expect(values.filter((v) => v <= 1).length).toBeGreaterThan(10);
    expect(Math.max(...values)).toBeGreaterThan(500);
  });

  it('produces a variety of array lengths including empty', () => {
    const values = fc.sample(schemaToArbitrary({ type: 'array', items: { type: 'integer' }, maxItems: 20 }), { numRuns: 200, seed: 3 }) as unknown[][];
    expect(values.some((v) => v.length === 0)).toBe(true);
    expect(values.some((v) => v.length >= 5)).toBe(true);
  });

  it('shrinks generated values (fast-check keeps working through the mapper)', () => {
    const schema: JsonSchema = { type: 'array', items: { type: 'integer', minimum: 0, maximum: 1000 }, maxItems: 20 };
    const details = fc.check(fc.property(schemaToArbitrary(schema), (xs) => !(xs as number[]).some((x) => x >= 100)), { seed: 7, numRuns: 500 });
    expect(details.failed).toBe(true);
    expect(details.counterexample).toEqual([[100]]);
  });

  it('rejects schemas that accept nothing', () => {
    expect(() => schemaToArbitrary(false)).toThrow(UnsupportedSchemaError);
    expect(() => schemaToArbitrary({ enum: [] })).toThrow(UnsupportedSchemaError);
    expect(() => schemaToArbitrary({ type: 'integer', minimum: 5, maximum: 4 })).toThrow(/empty integer range/);
    expect(() => schemaToArbitrary({ $ref: 'https://example.com/x.json' })).toThrow(/only local \$ref/);
  });
});
