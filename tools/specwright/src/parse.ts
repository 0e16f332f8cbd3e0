import type { ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { validatorFor } from './ajv-cache';
import { problemsError, SpecwrightError } from './errors';
import { invariantSyntaxError } from './gates/invariants';
import { describeSchemaErrors, JSON_SCHEMA_TYPE_NAMES } from './spec-hints';
import type { ParsedSpec, Spec, SpecLocation } from './types';
import { isYamlMapping, parseYamlDocument, positionOfKey, positionOfPath, YAML_DOCUMENT_OPTIONS, type ParsedYaml } from './yaml-source';

/** Spec files larger than this are refused before parsing: a spec is prose plus contracts, not data. */
export const MAX_SPEC_BYTES = 256 * 1024;
/** Aliases a spec may expand; YAML anchor bombs blow up long before this. */
const MAX_ALIAS_COUNT = 50;
export const SPEC_FORMAT_HELP = 'the spec format is described in specs/spec.schema.json and the README ("Spec format")';

let cachedValidator: ValidateFunction | undefined;

/** How the spec schema is compiled (strict: a keyword ajv does not know is an error in the schema). */
export const SPEC_SCHEMA_AJV_OPTIONS = { allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true } as const;

/** The spec schema ships with the plugin; a copy lives under the workspace's specs/ for editors. */
function specValidator(): ValidateFunction {
  if (!cachedValidator) {
    // verbose: errors carry their schema, so unknown fields can be compared with the known ones ("did you mean").
    // validateSchema off: the schema ships with the plugin and parse.test.ts checks it against the draft-07
    // meta-schema; checking it again at every start compiled the meta-schema (~50 ms of each check). The validator
    // itself is compiled once per schema and ajv version, not once per process (ajv-cache.ts).
    cachedValidator = validatorFor(readFileSync(require.resolve('../spec.schema.json'), 'utf8'), { ...SPEC_SCHEMA_AJV_OPTIONS, validateSchema: false });
  }
  return cachedValidator;
}

export interface ParseSpecOptions {
  /**
   * Whether a workspace-relative file exists. With it, `tests:` and `types:` files that do not exist are spec errors
   * (found by `check`, before any model call); without it (pure callers, the hook's staged view) they are not checked.
   */
  fileExists?: (workspaceRelativePath: string) => boolean;
  /** What the YAML of this exact source says, when known already (spec-yaml-cache.ts); see `KnownYaml`. */
  knownYaml?: KnownYaml;
}

/**
 * A memo of the YAML stage for one spec source: the data its YAML reads as (`doc.toJS()`), which depends only on the
 * exact text, the yaml library and SPEC_YAML_SETTINGS. With a known value the spec is validated without parsing its
 * YAML again (~1 ms a spec, most of a check); the YAML is parsed only if a problem needs its line:column. Only a
 * source whose YAML reads cleanly (a mapping, no syntax or alias error) is ever remembered: every other one is
 * parsed each time, so its error is reported as it always is.
 */
export interface KnownYaml {
  get(): unknown;
  set(data: unknown): void;
}

/** Everything besides the source text and the yaml library's version that decides what a spec's YAML reads as. */
export const SPEC_YAML_SETTINGS = JSON.stringify({ document: YAML_DOCUMENT_OPTIONS, toJS: { maxAliasCount: MAX_ALIAS_COUNT } });

/**
 * Parses and validates one spec. Pure unless `fileExists` is given. Throws a `SpecwrightError` naming the spec file,
 * the line:column of each offending node, the field and what was expected — every problem at once (a
 * `SpecwrightProblems` when there are several), not one per run.
 */
export function parseSpec(source: string, location: SpecLocation, parseOptions: ParseSpecOptions = {}): ParsedSpec {
  const { file } = location;
  const problem = (message: string, position: { line?: number; column?: number } = {}, expected?: string): SpecwrightError =>
    new SpecwrightError(message, {
      file,
      line: position.line,
      column: position.column,
      expected,
      fix: `edit ${file}; ${SPEC_FORMAT_HELP}`,
      code: 'SPEC_INVALID',
    });
  const fail = (message: string, position: { line?: number; column?: number } = {}, expected?: string): never => {
    throw problem(message, position, expected);
  };

  // Problems that leave nothing to check further: one at a time is all there is.
  if (Buffer.byteLength(source, 'utf8') > MAX_SPEC_BYTES) {
    fail(`spec is ${Buffer.byteLength(source, 'utf8')} bytes, more than the ${MAX_SPEC_BYTES} a spec may have`, {}, 'a spec under 256 KiB; move data into examples files or tests');
  }
  if (source.trim() === '') fail('spec file is empty', { line: 1, column: 1 }, 'a YAML mapping with at least id, description, outputs and exports');

  let parsed: ParsedYaml | undefined;
  let data = parseOptions.knownYaml?.get();
  if (data === undefined) {
    const read = parseYamlDocument(source);
    if (read.syntaxError) {
      fail(`YAML syntax error: ${read.syntaxError.message}`, read.syntaxError.position, 'valid YAML (spaces for indentation, no duplicate keys)');
    }
    parsed = read;
    const { doc } = read;
    if (!isYamlMapping(doc.contents)) {
      fail('spec must be a YAML mapping', positionOfPath(read, []), 'a mapping with keys id, description, outputs, exports, …');
    }
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      fail(`spec cannot be expanded: ${(error as Error).message}`, { line: 1, column: 1 }, `at most ${MAX_ALIAS_COUNT} alias expansions`);
    }
    // Remembered before anything below can touch the data (validation never changes it).
    parseOptions.knownYaml?.set(data);
  }
  // Known data came from YAML that parsed cleanly: parsing it again for a position gives the same document.
  const positions = (): ParsedYaml => (parsed ??= parseYamlDocument(source));

  // Everything else is collected: the schema's findings and the checks the schema cannot express, in one report.
  const problems: SpecwrightError[] = [];
  const validate = specValidator();
  if (!validate(data)) {
    for (const found of describeSchemaErrors(validate.errors ?? [], data)) {
      problems.push(problem(found.message, found.key === undefined ? positionOfPath(positions(), found.path) : positionOfKey(positions(), found.path, found.key), found.expected));
    }
  }
  const resolved = resolvePaths(data as Record<string, unknown>, location, parseOptions, (message, key, expected) => problems.push(problem(message, positionOfPath(positions(), key), expected)));
  if (problems.length > 0) {
    problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    throw problemsError(problems);
  }

  const spec = withDefaults(data as Spec);
  return { ...location, spec, source, ...resolved };
}

