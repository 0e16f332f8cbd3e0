'use strict';
/*
 * A minimal `.ts` loader for Specwright's own entry points (the CLI, the pre-commit hook, the executors).
 *
 * @swc-node/register loads the TypeScript compiler to read tsconfig: ~0.5 s before the first line of ours runs,
 * more than the pre-commit hook's whole budget. This loader compiles each module with @swc/core once and keeps the
 * JavaScript under node_modules/.cache/specwright/ts-js/, keyed by the source's hash; later runs only read those
 * files. Editing a source file changes its hash, so a stale compile is never used. Without a writable cache it
 * still works, compiling in memory. Requiring this file twice is harmless.
 */
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const LOADER_VERSION = '1';

/** The workspace's node_modules (the one that holds @swc/core), where the other Specwright caches live too. */
function cacheDir() {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const modules = path.join(dir, 'node_modules');
    if (fs.existsSync(path.join(modules, '@swc', 'core'))) return path.join(modules, '.cache', 'specwright', 'ts-js');
    if (path.dirname(dir) === dir) return undefined;
  }
}

const CACHE = cacheDir();
let swc;

function compile(source, filename) {
  swc = swc || require('@swc/core');
  return swc.transformSync(source, {
    filename,
    swcrc: false,
    configFile: false,
    sourceMaps: false,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  }).code;
}

if (!Module._extensions['.ts'] || !Module._extensions['.ts'].specwright) Module._extensions['.ts'] = loadTypeScript;
loadTypeScript.specwright = true;

function loadTypeScript(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const key = crypto.createHash('sha1').update(`${LOADER_VERSION}\0${source}`).digest('hex');
  const cached = CACHE && path.join(CACHE, `${key}.js`);
  let code;
  if (cached) {
    try {
      code = fs.readFileSync(cached, 'utf8');
    } catch {
      code = undefined;
    }
  }
  if (code === undefined) {
    code = compile(source, filename);
    if (cached) {
      try {
        fs.mkdirSync(CACHE, { recursive: true });
        const temp = `${cached}.${process.pid}.tmp`;
        fs.writeFileSync(temp, code);
        fs.renameSync(temp, cached);
      } catch {
        // Read-only node_modules: compile again next time.
      }
    }
  }
  module._compile(code, filename);
}
