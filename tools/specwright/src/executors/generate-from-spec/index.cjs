'use strict';
// Nx loads executors as CommonJS. bin/entry.cjs gives it our built JavaScript (published package) or compiles the
// TypeScript with @swc/core (checkout) — dynamic import() of our own modules included — instead of Nx's
// tsconfig-driven transpiler, which keeps import() as ESM and would load the TypeScript compiler in every task.
module.exports = require('../../../bin/entry.cjs').loadModule('executors/generate-from-spec/executor');