function withDefaults(raw: Spec): Spec {
  const constraints: Partial<Spec['constraints']> = raw.constraints ?? {};
  return {
    id: raw.id,
    ...(raw.draft ? { draft: true } : {}),
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

type Report = (message: string, path: (string | number)[], expected: string) => void;

/** Helpers that read a possibly schema-invalid spec without trusting its shape. */
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const mapping = (value: unknown): Record<string, unknown> | undefined => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined);
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * Checks what the schema cannot: paths stay inside the project, listed tests and types files exist, examples name real
 * exports, `type:` has a `types` file and is not a JSON Schema type name. Runs on invalid specs too (reading only the
 * parts that have the right shape), so its problems join the schema's in one report.
 */
function resolvePaths(data: Record<string, unknown>, location: SpecLocation, options: ParseSpecOptions, report: Report): Pick<ParsedSpec, 'outputFiles' | 'testFiles' | 'typesFile'> {
  const specDir = posix.dirname(location.file);
  const inProject = (relativePath: string, key: (string | number)[], what: string): string | undefined => {
    if (relativePath.startsWith('/') || /^[A-Za-z]:/.test(relativePath)) {
      report(`${what} "${relativePath}" is an absolute path`, key, `a path relative to the spec, inside project ${location.project} (${location.projectRoot})`);
      return undefined;
    }
    const resolved = posix.normalize(posix.join(specDir, relativePath));
    const root = location.projectRoot === '.' ? '' : `${location.projectRoot}/`;
    if (resolved.startsWith('../') || resolved === '..' || !resolved.startsWith(root) || resolved.split('/').includes('node_modules')) {
      report(`${what} "${relativePath}" resolves to ${resolved}, outside project ${location.project}`, key, `a path inside ${location.projectRoot}/`);
      return undefined;
    }
    return resolved;
  };

  const outputFiles: string[] = [];
  list(data.outputs).forEach((output, index) => {
    if (typeof output !== 'string') return;
    const resolved = inProject(output, ['outputs', index], 'output');
    if (resolved === undefined) return;
    if (resolved === location.file) report(`output "${output}" is the spec file itself`, ['outputs', index], 'a source file the spec generates');
    outputFiles.push(resolved);
  });
  const testFiles: string[] = [];
  list(data.tests).forEach((test, index) => {
    if (typeof test !== 'string') return;
    const resolved = inProject(test, ['tests', index], 'test');
    if (resolved === undefined) return;
    if (outputFiles.includes(resolved)) report(`test "${test}" is also an output; tests are written by people`, ['tests', index], 'a hand-written test file');
    // A draft lists the tests a person should write; they exist once it is accepted (`decompose --accept`).
    else if (data.draft !== true && options.fileExists && !options.fileExists(resolved)) {
      report(`test file "${test}" does not exist (${resolved})`, ['tests', index], `a hand-written vitest file at ${resolved}: create it (\`nx g @specwright/nx:spec\` writes one with a new spec), or remove it from \`tests:\``);
    }
    testFiles.push(resolved);
  });
  const typesPath = text(data.types);
  const typesFile = typesPath === undefined ? undefined : inProject(typesPath, ['types'], 'types file');
  if (typesFile && outputFiles.includes(typesFile)) report(`types file "${typesPath}" is also an output`, ['types'], 'a hand-written types file');
  else if (typesFile && options.fileExists && !options.fileExists(typesFile)) {
    report(`types file "${typesPath}" does not exist (${typesFile})`, ['types'], `a hand-written .ts file at ${typesFile} exporting the types that \`type:\` contracts name`);
  }

  const exports = list(data.exports).map(mapping);
  const checkContract = (contract: Record<string, unknown> | undefined, key: (string | number)[], what: string) => {
    const type = text(contract?.type);
    // With `schema:` too, the schema check already says "both"; one message per mistake.
    if (type === undefined || contract?.schema !== undefined) return;
    if (JSON_SCHEMA_TYPE_NAMES.has(type)) {
      report(`${what} says \`type: ${type}\` — inline JSON Schema goes under \`schema:\``, [...key, 'type'], `\`schema: { type: ${type} }\` (\`type:\` names a TypeScript type exported by the spec's \`types:\` file)`);
    } else if (!typesFile && typesPath === undefined) {
      report(`${what} refers to type ${type} but the spec has no \`types\` file`, [...key, 'type'], 'a top-level `types: ./file.ts` naming the file that exports the type, or inline JSON Schema under `schema:`');
    }
  };
  exports.forEach((entry, exportIndex) => {
    if (!entry) return;
    const name = text(entry.name) ?? `#${exportIndex + 1}`;
    list(entry.params).forEach((param, paramIndex) => {
      checkContract(mapping(param), ['exports', exportIndex, 'params', paramIndex], `param "${text(mapping(param)?.name) ?? paramIndex + 1}" of ${name}`);
    });
    checkContract(mapping(entry.returns), ['exports', exportIndex, 'returns'], `returns of "${name}"`);
  });

  const exportsByName = new Map<string, Record<string, unknown>>();
  exports.forEach((entry, index) => {
    const name = text(entry?.name);
    if (!entry || name === undefined) return;
    if (exportsByName.has(name)) report(`export "${name}" is declared twice`, ['exports', index, 'name'], 'unique export names');
    else exportsByName.set(name, entry);
  });
  list(data.examples).forEach((raw, index) => {
    const example = mapping(raw);
    const name = text(example?.export);
    if (!example || name === undefined) return;
    const target = exportsByName.get(name);
    if (!target) {
      if (exportsByName.size > 0) report(`example ${index + 1} calls "${name}", which the spec does not export`, ['examples', index, 'export'], `one of: ${[...exportsByName.keys()].join(', ')}`);
      return;
    }
    const params = list(target.params);
    if (Array.isArray(target.params) && Array.isArray(example.args) && example.args.length !== params.length) {
      const names = params.map((param) => text(mapping(param)?.name) ?? '?');
      report(`example ${index + 1} passes ${example.args.length} argument(s) to ${name}, which takes ${params.length}`, ['examples', index, 'args'], `${params.length} argument(s): ${names.join(', ')}`);
    }
  });
  exports.forEach((entry, index) => {
    const rejectsInvalid = text(entry?.rejectsInvalid);
    const throws = list(entry?.throws).filter((name): name is string => typeof name === 'string');
    if (entry && rejectsInvalid !== undefined && !throws.includes(rejectsInvalid)) {
      report(`export "${text(entry.name) ?? index + 1}" rejects invalid arguments with ${rejectsInvalid}, which is not in its \`throws\``, ['exports', index, 'rejectsInvalid'], `one of its throws: ${throws.join(', ') || '(none: add it to throws)'}`);
    }
  });
  list(data.invariants).forEach((raw, index) => {
    const invariant = mapping(raw);
    const name = text(invariant?.name) ?? `#${index + 1}`;
    const target = text(invariant?.export);
    if (target !== undefined && exportsByName.size > 0 && !exportsByName.has(target)) {
      report(`invariant "${name}" checks "${target}", which the spec does not export`, ['invariants', index, 'export'], `one of: ${[...exportsByName.keys()].join(', ')}`);
    }
    const check = text(invariant?.check);
    const syntax = check === undefined ? undefined : invariantSyntaxError(check);
    if (syntax) report(`invariant "${name}": check is not a JavaScript expression (${syntax})`, ['invariants', index, 'check'], 'one boolean expression over args, result, the param names and the exports');
  });
  const id = text(data.id);
  if (id !== undefined && list(data.dependsOn).includes(id)) report(`spec "${id}" depends on itself`, ['dependsOn'], 'ids of other specs');
  return { outputFiles, testFiles, ...(typesFile ? { typesFile } : {}) };
}
