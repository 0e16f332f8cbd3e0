import type { ErrorObject } from 'ajv';
import { closest, distance } from 'fastest-levenshtein';
import { formatPath, pathSegments } from './yaml-source';

/**
 * Turns ajv's raw errors for a spec into the problems a person can act on: all of them at once, grouped (one problem
 * per place), with "did you mean" for misspelled fields and a hint for the confusions people actually make.
 * Pure: ajv errors in, problems out; the caller adds positions.
 */
export interface SchemaProblem {
  /** Where it is, as YAML path segments; `key` is set when the problem is an unknown key (point at the key). */
  path: (string | number)[];
  key?: string;
  message: string;
  expected: string;
}

/** JSON Schema's type names: `type: string` under a contract is almost always meant as inline JSON Schema. */
export const JSON_SCHEMA_TYPE_NAMES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object', 'null']);

/** Names people use for a field the format calls something else (too far apart for edit distance), by context. */
const SYNONYMS: Record<string, string[]> = {
  parameters: ['params', 'args'],
  arguments: ['params', 'args'],
  inputs: ['params', 'args'],
  input: ['params', 'args'],
  return: ['returns', 'expect'],
  returnType: ['returns'],
  output: ['outputs', 'expect'],
  result: ['expect', 'returns'],
  returns: ['expect'],
  files: ['outputs'],
  dependencies: ['dependsOn'],
  depends: ['dependsOn'],
  deps: ['dependsOn'],
  expected: ['expect'],
  error: ['throws'],
  errors: ['throws'],
  raises: ['throws'],
  summary: ['description'],
  desc: ['description'],
  goal: ['description'],
  imports: ['allowedImports'],
  name: ['id'],
  function: ['export'],
  fn: ['export'],
};

/** Top-level fields that belong in a nested mapping. */
const NESTED_HOMES: Record<string, string> = {
  rules: 'constraints',
  allowedImports: 'constraints',
  capabilities: 'constraints',
  pure: 'constraints',
  security: 'constraints',
  temperature: 'model',
  maxAttempts: 'model',
  timeoutMs: 'model',
};

const tick = (text: string) => `\`${text}\``;

/** The known field closest to an unknown one, when it is close enough to be a typo. */
export function suggestField(unknown: string, known: readonly string[]): string | undefined {
  // Own keys only: a field named `toString` or `__proto__` is unknown, not a synonym.
  const synonym = (Object.hasOwn(SYNONYMS, unknown) ? (SYNONYMS[unknown] as string[]) : []).find((field) => known.includes(field));
  if (synonym) return synonym;
  if (known.length === 0) return undefined;
  const lower = unknown.toLowerCase();
  const caseOnly = known.find((field) => field.toLowerCase() === lower);
  if (caseOnly) return caseOnly;
  const best = closest(lower, known.map((field) => field.toLowerCase()));
  const match = known.find((field) => field.toLowerCase() === best) as string;
  const limit = Math.max(1, Math.floor(Math.max(unknown.length, match.length) / 3));
  if (distance(lower, best) <= limit) return match;
  // A different ending of the same word (`purity` → `pure`, `descr` → `description`): a long shared prefix.
  const prefixOf = (field: string) => {
    let length = 0;
    while (length < field.length && length < lower.length && field[length]?.toLowerCase() === lower[length]) length++;
    return length;
  };
  const byPrefix = known.map((field) => ({ field, length: prefixOf(field) })).sort((a, b) => b.length - a.length)[0];
  if (byPrefix && byPrefix.length >= 3 && byPrefix.length >= 0.6 * Math.min(lower.length, byPrefix.field.length)) return byPrefix.field;
  return undefined;
}

function knownFields(error: ErrorObject): string[] {
  const parent = error.parentSchema as { properties?: Record<string, unknown> } | undefined;
  return Object.keys(parent?.properties ?? {});
}

