/**
 * Spec precision lint: what a spec leaves open that generated code could get wrong without any gate noticing.
 * Pure: it takes loaded specs and a reader for test files, and returns findings with positions in the spec file
 * and the edit that fixes each. Every check counts towards a spec's score (checks passed / checks made), so the
 * score says how much of what could be pinned is pinned.
 */
import { posix } from 'node:path';
import ts from 'typescript';
import type { Example, ExportSpec, JsonSchema, ResolvedSpec } from '../types';
import { parseYamlDocument, positionOfPath, type ParsedYaml, type Position } from '../yaml-source';
import { typesOf, valuesAt, walkSchema, type ValuePath } from './schema-walk';

export type LintRule =
  | 'unbounded-number'
  | 'unbounded-string'
  | 'unbounded-array'
  | 'export-without-example'
  | 'throws-without-example'
  | 'bound-not-reached'
  | 'rule-not-checkable'
  | 'output-without-test'
  | 'missing-test-file'
  | 'dependency-unused'
  | 'dependency-error-undeclared'
  | 'dependency-undeclared';

/** `error`: a gate cannot catch a wrong implementation at all. `warning`: a gate catches it only by luck. */
export type LintSeverity = 'error' | 'warning';

export interface LintFinding {
  rule: LintRule;
  severity: LintSeverity;
  file: string;
  line: number;
  column: number;
  message: string;
  fix: string;
}

export interface SpecLint {
  id: string;
  file: string;
  findings: LintFinding[];
  checks: number;
  passed: number;
  /** 0–100: checks passed / checks made. */
  score: number;
}

export interface LintContext {
  /** Every loaded spec by id (for dependsOn edges). */
  specsById: ReadonlyMap<string, ResolvedSpec>;
  /** Reads a workspace-relative file; `undefined` when it does not exist. */
  readFile(file: string): string | undefined;
  /** Workspace-relative test files of the spec's project (declared tests are looked up on their own). */
  projectTests(spec: ResolvedSpec): string[];
}

const SEVERITY: Record<LintRule, LintSeverity> = {
  'unbounded-number': 'warning',
  'unbounded-string': 'warning',
  'unbounded-array': 'warning',
  'export-without-example': 'error',
  'throws-without-example': 'error',
  'bound-not-reached': 'warning',
  'rule-not-checkable': 'warning',
  'output-without-test': 'error',
  'missing-test-file': 'error',
  'dependency-unused': 'warning',
  'dependency-error-undeclared': 'warning',
  'dependency-undeclared': 'warning',
};

class Tally {
  readonly findings: LintFinding[] = [];
  checks = 0;
  constructor(
    private readonly spec: ResolvedSpec,
    private readonly yaml: ParsedYaml,
  ) {}

  /** One check: passes when `ok`, else a finding at `path` in the spec (or at an explicit position). */
  check(ok: boolean, rule: LintRule, at: (string | number)[] | Position, message: string, fix: string): void {
    this.checks++;
    if (ok) return;
    const position = Array.isArray(at) ? positionOfPath(this.yaml, at) : at;
    this.findings.push({ rule, severity: SEVERITY[rule], file: this.spec.file, line: position.line, column: position.column, message, fix });
  }
}

export function lintSpec(spec: ResolvedSpec, context: LintContext): SpecLint {
  const yaml = parseYamlDocument(spec.source);
  const tally = new Tally(spec, yaml);
  spec.spec.exports.forEach((exported, index) => {
    lintContracts(spec, exported, index, tally);
    lintExamplesOf(spec, exported, index, tally);
  });
  lintRules(spec, context, tally);
  lintTests(spec, context, tally);
  lintDependencies(spec, context, tally);
  const findings = tally.findings.sort((a, b) => a.line - b.line || a.column - b.column);
  const passed = tally.checks - findings.length;
  return { id: spec.spec.id, file: spec.file, findings, checks: tally.checks, passed, score: tally.checks === 0 ? 100 : Math.round((100 * passed) / tally.checks) };
}

