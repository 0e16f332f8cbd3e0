'use strict';
// The plugin's entry for Nx (createNodes): built JavaScript when published, the TypeScript source in a checkout.
module.exports = require('../bin/entry.cjs').loadModule('index');
