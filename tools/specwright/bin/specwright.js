#!/usr/bin/env node
// The CLI is TypeScript like the rest of the plugin; ts-loader.cjs compiles it with @swc/core, cached by content.
const { exitWith } = require('./ts-loader.cjs');
exitWith(require('../src/cli.ts').main(process.argv.slice(2)));
