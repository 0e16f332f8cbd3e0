#!/usr/bin/env node
// The CLI is TypeScript like the rest of the plugin; ts-loader.cjs compiles it with @swc/core, cached by content.
require('./ts-loader.cjs');
require('../src/cli.ts')
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(error && error.stack ? error.stack : String(error));
      process.exitCode = 2;
    },
  );
