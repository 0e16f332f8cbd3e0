import type { ErrorObject } from 'ajv';
import type { Document, LineCounter, Node } from 'yaml';

/**
 * Positions in YAML sources, shared by everything that validates YAML against a JSON Schema (specs, the policy):
 * ajv reports JSON pointers, people need `line:column`. Loads `yaml` only when called, so that importing this module
 * costs nothing on the pre-commit hook's fast path.
 */
export interface Position {
  line: number;
  column: number;
}

export interface ParsedYaml {
  doc: Document;
  lineCounter: LineCounter;
}

function yaml(): typeof import('yaml') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('yaml') as typeof import('yaml');
}

/** How every Specwright YAML file is parsed (part of the spec YAML cache's key: a change here is a new reading). */
export const YAML_DOCUMENT_OPTIONS = { uniqueKeys: true, prettyErrors: false, strict: true } as const;

/** Parses strictly (unique keys); returns the first syntax error with its position instead of throwing. */
export function parseYamlDocument(source: string): ParsedYaml & { syntaxError?: { message: string; position: Position } } {
  const { LineCounter: Counter, parseDocument } = yaml();
  const lineCounter = new Counter();
  const doc = parseDocument(source, { lineCounter, ...YAML_DOCUMENT_OPTIONS });
  const first = doc.errors[0];
  if (!first) return { doc, lineCounter };
  const pos = lineCounter.linePos(first.pos[0]);
  return { doc, lineCounter, syntaxError: { message: first.message.split('\n')[0] ?? first.message, position: { line: pos.line, column: pos.col } } };
}

export function isYamlMapping(node: unknown): boolean {
  return yaml().isMap(node);
}

/** ajv's JSON pointer as path segments (numbers for array indices). */
export function pathSegments(instancePath: string): (string | number)[] {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

/** `exports[0].params[1]`, the way people write paths. */
export function formatPath(path: (string | number)[]): string {
  return path.reduce<string>((acc, segment) => {
    if (typeof segment === 'number') return `${acc}[${segment}]`;
    if (/^[A-Za-z_$][\w$]*$/.test(segment)) return acc ? `${acc}.${segment}` : segment;
    return `${acc}[${JSON.stringify(segment)}]`;
  }, '');
}

/** ajv reports one error per failed branch; the deepest concrete one is the one a person can act on. */
export function mostSpecificError(errors: ErrorObject[]): ErrorObject {
  const concrete = errors.filter((error) => !['oneOf', 'anyOf', 'if'].includes(error.keyword));
  const pool = concrete.length > 0 ? concrete : errors;
  return pool.reduce((best, error) => (error.instancePath.length > best.instancePath.length ? error : best), pool[0] as ErrorObject);
}

/** The position of the deepest node along `path` that exists (a missing field points at its parent). */
export function positionOfPath({ doc, lineCounter }: ParsedYaml, path: (string | number)[]): Position {
  for (let length = path.length; length >= 0; length--) {
    const node = (length === 0 ? doc.contents : doc.getIn(path.slice(0, length), true)) as Node | null | undefined;
    if (node && typeof node === 'object' && 'range' in node && node.range) {
      const pos = lineCounter.linePos(node.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return { line: 1, column: 1 };
}

/** The position of `key` in the mapping at `path` (for unknown fields), else of the mapping itself. */
export function positionOfKey(parsed: ParsedYaml, path: (string | number)[], key: string): Position {
  const { isMap, isScalar } = yaml();
  const parent = (path.length === 0 ? parsed.doc.contents : parsed.doc.getIn(path, true)) as Node | null | undefined;
  if (isMap(parent)) {
    const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === key);
    const keyNode = pair?.key as Node | undefined;
    if (keyNode?.range) {
      const pos = parsed.lineCounter.linePos(keyNode.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return positionOfPath(parsed, path);
}

/** Where an ajv error points: the unknown key for additionalProperties, the node (or its parent) otherwise. */
export function positionOfSchemaError(parsed: ParsedYaml, error: ErrorObject): Position {
  const path = pathSegments(error.instancePath);
  if (error.keyword === 'additionalProperties') return positionOfKey(parsed, path, String((error.params as { additionalProperty: string }).additionalProperty));
  return positionOfPath(parsed, path);
}
