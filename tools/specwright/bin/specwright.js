#!/usr/bin/env node
// The `specwright` command: built JavaScript in the published package, the TypeScript source in a checkout (entry.cjs).
const { exitWith, loadModule } = require('./entry.cjs');
exitWith(loadModule('cli').main(process.argv.slice(2)));
