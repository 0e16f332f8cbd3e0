#!/usr/bin/env node
'use strict';
/*
 * Entry of the pre-commit hook (.husky/pre-commit runs `node tools/specwright/src/review/hook-entry.cjs pre-commit`).
 *
 * Plain JavaScript on purpose. The CLI loads TypeScript through @swc-node/register, which itself loads the
 * TypeScript compiler to read tsconfig: ~0.5 s before the first line of ours runs, more than the hook's whole
 * budget. Here a minimal `.ts` loader compiles each module with @swc/core once and keeps the JavaScript under
 * node_modules/.cache/specwright/hook-js/, keyed by the source's hash; later commits only read those files.
 * Editing a source file changes its hash, so a stale compile is never used. Without a writable cache the
 * loader still works, compiling in memory.
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
    if (fs.existsSync(path.join(modules, '@swc', 'core'))) return path.join(modules, '.cache', 'specwright', 'hook-js');
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

Module._extensions['.ts'] = function loadTypeScript(module, filename) {
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
};

require('./hook.ts')
  .hookMain(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(error && error.stack ? error.stack : String(error));
      process.exitCode = 2;
    },
  );
