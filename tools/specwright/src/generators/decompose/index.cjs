'use strict';
// Nx loads generators as CommonJS; the TypeScript goes through our cached swc loader, as for the executors.
require('../../../bin/ts-loader.cjs');
module.exports = require('./generator.ts');