// ---------------------------------------------------------------------------------------------------------------
// Contracts: every number, string and array an input or output can be has a bound

interface Contract {
  /** `amount`, `returns` — for messages. */
  label: string;
  schema: JsonSchema;
  /** Where the contract is written: its inline `schema`, or its `type:` reference. */
  at: (string | number)[];
  inline: boolean;
  typeName?: string;
  /** The index of the param (undefined for returns). */
  param?: number;
}

function contractsOf(spec: ResolvedSpec, exported: ExportSpec, exportIndex: number): Contract[] {
  const params = exported.params.map((param, index): Contract => {
    const inline = param.schema !== undefined;
    return {
      label: `${exported.name}(${param.name})`,
      schema: spec.contracts[`${exported.name}.params.${param.name}`] ?? param.schema ?? true,
      at: ['exports', exportIndex, 'params', index, inline ? 'schema' : 'type'],
      inline,
      ...(param.type ? { typeName: param.type } : {}),
      param: index,
    };
  });
  const inline = exported.returns.schema !== undefined;
  const returns: Contract = {
    label: `${exported.name} returns`,
    schema: spec.contracts[`${exported.name}.returns`] ?? exported.returns.schema ?? true,
    at: ['exports', exportIndex, 'returns', inline ? 'schema' : 'type'],
    inline,
    ...(exported.returns.type ? { typeName: exported.returns.type } : {}),
  };
  return [...params, returns];
}

function describeValue(contract: Contract, valuePath: ValuePath): string {
  const inner = valuePath.map((segment) => (segment === '*' ? '[*]' : typeof segment === 'number' ? `[${segment}]` : `.${segment}`)).join('');
  return `${contract.label}${inner}`;
}

function boundFix(contract: Contract, keywords: string, spec: ResolvedSpec): string {
  if (contract.inline) return `add ${keywords} to this schema: the range the code must handle, no wider`;
  return `add ${keywords.replace(/`(\w+)`/g, '`@$1`')} JSDoc tags to the field of type ${contract.typeName} in ${spec.typesFile ?? 'the types file'}`;
}

