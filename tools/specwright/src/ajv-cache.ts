import type { Options, ValidateFunction } from 'ajv';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { replaceCacheFile } from './fs-utils';

/**
 * A JSON Schema validator compiled once per schema, not once per process: ajv's compile of the spec schema is ~80 ms
 * of every check, the same code each time. The first process writes ajv's standalone code for the validator (the
 * very code `compile` generates, with its runtime helpers required from the plugin's own ajv) under
 * node_modules/.cache/specwright/ajv/, named by a hash of the schema text, ajv's version and the options; later
 * processes load that file instead of compiling. A different schema, ajv or option set is a different file, so a
 * stale one is never used; an unreadable one is compiled again. The folder is trusted as node_modules is (the
 * TypeScript loader keeps its compiled JavaScript next to it).
 */
export const AJV_CACHE_DIR = join('.cache', 'specwright', 'ajv');

/** Bump when the cached file's layout changes. */
const FORMAT = 1;

/** The node_modules folder the plugin runs from (the workspace's), where the caches live; undefined if none. */
function nodeModulesFolder(): string | undefined {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Where the compiled validators are kept: the nearest node_modules above the plugin's code; undefined if none. */
export function ajvCacheFolder(): string | undefined {
  const folder = nodeModulesFolder();
  return folder && join(folder, AJV_CACHE_DIR);
}

export function validatorFor(schemaText: string, options: Options): ValidateFunction {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ajvVersion = (JSON.parse(readFileSync(require.resolve('ajv/package.json'), 'utf8')) as { version: string }).version;
  const key = createHash('sha1').update(JSON.stringify([FORMAT, ajvVersion, options, schemaText])).digest('hex');
  const folder = ajvCacheFolder();
  const file = folder && join(folder, `${key}.js`);
  if (file) {
    const loaded = loadStandalone(file);
    if (loaded) return loaded;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { default: Ajv } = require('ajv') as typeof import('ajv');
  const ajv = new Ajv({ ...options, code: { ...options.code, source: true } });
  const validate = ajv.compile(JSON.parse(schemaText) as object);
  if (file) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { default: standaloneCode } = require('ajv/dist/standalone') as typeof import('ajv/dist/standalone');
      mkdirSync(dirname(file), { recursive: true });
      replaceCacheFile(file, standaloneCode(ajv, validate));
    } catch {
      // A read-only node_modules: compile again next time.
    }
  }
  return validate;
}

function loadStandalone(file: string): ValidateFunction | undefined {
  let code: string;
  try {
    code = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const module = { exports: {} as { default?: unknown } };
    // Its `require`s (ajv's runtime helpers) resolve from here: the plugin's own ajv, the one that generated it.
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    new Function('module', 'exports', 'require', code)(module, module.exports, require);
    const validate = module.exports.default ?? module.exports;
    return typeof validate === 'function' ? (validate as ValidateFunction) : undefined;
  } catch {
    return undefined;
  }
}