/** `exports[0].returns` → `returns`, the field the problem is about. */
function lastField(path: (string | number)[]): string | undefined {
  for (let index = path.length - 1; index >= 0; index--) if (typeof path[index] === 'string') return path[index] as string;
  return undefined;
}

function isContractPath(path: (string | number)[]): boolean {
  const field = lastField(path);
  return path[0] === 'exports' && (field === 'returns' || (path.length >= 4 && path[2] === 'params'));
}

function typeHint(path: (string | number)[], expectedType: string, value: unknown): string | undefined {
  const field = lastField(path);
  if (field === 'type' && isContractPath(path.slice(0, -1)) && value !== null && typeof value === 'object') {
    return 'inline JSON Schema goes under `schema:` — write `schema: { type: … }`; `type:` names a TypeScript type exported by the `types:` file';
  }
  if (expectedType === 'array' && field === 'params' && value !== null && typeof value === 'object') {
    return '`params` is a list: one `- name: … / schema: …` entry per parameter, in call order';
  }
  if (expectedType === 'array' && typeof value === 'string') return `a list, e.g. ${tick(`${field}: [${value}]`)}`;
  if (expectedType === 'array' && field === 'args') return 'the call\'s arguments as a list, e.g. `args: [100, [1, 1]]`';
  return undefined;
}

function patternHint(path: (string | number)[], value: unknown): string | undefined {
  const field = lastField(path);
  if (field === 'tests') return `a vitest file named *.test.ts or *.spec.ts, relative to the spec (got ${JSON.stringify(value)})`;
  if (field === 'outputs') return `a .ts/.js source file relative to the spec (got ${JSON.stringify(value)})`;
  if (field === 'types') return 'a .ts file whose exported types `type:` contracts name';
  if (field === 'id' || field === 'dependsOn') {
    const suggestion = typeof value === 'string' ? value.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase().replace(/[^a-z0-9/-]+/g, '-').replace(/(^|\/)-+|-+($|\/)/g, '$1$2') : '';
    return `lowercase letters, digits and hyphens, parts joined by "/"${suggestion && suggestion !== value ? `, e.g. ${tick(suggestion)}` : ', e.g. `money/allocate`'}`;
  }
  if (field === 'name' || field === 'throws' || field === 'type') return 'a JavaScript identifier (letters, digits, _ and $; not starting with a digit)';
  return undefined;
}

