/**
 * One ajv instance per gate session; compiled validators cached by the hash of the schema (recompiling is the slow
 * part of ajv). Errors come back with `instancePath` and `schemaPath`, the two things a model needs to repair.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { JsonSchema } from '../types';
import { canonicalJson, sha256 } from './util';

export interface SchemaError {
  instancePath: string;
  schemaPath: string;
  message: string;
}

export type ValidationResult = { ok: true } | { ok: false; errors: SchemaError[] };

export class SchemaValidator {
  private readonly ajv: Ajv;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor() {
    // strict: false — resolved contracts come from ts-json-schema-generator and hand-written specs, which may carry
    // annotation keywords ajv's strict mode rejects; an unknown keyword must not crash a gate.
    this.ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true, validateFormats: true });
    addFormats(this.ajv);
  }

  /** The validator for a schema; compiled once per distinct schema. Throws when the schema itself is invalid. */
  compile(schema: JsonSchema): ValidateFunction {
    const key = sha256(canonicalJson(schema));
    let validate = this.cache.get(key);
    if (!validate) {
      validate = this.ajv.compile(normalize(schema));
      this.cache.set(key, validate);
    }
    return validate;
  }

  validate(schema: JsonSchema, value: unknown): ValidationResult {
    const validate = this.compile(schema);
    if (validate(value)) return { ok: true };
    return { ok: false, errors: (validate.errors ?? []).map(toSchemaError) };
  }

  get size(): number {
    return this.cache.size;
  }
}

function toSchemaError(error: ErrorObject): SchemaError {
  let message = error.message ?? 'is invalid';
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties' && typeof params['additionalProperty'] === 'string') {
    message = `${message} '${params['additionalProperty']}'`;
  } else if (error.keyword === 'enum' && Array.isArray(params['allowedValues'])) {
    message = `${message}: ${JSON.stringify(params['allowedValues'])}`;
  } else if (error.keyword === 'const') {
    message = `${message}: ${JSON.stringify(params['allowedValue'])}`;
  }
  return { instancePath: error.instancePath, schemaPath: error.schemaPath, message };
}

/** `/0/amount (#/items/properties/amount/type) must be integer; …` — at most `max` errors. */
export function formatSchemaErrors(errors: readonly SchemaError[], max = 5): string {
  const shown = errors.slice(0, max).map((e) => `${e.instancePath || '(root)'} (${e.schemaPath}) ${e.message}`);
  if (errors.length > max) shown.push(`… ${errors.length - max} more`);
  return shown.join('; ');
}

/**
 * A copy without the root `$id` (several specs may resolve the same type: ajv refuses two schemas with one id) and
 * without `$schema` (ajv's default instance knows draft-07 only; the keywords we use are the same).
 */
function normalize(schema: JsonSchema): JsonSchema {
  if (typeof schema === 'boolean') return schema;
  const { $id: _id, $schema: _schema, ...rest } = schema;
  void _id;
  void _schema;
  return rest;
}
