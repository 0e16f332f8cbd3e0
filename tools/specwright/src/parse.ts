import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { SpecwrightError } from './errors';
import { invariantSyntaxError } from './gates/invariants';
import type { ContractRef, ParsedSpec, Spec, SpecLocation } from './types';
import { formatPath, isYamlMapping, mostSpecificError, parseYamlDocument, pathSegments, positionOfPath, positionOfSchemaError } from './yaml-source';

/** Spec files larger than this are refused before parsing: a spec is prose plus contracts, not data. */
export const MAX_SPEC_BYTES = 256 * 1024;
/** Aliases a spec may expand; YAML anchor bombs blow up long before this. */
const MAX_ALIAS_COUNT = 50;
export const SPEC_FORMAT_HELP = 'the spec format is described in specs/spec.schema.json and the README ("Spec format")';

let cachedValidator: ValidateFunction | undefined;

/** The spec schema ships with the plugin; a copy lives under the workspace's specs/ for editors. */
function specValidator(): ValidateFunction {
  if (!cachedValidator) {
    const schema = JSON.parse(readFileSync(require.resolve('../spec.schema.json'), 'utf8'));
    const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
    cachedValidator = ajv.compile(schema);
  }
  return cachedValidator;
}

/**
 * Parses and validates one spec. Pure: the caller reads the file. Throws a `SpecwrightError` that names the spec
 * file, the line:column of the offending node, the field and what was expected.
 */
export function parseSpec(source: string, location: SpecLocation): ParsedSpec {
  const { file } = location;
  const fail = (message: string, position: { line?: number; column?: number } = {}, expected?: string): never => {
    throw new SpecwrightError(message, {
      file,
      line: position.line,
      column: position.column,
      expected,
      fix: `edit ${file}; ${SPEC_FORMAT_HELP}`,
      code: 'SPEC_INVALID',
    });
  };

  if (Buffer.byteLength(source, 'utf8') > MAX_SPEC_BYTES) {
    fail(`spec is ${Buffer.byteLength(source, 'utf8')} bytes, more than the ${MAX_SPEC_BYTES} a spec may have`, {}, 'a spec under 256 KiB; move data into examples files or tests');
  }
  if (source.trim() === '') fail('spec file is empty', { line: 1, column: 1 }, 'a YAML mapping with at least id, description, outputs and exports');

  const parsed = parseYamlDocument(source);
  if (parsed.syntaxError) {
    fail(`YAML syntax error: ${parsed.syntaxError.message}`, parsed.syntaxError.position, 'valid YAML (spaces for indentation, no duplicate keys)');
  }
  const { doc } = parsed;
  if (!isYamlMapping(doc.contents)) {
    fail('spec must be a YAML mapping', positionOfPath(parsed, []), 'a mapping with keys id, description, outputs, exports, …');
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    fail(`spec cannot be expanded: ${(error as Error).message}`, { line: 1, column: 1 }, `at most ${MAX_ALIAS_COUNT} alias expansions`);
  }

  const validate = specValidator();
  if (!validate(data)) {
    const error = mostSpecificError(validate.errors ?? []);
    const { path, message, expected } = describeSchemaError(error);
    fail(`${path ? `${path}: ` : ''}${message}`, positionOfSchemaError(parsed, error), expected);
  }

  const spec = withDefaults(data as Spec);
  return { ...location, spec, source, ...resolvePaths(spec, location, (message, key, expected) => fail(message, positionOfPath(parsed, key), expected)) };
}

function withDefaults(raw: Spec): Spec {
  const constraints: Partial<Spec['constraints']> = raw.constraints ?? {};
  return {
    id: raw.id,
    description: raw.description,
    outputs: raw.outputs,
    ...(raw.types === undefined ? {} : { types: raw.types }),
    exports: raw.exports.map((entry) => ({ ...entry, params: entry.params, throws: entry.throws ?? [] })),
    constraints: {
      rules: constraints.rules ?? [],
      allowedImports: constraints.allowedImports ?? [],
      capabilities: constraints.capabilities ?? [],
      pure: constraints.pure ?? false,
      security: constraints.security ?? false,
      // Optional fields stay absent when unset, so specs written before they existed keep their fingerprints.
      ...(constraints.forbid === undefined ? {} : { forbid: constraints.forbid }),
    },
    examples: raw.examples ?? [],
    tests: raw.tests ?? [],
    dependsOn: raw.dependsOn ?? [],
    model: raw.model ?? {},
    ...(raw.invariants === undefined ? {} : { invariants: raw.invariants }),
  };
}

type PathFailure = (message: string, path: (string | number)[], expected: string) => never;

