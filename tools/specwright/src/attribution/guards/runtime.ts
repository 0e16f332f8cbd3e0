import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { parseGeneratedHeader } from '../provenance';
import { parseFrames } from '../stack';
import type { GuardContract } from './transform';

/**
 * The test-time half of the contract guards: every call that crosses into a generated module is checked against
 * its spec — arguments against `params`, the result against `returns`, a thrown error against `throws` — and
 * recorded with the caller's `file:line` (from the call's own stack, source-mapped by vitest). Behaviour never
 * changes: the original result is returned and the original error rethrown; the verdict is given when a test fails
 * (see setup.ts). Loaded only when SPECWRIGHT_GUARDS=1 made the transform add the import.
 */

export interface CallerFrame {
  /** Absolute path as the stack names it. */
  path: string;
  line: number;
  column?: number;
  /** The spec whose generated file holds the caller; `undefined` for human code. */
  specId?: string;
}

export interface Violation {
  /** caller: the arguments are outside `params`; generated: the result is outside `returns`, or an undeclared throw. */
  party: 'caller' | 'generated';
  /** `params.<name>`, `returns` or `throws`. */
  contract: string;
  /** Where in the value, e.g. `ratios[0]` or `(result).lines[2].net`. */
  at: string;
  /** The schema keyword path, e.g. `items.minimum`, and its limit. */
  keyword: string;
  /** ajv's words, e.g. `must be >= 0`. */
  message: string;
  /** The offending value, rendered. */
  value: string;
}

export interface CallRecord {
  seq: number;
  specId: string;
  specFile: string;
  file: string;
  export: string;
  caller?: CallerFrame;
  args: unknown[];
  outcome: { returned: unknown } | { threw: { name: string; message: string } } | { pending: true };
  violations: Violation[];
}

interface GuardState {
  calls: CallRecord[];
  dropped: number;
  seq: number;
  modules: Map<string, GuardContract>;
}

const MAX_CALLS_PER_TEST = 500;
/**
 * This file's own path, to skip its frames in callers' stacks. Read from a stack trace rather than `import.meta.url`
 * or `__filename`: vitest loads this module as ESM from the sources, the published package ships it as CommonJS.
 */
const RUNTIME_FILE = (() => {
  const frame = /\((.+?):\d+:\d+\)|at (.+?):\d+:\d+/.exec(new Error().stack?.split('\n')[1] ?? '');
  const file = frame?.[1] ?? frame?.[2];
  if (!file) return 'guards/runtime';
  return file.startsWith('file://') ? fileURLToPath(file) : file;
})();

export function guardState(): GuardState {
  const holder = globalThis as { __specwrightGuards?: GuardState };
  holder.__specwrightGuards ??= { calls: [], dropped: 0, seq: 0, modules: new Map() };
  return holder.__specwrightGuards;
}

export function resetCalls(): void {
  const state = guardState();
  state.calls = [];
  state.dropped = 0;
}

export function registerGeneratedModule(contract: GuardContract): void {
  guardState().modules.set(contract.absoluteFile, contract);
}

let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();

function validatorFor(schema: unknown): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (!validate) {
    if (!ajv) {
      ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
      addFormats(ajv);
    }
    const copy = typeof schema === 'object' && schema !== null ? { ...(schema as Record<string, unknown>) } : schema;
    if (typeof copy === 'object' && copy !== null) {
      delete (copy as Record<string, unknown>).$id;
      delete (copy as Record<string, unknown>).$schema;
    }
    validate = ajv.compile(copy as object);
    validators.set(key, validate);
  }
  return validate;
}

/** `ratios[0]`, `lines[2].net` from an ajv instance path under a root name. */
export function pathUnder(root: string, instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, segment) => (/^\d+$/.test(segment) ? `${path}[${segment}]` : /^[A-Za-z_$][\w$]*$/.test(segment) ? `${path}.${segment}` : `${path}[${JSON.stringify(segment)}]`), root);
}

