'use strict';
// The plugin's entry for Nx: see src/executors/*/index.cjs for why our own loader compiles the TypeScript.
require('../bin/ts-loader.cjs');
module.exports = require('./index.ts');