function valueAt(data: unknown, path: (string | number)[]): unknown {
  let current = data;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/** Groups and explains ajv's errors (ajv must run with allErrors and verbose). */
export function describeSchemaErrors(errors: readonly ErrorObject[], data: unknown): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const seen = new Set<string>();
  const add = (problem: SchemaProblem) => {
    const key = `${problem.path.join('/')}|${problem.key ?? ''}|${problem.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    problems.push(problem);
  };

  // "One of two fields" rules (schema|type, expect|throws): explained once at the oneOf, not per failed branch.
  const oneOfs = errors.filter((error) => error.keyword === 'oneOf');
  const insideOneOf = (error: ErrorObject) => oneOfs.some((oneOf) => error !== oneOf && error.instancePath === oneOf.instancePath && error.schemaPath.startsWith(`${oneOf.schemaPath}/`));
  // Misspelled fields: "unknown field `output`" already says what is missing; no separate "missing `outputs`".
  const suggested = new Map<string, Set<string>>();

  for (const error of errors) {
    if (error.keyword !== 'additionalProperties') continue;
    const path = pathSegments(error.instancePath);
    const key = String((error.params as { additionalProperty: string }).additionalProperty);
    const known = knownFields(error);
    const suggestion = suggestField(key, known);
    const home = path.length === 0 && Object.hasOwn(NESTED_HOMES, key) ? NESTED_HOMES[key] : undefined;
    if (suggestion) {
      const set = suggested.get(error.instancePath) ?? new Set<string>();
      set.add(suggestion);
      suggested.set(error.instancePath, set);
    }
    const where = path.length > 0 ? `${formatPath(path)}: ` : '';
    const message = suggestion
      ? `${where}unknown field ${tick(key)} — did you mean ${tick(suggestion)}?`
      : home
        ? `${where}unknown field ${tick(key)} — ${tick(key)} goes under ${tick(`${home}:`)}`
        : `${where}unknown field ${tick(key)}`;
    add({ path, key, message, expected: home && !suggestion ? `${home}:\n    ${key}: …` : `only the fields the spec format defines here: ${known.map(tick).join(', ')}` });
  }

  for (const error of errors) {
    const path = pathSegments(error.instancePath);
    const where = path.length > 0 ? `${formatPath(path)}: ` : '';
    const params = error.params as Record<string, unknown>;
    if (error.keyword === 'additionalProperties' || error.keyword === 'if' || error.keyword === 'anyOf') continue;
    if (error.keyword === 'oneOf') {
      const branches = errors.filter((other) => other.keyword === 'required' && other.instancePath === error.instancePath && other.schemaPath.startsWith(`${error.schemaPath}/`));
      const choices = branches.map((branch) => String((branch.params as { missingProperty: string }).missingProperty));
      if (Array.isArray(params.passingSchemas)) {
        const both = ((error.schema as { required: string[] }[]) ?? []).flatMap((branch) => branch.required ?? []);
        const hint = both.includes('schema') ? ' (`schema:` is inline JSON Schema, `type:` names a TypeScript type; pick one)' : '';
        add({ path, message: `${where}has both ${both.map(tick).join(' and ')}${hint}`, expected: `exactly one of ${both.map((field) => tick(`${field}:`)).join(' or ')}` });
      } else if (choices.length > 0) {
        const hint = choices.includes('schema') ? ' — inline JSON Schema under `schema:`, or `type:` naming a TypeScript type' : choices.includes('expect') ? ' — the value the call must return, or the error it must throw' : '';
        add({ path, message: `${where}needs ${choices.map((field) => tick(`${field}:`)).join(' or ')}${hint}`, expected: `one of ${choices.map(tick).join(', ')}` });
      }
      continue;
    }
    if (insideOneOf(error)) continue;
    switch (error.keyword) {
      case 'required': {
        const missing = String(params.missingProperty);
        if (suggested.get(error.instancePath)?.has(missing)) break;
        add({ path, message: `${where}missing required field ${tick(missing)}`, expected: `a ${tick(`${missing}:`)} field` });
        break;
      }
      case 'type': {
        const value = valueAt(data, path);
        const hint = typeHint(path, String(params.type), value);
        add({ path, message: `${where}must be ${String(params.type)}${hint ? ` — ${hint}` : ''}`, expected: `a value of type ${String(params.type)}` });
        break;
      }
      case 'enum': {
        const allowed = (params.allowedValues as unknown[]).map(String);
        const value = valueAt(data, path);
        const suggestion = typeof value === 'string' ? suggestField(value, allowed) : undefined;
        add({ path, message: `${where}${JSON.stringify(value)} is not one of the allowed values${suggestion ? ` — did you mean ${tick(suggestion)}?` : ''}`, expected: `one of ${allowed.map(tick).join(', ')}` });
        break;
      }
      case 'pattern': {
        const value = valueAt(data, path);
        const hint = patternHint(path, value);
        add({ path, message: `${where}${JSON.stringify(value)} does not match the pattern ${String(params.pattern)}`, expected: hint ?? `a string matching ${String(params.pattern)}` });
        break;
      }
      case 'minItems':
        add({ path, message: `${where}must have at least ${String(params.limit)} item(s)`, expected: `a list with at least ${String(params.limit)} entry` });
        break;
      case 'uniqueItems':
        add({ path, message: `${where}lists the same entry twice (items ${String(params.j)} and ${String(params.i)})`, expected: 'each entry once' });
        break;
      default:
        add({ path, message: `${where}${error.message ?? 'is invalid'}`, expected: `${error.keyword} ${JSON.stringify(params)}` });
    }
  }
  return problems;
}
