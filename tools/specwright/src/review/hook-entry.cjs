#!/usr/bin/env node
'use strict';
/*
 * Entry of the pre-commit hook: `.husky/pre-commit` runs `node <plugin>/src/review/hook-entry.cjs pre-commit`
 * (tools/specwright in this monorepo, node_modules/@specwright/nx in a workspace that installed the plugin).
 *
 * Plain JavaScript on purpose: the published package runs its built JavaScript; a checkout compiles each module
 * once with @swc/core and caches it (bin/ts-loader.cjs), so a commit pays node's start-up and little more.
 */
const { exitWith, loadModule } = require('../../bin/entry.cjs');

exitWith(loadModule('review/hook').hookMain(process.argv.slice(2)));
