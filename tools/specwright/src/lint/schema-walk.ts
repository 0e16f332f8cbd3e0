import type { JsonSchema } from '../types';

/**
 * Walks a contract's JSON Schema node by node, with two paths for each node: where it sits in the schema (so an
 * inline schema can be pointed at in the YAML) and which part of the *value* it constrains (so examples can be
 * looked up: `['options', 'maxLength']`, `['*']` for every element of an array).
 */
export type ValuePath = (string | number)[];

export interface SchemaNode {
  schema: Record<string, unknown>;
  /** Path of this node inside the contract's schema, e.g. `['items']`, `['properties', 'maxLength']`. */
  schemaPath: (string | number)[];
  /** Which part of the value it constrains; `'*'` stands for every element of an array. */
  valuePath: ValuePath;
}

const COMBINATORS = ['anyOf', 'oneOf', 'allOf'] as const;

export function walkSchema(root: JsonSchema, visit: (node: SchemaNode) => void): void {
  const seen = new Set<unknown>();
  const rootObject = typeof root === 'object' ? root : undefined;
  const step = (schema: unknown, schemaPath: (string | number)[], valuePath: ValuePath): void => {
    if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return;
    const node = resolveLocalRef(schema as Record<string, unknown>, rootObject);
    if (seen.has(node)) return; // recursive types: each definition once
    seen.add(node);
    visit({ schema: node, schemaPath, valuePath });
    const properties = node.properties;
    if (properties && typeof properties === 'object') {
      for (const [name, child] of Object.entries(properties as Record<string, unknown>)) step(child, [...schemaPath, 'properties', name], [...valuePath, name]);
    }
    if (node.items && typeof node.items === 'object') {
      if (Array.isArray(node.items)) node.items.forEach((child, index) => step(child, [...schemaPath, 'items', index], [...valuePath, index]));
      else step(node.items, [...schemaPath, 'items'], [...valuePath, '*']);
    }
    if (Array.isArray(node.prefixItems)) node.prefixItems.forEach((child, index) => step(child, [...schemaPath, 'prefixItems', index], [...valuePath, index]));
    if (node.additionalProperties && typeof node.additionalProperties === 'object') step(node.additionalProperties, [...schemaPath, 'additionalProperties'], [...valuePath, '*']);
    for (const combinator of COMBINATORS) {
      const branches = node[combinator];
      if (Array.isArray(branches)) branches.forEach((child, index) => step(child, [...schemaPath, combinator, index], valuePath));
    }
  };
  step(root, [], []);
}

/** `#/definitions/X` and `#/$defs/X` against the root; anything else is left as it is. */
function resolveLocalRef(node: Record<string, unknown>, root: Record<string, unknown> | undefined): Record<string, unknown> {
  let current = node;
  for (let depth = 0; depth < 20 && typeof current.$ref === 'string' && root; depth++) {
    const match = /^#\/(definitions|\$defs)\/(.+)$/.exec(current.$ref);
    const target = match ? (root[match[1] as string] as Record<string, unknown> | undefined)?.[decodeURIComponent(match[2] as string)] : undefined;
    if (!target || typeof target !== 'object') break;
    current = target as Record<string, unknown>;
  }
  return current;
}

/** The JSON types a schema node admits (`type` as a string or an array; none when it does not say). */
export function typesOf(schema: Record<string, unknown>): string[] {
  const type = schema.type;
  if (typeof type === 'string') return [type];
  if (Array.isArray(type)) return type.filter((entry): entry is string => typeof entry === 'string');
  return [];
}

/** Every value found at `path` inside `value` (`'*'` fans out over arrays and objects). */
export function valuesAt(value: unknown, path: ValuePath): unknown[] {
  let current: unknown[] = [value];
  for (const segment of path) {
    const next: unknown[] = [];
    for (const item of current) {
      if (item === null || typeof item !== 'object') continue;
      if (segment === '*') next.push(...(Array.isArray(item) ? item : Object.values(item)));
      else if (Array.isArray(item) && typeof segment === 'number') {
        if (segment < item.length) next.push(item[segment]);
      } else if (!Array.isArray(item) && Object.prototype.hasOwnProperty.call(item, segment)) next.push((item as Record<string, unknown>)[segment]);
    }
    current = next;
  }
  return current;
}
