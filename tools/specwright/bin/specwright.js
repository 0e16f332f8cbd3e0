#!/usr/bin/env node
// The CLI is TypeScript like the rest of the plugin; swc compiles it on the fly, as Nx does for the plugin.
require('@swc-node/register');
process.exitCode = 0;
require('../src/cli.ts').main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error && error.stack ? error.stack : String(error));
    process.exitCode = 2;
  },
);
