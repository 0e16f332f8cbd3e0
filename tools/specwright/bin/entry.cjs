'use strict';
/*
 * How every entry point (the CLI, the plugin, the executors, the generators, the pre-commit hook) loads the plugin's
 * modules. Two shapes of the same package:
 *
 * - the published package ships compiled CommonJS under dist/ and no TypeScript sources: plain `require`, nothing
 *   compiled at a user's start-up, no @swc/core needed;
 * - a source checkout (this monorepo) has src/*.ts: ts-loader.cjs compiles them on first use and caches the result,
 *   so editing a source never runs stale JavaScript (a leftover dist/ is ignored while the source is there).
 *
 * One rule decides, per module: its TypeScript source exists → the source; otherwise → dist/.
 */
const fs = require('node:fs');
const path = require('node:path');

const PACKAGE_ROOT = path.join(__dirname, '..');

/** `loadModule('review/hook')` → the module src/review/hook.ts or dist/review/hook.js. */
function loadModule(relative) {
  const source = path.join(PACKAGE_ROOT, 'src', `${relative}.ts`);
  if (fs.existsSync(source)) {
    require('./ts-loader.cjs');
    return require(source);
  }
  const built = path.join(PACKAGE_ROOT, 'dist', `${relative}.js`);
  if (!fs.existsSync(built)) {
    throw new Error(`@specwright/nx is incomplete: neither src/${relative}.ts nor dist/${relative}.js exists in ${PACKAGE_ROOT} (reinstall the package, or run \`npm run build\` in it)`);
  }
  return require(built);
}

/** Runs an entry point's promise of an exit code; a crash prints its stack and exits 2. */
function exitWith(promise) {
  promise.then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(error && error.stack ? error.stack : String(error));
      process.exitCode = 2;
    },
  );
}

module.exports = { loadModule, exitWith, PACKAGE_ROOT };
