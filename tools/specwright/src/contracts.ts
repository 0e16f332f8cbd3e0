import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { SpecwrightError } from './errors';
import { positionOfText } from './graph';
import { readTextIfExists, sha256, writeFileAtomic } from './fs-utils';
import type { ContractRef, JsonSchema, ParsedSpec, ResolvedContracts, ResolvedSpec } from './types';

/** Bump when the way TS types become schemas changes: cached schemas from older versions are then ignored. */
const CONTRACTS_CACHE_VERSION = 1;
export const CONTRACTS_CACHE_DIR = join('node_modules', '.cache', 'specwright', 'contracts');

type Definitions = Record<string, JsonSchema>;

/**
 * Turns every contract of a spec into a concrete JSON Schema. Inline schemas pass through; `type:` references
 * are generated from the spec's `types` file by ts-json-schema-generator. Building a TypeScript program costs
 * seconds, so the generated definitions are cached by the types file's content hash — in memory for the run
 * and on disk under node_modules/.cache across runs.
 */
export class ContractResolver {
  private readonly memory = new Map<string, Definitions>();

  constructor(private readonly workspaceRoot: string) {}

  resolve(parsed: ParsedSpec): ResolvedSpec {
    const contracts: ResolvedContracts = {};
    const definitions = parsed.typesFile ? this.definitionsFor(parsed.typesFile, parsed.file) : undefined;
    const toSchema = (ref: ContractRef, key: string): JsonSchema => {
      if (ref.schema !== undefined) return ref.schema;
      const name = ref.type as string;
      const definition = definitions?.[name];
      if (definition === undefined) {
        throw new SpecwrightError(`contract ${key} refers to type "${name}", which ${parsed.typesFile} does not export`, {
          file: parsed.file,
          ...positionOfTypeReference(parsed.source, name),
          expected: `an exported type or interface named ${name} in ${parsed.typesFile}${definitions ? ` (it exports: ${Object.keys(definitions).join(', ') || 'nothing'})` : ''}`,
          fix: `export ${name} from ${parsed.typesFile}, or use an inline \`schema:\``,
          code: 'CONTRACT_TYPE_MISSING',
        });
      }
      const inlined = inlineRefs(definition, definitions as Definitions);
      // A recursive type keeps its references; they resolve against definitions carried at the root.
      return typeof inlined === 'object' && JSON.stringify(inlined).includes('"$ref"') ? { ...inlined, definitions } : inlined;
    };
    for (const entry of parsed.spec.exports) {
      for (const param of entry.params) contracts[`${entry.name}.params.${param.name}`] = toSchema(param, `${entry.name}.params.${param.name}`);
      contracts[`${entry.name}.returns`] = toSchema(entry.returns, `${entry.name}.returns`);
    }
    return { ...parsed, contracts };
  }

  private definitionsFor(typesFile: string, specFile: string): Definitions {
    const absolute = join(this.workspaceRoot, typesFile);
    const source = readTextIfExists(absolute);
    if (source === undefined) {
      throw new SpecwrightError(`types file ${typesFile} does not exist`, {
        file: specFile,
        expected: `a TypeScript file at ${typesFile} exporting the contract types`,
        fix: `create ${typesFile}, or fix the spec's \`types:\` path`,
        code: 'CONTRACT_TYPES_MISSING',
      });
    }
    const key = sha256(`${CONTRACTS_CACHE_VERSION}\n${typesFile}\n${source}`).slice('sha256:'.length);
    const hit = this.memory.get(key) ?? this.readDiskCache(key);
    if (hit) {
      this.memory.set(key, hit);
      return hit;
    }
    const generated = this.generate(absolute, typesFile, specFile);
    this.memory.set(key, generated);
    this.writeDiskCache(key, generated);
    return generated;
  }

  private generate(absolute: string, typesFile: string, specFile: string): Definitions {
    // Loaded lazily: it pulls in a whole TypeScript program, which specs with inline schemas never need.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createGenerator } = require('ts-json-schema-generator') as typeof import('ts-json-schema-generator');
    const tsconfig = join(this.workspaceRoot, 'tsconfig.base.json');
    try {
      const generator = createGenerator({
        path: absolute,
        ...(existsSync(tsconfig) ? { tsconfig } : {}),
        expose: 'export',
        topRef: true,
        jsDoc: 'extended',
        skipTypeCheck: true,
        additionalProperties: false,
      });
      const schema = generator.createSchema(undefined) as { definitions?: Definitions };
      return schema.definitions ?? {};
    } catch (error) {
      throw new SpecwrightError(`cannot turn the types in ${typesFile} into JSON Schema: ${(error as Error).message.split('\n')[0]}`, {
        file: specFile,
        expected: `${typesFile} to export plain data types (interfaces, unions, literals)`,
        fix: `fix ${typesFile} (run \`npx tsc --noEmit\`), or use an inline \`schema:\``,
        code: 'CONTRACT_TYPES_INVALID',
        cause: error,
      });
    }
  }

  private cachePath(key: string): string {
    return join(this.workspaceRoot, CONTRACTS_CACHE_DIR, `${key}.json`);
  }

  private readDiskCache(key: string): Definitions | undefined {
    try {
      return JSON.parse(readFileSync(this.cachePath(key), 'utf8')) as Definitions;
    } catch {
      return undefined;
    }
  }

  private writeDiskCache(key: string, definitions: Definitions): void {
    try {
      mkdirSync(join(this.workspaceRoot, CONTRACTS_CACHE_DIR), { recursive: true });
      writeFileAtomic(this.cachePath(key), JSON.stringify(definitions));
    } catch {
      // The cache is an optimisation; a read-only node_modules must not fail the run.
    }
  }
}

/** Where `type: Name` stands in the spec's text. */
function positionOfTypeReference(source: string, name: string): { line: number; column: number } | Record<string, never> {
  const match = new RegExp(`\\btype:\\s*["']?${name}\\b`).exec(source);
  if (!match) return {};
  return positionOfText(source, name, match.index);
}

/**
 * Replaces `#/definitions/X` references with the definitions themselves, so every contract is a self-contained
 * schema that ajv and the property generator can use alone. A recursive type keeps its references.
 */
export function inlineRefs(schema: JsonSchema, definitions: Definitions, seen: readonly string[] = []): JsonSchema {
  if (typeof schema !== 'object' || schema === null) return schema;
  if (Array.isArray(schema)) return schema.map((item) => inlineRefs(item as JsonSchema, definitions, seen)) as unknown as JsonSchema;
  const ref = schema.$ref;
  if (typeof ref === 'string' && ref.startsWith('#/definitions/')) {
    const name = decodeURIComponent(ref.slice('#/definitions/'.length));
    const target = definitions[name];
    if (target !== undefined && !seen.includes(name)) {
      const { $ref: _ignored, ...rest } = schema;
      const inlined = inlineRefs(target, definitions, [...seen, name]);
      return Object.keys(rest).length === 0 ? inlined : { allOf: [inlined, inlineRefs(rest, definitions, seen)] };
    }
    return schema;
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] = value && typeof value === 'object' ? inlineRefs(value as JsonSchema, definitions, seen) : value;
  }
  return out;
}