/** `items.minimum 0` from `#/items/minimum` and ajv's params. */
function keywordOf(error: ErrorObject): string {
  const path = error.schemaPath.replace(/^#\/?/, '').split('/').filter(Boolean).join('.');
  const params = error.params as Record<string, unknown>;
  const limit = params.limit ?? params.allowedValues ?? params.allowedValue ?? params.type ?? params.pattern ?? params.format ?? params.missingProperty ?? params.additionalProperty;
  return limit === undefined ? path : `${path} ${render(limit)}`;
}

function valueAt(value: unknown, instancePath: string): unknown {
  let current = value;
  for (const segment of instancePath.split('/').slice(1)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return current;
}

/** A short, JSON-like rendering that also shows what JSON cannot (undefined, NaN, -0, bigint, functions). */
export function render(value: unknown, budget = 200): string {
  const seen = new WeakSet<object>();
  const walk = (v: unknown): string => {
    if (v === undefined) return 'undefined';
    if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'function') return `[function ${v.name || 'anonymous'}]`;
    if (typeof v === 'symbol') return v.toString();
    if (typeof v === 'string') return JSON.stringify(v);
    if (v === null || typeof v !== 'object') return String(v);
    if (seen.has(v)) return '[circular]';
    seen.add(v);
    if (Array.isArray(v)) return `[${v.map(walk).join(', ')}]`;
    if (v instanceof Error) return `${v.name}(${JSON.stringify(v.message)})`;
    return `{ ${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${walk(x)}`).join(', ')} }`;
  };
  const text = walk(value);
  return text.length > budget ? `${text.slice(0, budget - 1)}…` : text;
}

function snapshot(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    return render(value);
  }
}

const headerCache = new Map<string, string | undefined>();

/** The spec of a generated file on the caller's stack frame: a guarded module, else the file's header. */
function specOfFile(path: string): string | undefined {
  const known = guardState().modules.get(path);
  if (known) return known.specId;
  if (!headerCache.has(path)) {
    let specId: string | undefined;
    try {
      const head = readFileSync(path, 'utf8').split('\n', 1)[0] ?? '';
      specId = parseGeneratedHeader(head)?.specId;
    } catch {
      specId = undefined;
    }
    headerCache.set(path, specId);
  }
  return headerCache.get(path);
}

function callerFrame(stack: string | undefined): CallerFrame | undefined {
  for (const frame of parseFrames(stack ?? '')) {
    const path = frame.path.startsWith('file://') ? fileURLToPath(frame.path) : frame.path;
    if (path === RUNTIME_FILE || /\/guards\/runtime\.[jt]s$/.test(path)) continue;
    if (path.startsWith('node:') || path.includes('/node_modules/')) continue;
    const specId = specOfFile(path);
    return { path, line: frame.line, ...(frame.column ? { column: frame.column } : {}), ...(specId ? { specId } : {}) };
  }
  return undefined;
}

function schemaViolations(party: Violation['party'], contract: string, root: string, schema: unknown, value: unknown): Violation[] {
  const validate = validatorFor(schema);
  if (validate(value)) return [];
  return (validate.errors ?? []).slice(0, 5).map((error) => ({
    party,
    contract,
    at: pathUnder(root, error.instancePath),
    keyword: keywordOf(error),
    message: error.message ?? 'is invalid',
    value: render(valueAt(value, error.instancePath)),
  }));
}

const NOT_JSON = Symbol('not JSON');

/** The value as JSON would carry it (what spec examples are written in), or a marker that equals nothing. */
function asJson(value: unknown): unknown {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? NOT_JSON : (JSON.parse(text) as unknown);
  } catch {
    return NOT_JSON;
  }
}

function errorName(error: unknown): string {
  if (error instanceof Error) return error.constructor?.name && error.constructor.name !== 'Error' ? error.constructor.name : error.name;
  return typeof error;
}

/** Wraps one export of a generated module; anything that is not a function is returned as it is. */
export function guardExport<T>(contract: GuardContract, name: string, implementation: T): T {
  const declared = contract.exports[name];
  if (typeof implementation !== 'function' || !declared) return implementation;
  const original = implementation as unknown as (...args: unknown[]) => unknown;
  const guarded = function (this: unknown, ...args: unknown[]): unknown {
    const state = guardState();
    const record: CallRecord = {
      seq: ++state.seq,
      specId: contract.specId,
      specFile: contract.specFile,
      file: contract.file,
      export: name,
      args: args.map(snapshot),
      outcome: { pending: true },
      violations: [],
    };
    const caller = callerFrame(new Error().stack);
    if (caller) record.caller = caller;
    declared.params.forEach((param, index) => {
      // An omitted argument (or `undefined`, which JS treats the same) takes the parameter's default, if it has one:
      // JSON Schema cannot describe "absent", and the type gate already checks required parameters statically.
      if (args[index] === undefined) return;
      record.violations.push(...schemaViolations('caller', `params.${param.name}`, param.name, param.schema, args[index]));
    });
    const callerOk = record.violations.length === 0;
    if (state.calls.length < MAX_CALLS_PER_TEST) state.calls.push(record);
    else state.dropped++;
    const settle = (outcome: CallRecord['outcome']) => {
      record.outcome = outcome;
      if (!callerOk) return; // Out-of-contract input: whatever the code does next is not its contract's failure.
      if ('returned' in outcome) record.violations.push(...schemaViolations('generated', 'returns', '(result)', declared.returns, outcome.returned));
      // A call the spec has an example for must give the example's answer (JSON has no -0: compare as JSON would).
      const jsonArgs = asJson(args);
      const example = (declared.examples ?? []).find((candidate) => isDeepStrictEqual(candidate.args, jsonArgs));
      if (example) {
        const returned = 'returned' in outcome ? asJson(outcome.returned) : undefined;
        const matches = example.throws ? 'threw' in outcome && outcome.threw.name === example.throws : 'returned' in outcome && isDeepStrictEqual(returned, example.expect);
        if (!matches) {
          record.violations.push({
            party: 'generated',
            contract: 'examples',
            at: '(result)',
            keyword: `example expects ${example.throws ? `throws ${example.throws}` : render(example.expect)}`,
            message: `the spec's own example for these arguments expects ${example.throws ? `a ${example.throws}` : render(example.expect)}`,
            value: 'threw' in outcome ? `${outcome.threw.name}: ${outcome.threw.message}` : render('returned' in outcome ? outcome.returned : undefined),
          });
        }
      }
      if ('threw' in outcome && !declared.throws.includes(outcome.threw.name)) {
        record.violations.push({
          party: 'generated',
          contract: 'throws',
          at: '(thrown)',
          keyword: `throws ${render(declared.throws)}`,
          message: declared.throws.length ? `threw ${outcome.threw.name}, which the spec does not declare (declared: ${declared.throws.join(', ')})` : `threw ${outcome.threw.name}, but the spec declares no error`,
          value: `${outcome.threw.name}: ${outcome.threw.message}`,
        });
      }
    };
    let result: unknown;
    try {
      result = original.apply(this, args);
    } catch (error) {
      settle({ threw: { name: errorName(error), message: error instanceof Error ? error.message : String(error) } });
      throw error;
    }
    if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
      (result as Promise<unknown>).then(
        (value) => settle({ returned: snapshot(value) }),
        (error: unknown) => settle({ threw: { name: errorName(error), message: error instanceof Error ? error.message : String(error) } }),
      );
    } else {
      settle({ returned: snapshot(result) });
    }
    return result;
  };
  Object.defineProperty(guarded, 'name', { value: original.name });
  Object.defineProperty(guarded, 'length', { value: original.length });
  return guarded as unknown as T;
}