function lintContracts(spec: ResolvedSpec, exported: ExportSpec, exportIndex: number, tally: Tally): void {
  for (const contract of contractsOf(spec, exported, exportIndex)) {
    walkSchema(contract.schema, ({ schema, schemaPath, valuePath }) => {
      if (schema.enum !== undefined || schema.const !== undefined) return;
      const at = contract.inline ? [...contract.at, ...schemaPath] : contract.at;
      const where = describeValue(contract, valuePath);
      const types = typesOf(schema);
      if (types.includes('integer') || types.includes('number')) {
        const low = schema.minimum !== undefined || schema.exclusiveMinimum !== undefined;
        const high = schema.maximum !== undefined || schema.exclusiveMaximum !== undefined;
        const missing = [low ? '' : '`minimum`', high ? '' : '`maximum`'].filter(Boolean).join(' and ');
        tally.check(low && high, 'unbounded-number', at, `${where} is a number with no ${missing.replace(/`/g, '')}: the gates never try the extremes a caller can pass`, boundFix(contract, missing, spec));
      }
      if (types.includes('string')) {
        tally.check(schema.maxLength !== undefined, 'unbounded-string', at, `${where} is a string with no maxLength`, boundFix(contract, '`maxLength`', spec));
      }
      if (types.includes('array')) {
        const closedTuple = Array.isArray(schema.items) && schema.additionalItems === false;
        tally.check(schema.maxItems !== undefined || closedTuple, 'unbounded-array', at, `${where} is an array with no maxItems`, boundFix(contract, '`maxItems`', spec));
      }
      if (contract.param !== undefined) lintBoundsReached(spec, exported, contract, schema, valuePath, at, where, tally);
    });
  }
}

type Bound = { keyword: string; value: number; side: 'low' | 'high'; measure: 'value' | 'length' | 'items'; exclusive: boolean };

function boundsOf(schema: Record<string, unknown>): Bound[] {
  const bounds: Bound[] = [];
  const add = (keyword: string, side: Bound['side'], measure: Bound['measure'], exclusive = false) => {
    const value = schema[keyword];
    if (typeof value === 'number') bounds.push({ keyword, value, side, measure, exclusive });
  };
  add('minimum', 'low', 'value');
  add('maximum', 'high', 'value');
  add('exclusiveMinimum', 'low', 'value', true);
  add('exclusiveMaximum', 'high', 'value', true);
  add('minLength', 'low', 'length');
  add('maxLength', 'high', 'length');
  add('minItems', 'low', 'items');
  add('maxItems', 'high', 'items');
  // minLength/minItems 0 are no bound at all: every empty value "reaches" them trivially and none is needed.
  return bounds.filter((bound) => !(bound.side === 'low' && bound.measure !== 'value' && bound.value === 0));
}

function measure(value: unknown, kind: Bound['measure']): number | undefined {
  if (kind === 'value') return typeof value === 'number' ? value : undefined;
  if (kind === 'length') return typeof value === 'string' ? [...value].length : undefined;
  return Array.isArray(value) ? value.length : undefined;
}

/**
 * A bound is reached when an example sits on it (inclusive bounds), or just past it with an example that expects
 * the error — the two places where an off-by-one hides.
 */
function reaches(bound: Bound, value: number, throws: boolean, integer: boolean): boolean {
  const step = integer || bound.measure !== 'value' ? 1 : 0;
  const inside = bound.side === 'low' ? value > bound.value : value < bound.value;
  const onIt = value === bound.value;
  if (bound.exclusive) {
    if (onIt) return throws;
    return step === 1 && inside && Math.abs(value - bound.value) === 1;
  }
  if (onIt) return true;
  return throws && !inside && step === 1 && Math.abs(value - bound.value) === 1;
}

function lintBoundsReached(spec: ResolvedSpec, exported: ExportSpec, contract: Contract, schema: Record<string, unknown>, valuePath: ValuePath, at: (string | number)[], where: string, tally: Tally): void {
  const examples = spec.spec.examples.filter((example) => example.export === exported.name);
  const integer = typesOf(schema).includes('integer');
  for (const bound of boundsOf(schema)) {
    const reached = examples.some((example) =>
      valuesAt(example.args[contract.param as number], valuePath).some((value) => {
        const measured = measure(value, bound.measure);
        return measured !== undefined && reaches(bound, measured, example.throws !== undefined, integer);
      }),
    );
    const what = bound.measure === 'value' ? `${where} = ${bound.value}` : `${where} with ${bound.measure === 'length' ? 'length' : 'length'} ${bound.value}`;
    const keywordAt = contract.inline ? [...at, bound.keyword] : at;
    tally.check(
      reached,
      'bound-not-reached',
      keywordAt,
      `no example reaches the bound ${bound.keyword}: ${bound.value} of ${where}`,
      `add an example with ${what}${bound.exclusive ? ' (it must throw)' : ''}, or one just past it that throws: an off-by-one at the boundary passes every gate today`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Examples: every export has one, every declared error has one that throws it

function lintExamplesOf(spec: ResolvedSpec, exported: ExportSpec, exportIndex: number, tally: Tally): void {
  const examples: Example[] = spec.spec.examples.filter((example) => example.export === exported.name);
  tally.check(
    examples.length > 0,
    'export-without-example',
    ['exports', exportIndex, 'name'],
    `export ${exported.name} has no example: nothing checks what it returns`,
    `add under examples: { export: ${exported.name}, args: [...], expect: ... } for a typical call and for each edge the description names`,
  );
  exported.throws.forEach((error, index) => {
    tally.check(
      examples.some((example) => example.throws === error),
      'throws-without-example',
      ['exports', exportIndex, 'throws', index],
      `${exported.name} declares it throws ${error}, but no example expects a ${error}`,
      `add an example with the input that must fail: { export: ${exported.name}, args: [...], throws: ${error} }`,
    );
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Prose rules: each one has something a machine checks

const STOPWORDS = new Set(
  'the a an and or not no of to in on for from with without by be is are must should only use using any all each every this that its it as at do does than then when which into over under one two same never always other own'.split(' '),
);

function significantWords(text: string): Set<string> {
  const words = text
    .toLowerCase()
    .replace(/[`'"()[\]{},.;:!?]/g, ' ')
    .split(/[\s/]+/)
    .filter((word) => word.length >= 4 && !STOPWORDS.has(word))
    // A crude stem: "mutate", "mutates", "mutation" all become "mutat".
    .map((word) => word.replace(/(ing|ion|ed|es|e|s)$/, '').slice(0, 6));
  return new Set(words);
}

/** Titles of `it(…)`, `test(…)` and `describe(…)` blocks: what the tests say they check. */
export function testTitles(source: string): string[] {
  const titles: string[] = [];
  const pattern = /\b(?:it|test|describe)(?:\.\w+)?\(\s*(['"`])((?:\\.|(?!\1).)*)\1/g;
  for (let match = pattern.exec(source); match; match = pattern.exec(source)) titles.push(match[2] as string);
  return titles;
}

function lintRules(spec: ResolvedSpec, context: LintContext, tally: Tally): void {
  const { constraints } = spec.spec;
  const titles = spec.testFiles.flatMap((file) => testTitles(context.readFile(file) ?? ''));
  const pinned = [...titles, ...spec.spec.examples.map((example) => example.description ?? '')].map(significantWords);
  constraints.rules.forEach((rule, index) => {
    const words = significantWords(rule);
    // What the safety and types gates enforce from the constraint fields.
    const byImports =
      /\bimport/i.test(rule) && (constraints.allowedImports.some((specifier) => rule.includes(specifier)) || spec.spec.dependsOn.length > 0 || /\bno (external|third-party)\b/i.test(rule));
    const byPurity = constraints.pure && /\b(pure|i\/o|side.effect|global|Math\.random|Date\.now|clock)\b/i.test(rule);
    const byExports = /\bexport\b/i.test(rule) && spec.spec.exports.some((exported) => rule.includes(exported.name));
    // A short rule is pinned by a title sharing one of its words; a longer one needs two.
    const needed = words.size <= 3 ? 1 : 2;
    const byTests = words.size > 0 && pinned.some((title) => [...words].filter((word) => title.has(word)).length >= needed);
    tally.check(
      byImports || byPurity || byExports || byTests,
      'rule-not-checkable',
      ['constraints', 'rules', index],
      `rule ${index + 1} is prose only: no example, test title or constraint field pins it`,
      'add an example or a test whose title names the rule (e.g. it("does not mutate its input")), or express it as a constraint field (allowedImports, pure, capabilities)',
    );
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Tests: every declared test exists, every output is imported by a test

function importsOf(testFile: string, source: string): Set<string> {
  const resolved = new Set<string>();
  for (const imported of ts.preProcessFile(source, true, true).importedFiles) {
    if (!imported.fileName.startsWith('.')) continue;
    const target = posix.normalize(posix.join(posix.dirname(testFile), imported.fileName)).replace(/\.(ts|mts|cts|js|mjs|cjs)$/, '');
    resolved.add(target);
    resolved.add(`${target}/index`);
  }
  return resolved;
}

function lintTests(spec: ResolvedSpec, context: LintContext, tally: Tally): void {
  spec.spec.tests.forEach((test, index) => {
    const file = spec.testFiles[index] as string;
    tally.check(context.readFile(file) !== undefined, 'missing-test-file', ['tests', index], `declared test ${test} does not exist (${file})`, `write ${file}: the tests a person writes are the part of the spec the model cannot game`);
  });
  const tests = [...new Set([...spec.testFiles, ...context.projectTests(spec)])];
  const imported = new Set<string>();
  for (const test of tests) {
    const source = context.readFile(test);
    if (source !== undefined) for (const target of importsOf(test, source)) imported.add(target);
  }
  spec.outputFiles.forEach((output, index) => {
    const stem = output.replace(/\.(ts|mts|cts|js|mjs|cjs)$/, '');
    tally.check(
      imported.has(stem),
      'output-without-test',
      ['outputs', index],
      `output ${spec.spec.outputs[index]} is imported by no test file`,
      `write ${posix.basename(stem)}.test.ts beside the spec, importing ./${posix.basename(stem)}, and list it under tests:`,
    );
  });
}

// ---------------------------------------------------------------------------------------------------------------
// dependsOn edges: the spec says what it uses, and declares the errors that can come through

function mentions(text: string, name: string): boolean {
  return new RegExp(`(^|[^A-Za-z0-9_$])${name.replace(/\$/g, '\\$')}([^A-Za-z0-9_$]|$)`).test(text);
}

function lintDependencies(spec: ResolvedSpec, context: LintContext, tally: Tally): void {
  const text = [spec.spec.description, ...spec.spec.constraints.rules, ...spec.spec.exports.flatMap((exported) => [exported.description ?? '', ...exported.params.map((param) => param.description ?? '')])].join('\n');
  const declared = new Set(spec.spec.exports.flatMap((exported) => exported.throws));
  spec.spec.dependsOn.forEach((id, index) => {
    const dependency = context.specsById.get(id);
    if (!dependency) return;
    const used = dependency.spec.exports.filter((exported) => mentions(text, exported.name));
    tally.check(
      used.length > 0,
      'dependency-unused',
      ['dependsOn', index],
      `depends on ${id}, but never says which of its exports (${dependency.spec.exports.map((exported) => exported.name).join(', ')}) it uses or how`,
      `name the export and what it is used for in the description or a rule, or drop ${id} from dependsOn`,
    );
    for (const exported of used) {
      for (const error of exported.throws) {
        tally.check(
          declared.has(error),
          'dependency-error-undeclared',
          ['dependsOn', index],
          `uses ${exported.name} from ${id}, which throws ${error}, but no export here declares ${error}`,
          `declare ${error} under the throws: of the export that calls ${exported.name} (with an example), or say in the description why the inputs can never make it throw`,
        );
      }
    }
  });
  // The other way round: an export of a spec this one does not depend on, named as code (`name` or name(…)).
  const dependencies = new Set(spec.spec.dependsOn);
  for (const other of context.specsById.values()) {
    if (other.spec.id === spec.spec.id || dependencies.has(other.spec.id) || other.spec.draft) continue;
    for (const exported of other.spec.exports) {
      const asCode = new RegExp(`\`${exported.name}\`|\\b${exported.name}\\(`);
      const match = asCode.exec(spec.spec.description);
      if (!match) continue;
      if (spec.spec.exports.some((own) => own.name === exported.name)) continue;
      const offset = spec.source.indexOf(match[0]);
      tally.check(
        false,
        'dependency-undeclared',
        offset >= 0 ? positionAt(spec.source, offset) : ['description'],
        `the description uses ${exported.name} of spec ${other.spec.id}, which is not in dependsOn`,
        `add ${other.spec.id} to dependsOn (so its contract and code reach the model and it is generated first), or reword`,
      );
    }
  }
}

function positionAt(source: string, offset: number): Position {
  const before = source.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}

// ---------------------------------------------------------------------------------------------------------------
// Report

export function formatLintReport(results: readonly SpecLint[]): string {
  const lines: string[] = [];
  for (const result of results) {
    for (const finding of result.findings) {
      lines.push(`${finding.file}:${finding.line}:${finding.column}: ${finding.severity} ${finding.rule}: ${finding.message}`);
      lines.push(`  fix: ${finding.fix}`);
    }
  }
  if (results.length > 0) {
    lines.push('', 'Specwright lint: precision per spec (checks passed / checks made)');
    const width = Math.max(...results.map((result) => result.id.length), 4);
    for (const result of results) {
      const errors = result.findings.filter((finding) => finding.severity === 'error').length;
      const warnings = result.findings.length - errors;
      lines.push(`  ${result.id.padEnd(width)}  ${String(result.score).padStart(3)}  (${result.passed}/${result.checks})  ${errors} error(s), ${warnings} warning(s)`);
    }
  }
  return lines.join('\n');
}
