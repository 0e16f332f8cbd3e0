'use strict';
// Nx loads executors as CommonJS. Our `.ts` loader (bin/ts-loader.cjs) compiles the TypeScript with @swc/core into
// CommonJS — dynamic import() of our own modules included — and caches it, instead of Nx's tsconfig-driven
// transpiler, which keeps import() as ESM and would load the TypeScript compiler in every task process.
require('../../../bin/ts-loader.cjs');
module.exports = require('./executor.ts');