/** Checks what the schema cannot: paths stay inside the project, examples name real exports, `type:` has a `types` file. */
function resolvePaths(spec: Spec, location: SpecLocation, fail: PathFailure): Pick<ParsedSpec, 'outputFiles' | 'testFiles' | 'typesFile'> {
  const specDir = posix.dirname(location.file);
  const inProject = (relativePath: string, key: (string | number)[], what: string): string => {
    if (relativePath.startsWith('/') || /^[A-Za-z]:/.test(relativePath)) {
      fail(`${what} "${relativePath}" is an absolute path`, key, `a path relative to the spec, inside project ${location.project} (${location.projectRoot})`);
    }
    const resolved = posix.normalize(posix.join(specDir, relativePath));
    const root = location.projectRoot === '.' ? '' : `${location.projectRoot}/`;
    if (resolved.startsWith('../') || resolved === '..' || !resolved.startsWith(root) || resolved.split('/').includes('node_modules')) {
      fail(`${what} "${relativePath}" resolves to ${resolved}, outside project ${location.project}`, key, `a path inside ${location.projectRoot}/`);
    }
    return resolved;
  };

  const outputFiles = spec.outputs.map((output, index) => {
    const resolved = inProject(output, ['outputs', index], 'output');
    if (resolved === location.file) fail(`output "${output}" is the spec file itself`, ['outputs', index], 'a source file the spec generates');
    return resolved;
  });
  const testFiles = spec.tests.map((test, index) => {
    const resolved = inProject(test, ['tests', index], 'test');
    if (outputFiles.includes(resolved)) fail(`test "${test}" is also an output; tests are written by people`, ['tests', index], 'a hand-written test file');
    return resolved;
  });
  const typesFile = spec.types === undefined ? undefined : inProject(spec.types, ['types'], 'types file');
  if (typesFile && outputFiles.includes(typesFile)) fail(`types file "${spec.types}" is also an output`, ['types'], 'a hand-written types file');

  const contractUsesType = (ref: ContractRef) => ref.type !== undefined;
  spec.exports.forEach((entry, exportIndex) => {
    entry.params.forEach((param, paramIndex) => {
      if (contractUsesType(param) && !typesFile) {
        fail(`param "${param.name}" refers to type ${param.type} but the spec has no \`types\` file`, ['exports', exportIndex, 'params', paramIndex, 'type'], 'a top-level `types: ./file.ts` naming the file that exports the type');
      }
    });
    if (contractUsesType(entry.returns) && !typesFile) {
      fail(`returns of "${entry.name}" refers to type ${entry.returns.type} but the spec has no \`types\` file`, ['exports', exportIndex, 'returns', 'type'], 'a top-level `types: ./file.ts`');
    }
  });
  const exportsByName = new Map(spec.exports.map((entry) => [entry.name, entry]));
  if (exportsByName.size !== spec.exports.length) {
    const seen = new Set<string>();
    spec.exports.forEach((entry, index) => {
      if (seen.has(entry.name)) fail(`export "${entry.name}" is declared twice`, ['exports', index, 'name'], 'unique export names');
      seen.add(entry.name);
    });
  }
  spec.examples.forEach((example, index) => {
    const target = exportsByName.get(example.export);
    if (!target) {
      fail(`example ${index + 1} calls "${example.export}", which the spec does not export`, ['examples', index, 'export'], `one of: ${[...exportsByName.keys()].join(', ')}`);
    } else if (example.args.length !== target.params.length) {
      fail(`example ${index + 1} passes ${example.args.length} argument(s) to ${target.name}, which takes ${target.params.length}`, ['examples', index, 'args'], `${target.params.length} argument(s): ${target.params.map((p) => p.name).join(', ')}`);
    }
  });
  spec.exports.forEach((entry, index) => {
    if (entry.rejectsInvalid !== undefined && !entry.throws.includes(entry.rejectsInvalid)) {
      fail(`export "${entry.name}" rejects invalid arguments with ${entry.rejectsInvalid}, which is not in its \`throws\``, ['exports', index, 'rejectsInvalid'], `one of its throws: ${entry.throws.join(', ') || '(none: add it to throws)'}`);
    }
  });
  (spec.invariants ?? []).forEach((invariant, index) => {
    if (!exportsByName.has(invariant.export)) {
      fail(`invariant "${invariant.name}" checks "${invariant.export}", which the spec does not export`, ['invariants', index, 'export'], `one of: ${[...exportsByName.keys()].join(', ')}`);
    }
    const syntax = invariantSyntaxError(invariant.check);
    if (syntax) fail(`invariant "${invariant.name}": check is not a JavaScript expression (${syntax})`, ['invariants', index, 'check'], 'one boolean expression over args, result, the param names and the exports');
  });
  if (spec.dependsOn.includes(spec.id)) fail(`spec "${spec.id}" depends on itself`, ['dependsOn'], 'ids of other specs');
  return { outputFiles, testFiles, ...(typesFile ? { typesFile } : {}) };
}

function describeSchemaError(error: ErrorObject): { path: string; message: string; expected: string } {
  const path = formatPath(pathSegments(error.instancePath));
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return { path, message: `unknown field "${String(params.additionalProperty)}"`, expected: `only the fields the spec format defines (${SPEC_FORMAT_HELP})` };
    case 'required':
      return { path, message: `missing required field "${String(params.missingProperty)}"`, expected: `a "${String(params.missingProperty)}" field` };
    case 'type':
      return { path, message: `must be ${String(params.type)}`, expected: `a value of type ${String(params.type)}` };
    case 'enum':
      return { path, message: 'is not one of the allowed values', expected: `one of ${JSON.stringify(params.allowedValues)}` };
    case 'pattern':
      return { path, message: `does not match the pattern ${String(params.pattern)}`, expected: `a string matching ${String(params.pattern)}` };
    default:
      return { path, message: error.message ?? 'is invalid', expected: `${error.keyword} ${JSON.stringify(params)}` };
  }
}

