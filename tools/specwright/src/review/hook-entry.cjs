#!/usr/bin/env node
'use strict';
/*
 * Entry of the pre-commit hook (.husky/pre-commit runs `node tools/specwright/src/review/hook-entry.cjs pre-commit`).
 *
 * Plain JavaScript on purpose: the `.ts` loader in bin/ts-loader.cjs compiles each module once with @swc/core and
 * caches it, so a commit pays node's start-up and little more (see that file for why not @swc-node/register).
 */
const { exitWith } = require('../../bin/ts-loader.cjs');

exitWith(require('./hook.ts').hookMain(process.argv.slice(2)));
