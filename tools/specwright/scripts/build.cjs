'use strict';
/*
 * Builds the published form of @specwright/nx: src/**\/*.ts → dist/**\/*.js (CommonJS, with .d.ts), through tsc and
 * tsconfig.build.json. Users' processes then only `require` JavaScript (see bin/entry.cjs). Runs before `npm pack`
 * and `npm publish` (the `prepack` script), so a package never ships a stale or missing dist/.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const packageRoot = path.join(__dirname, '..');
const dist = path.join(packageRoot, 'dist');

fs.rmSync(dist, { recursive: true, force: true });
const tsc = require.resolve('typescript/bin/tsc', { paths: [packageRoot] });
const result = spawnSync(process.execPath, [tsc, '-p', path.join(packageRoot, 'tsconfig.build.json')], { stdio: 'inherit' });
if (result.status !== 0) {
  console.error('build failed: fix the TypeScript errors above, then run `npm run build -w @specwright/nx` again');
  process.exit(result.status ?? 1);
}

// Every module an entry point loads must exist in dist/, or the published package is broken at a user's site.
const entries = ['index', 'cli', 'review/hook', 'workspace', 'attribution/guards/transform', 'attribution/guards/runtime', 'attribution/guards/setup'];
for (const manifest of ['executors.json', 'generators.json']) {
  const file = path.join(packageRoot, manifest);
  if (!fs.existsSync(file)) continue;
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const entry of Object.values(json.executors ?? json.generators ?? {})) {
    const implementation = (entry.implementation ?? entry.factory).split('#')[0];
    const text = fs.readFileSync(path.join(packageRoot, implementation), 'utf8');
    const match = /loadModule\('([^']+)'\)/.exec(text);
    if (!match) throw new Error(`${implementation} does not load its module through bin/entry.cjs`);
    entries.push(match[1]);
  }
}
// Files the compiled modules open next to themselves (`path.join(__dirname, …)`), which tsc does not copy: the
// sandbox's child runner, its lockdown preload and the namespace script.
const RUNTIME_ASSETS = ['gates/sandbox/runner.cjs', 'gates/sandbox/lockdown.cjs', 'gates/sandbox/confine.sh', 'gates/sandbox/vitest-host.cjs', 'gates/type-worker-entry.cjs'];
for (const asset of RUNTIME_ASSETS) {
  fs.copyFileSync(path.join(packageRoot, 'src', asset), path.join(dist, asset));
}

const missing = entries.filter((entry) => !fs.existsSync(path.join(dist, `${entry}.js`)));
if (missing.length > 0) {
  console.error(`build incomplete: dist/ lacks ${missing.map((entry) => `${entry}.js`).join(', ')}`);
  process.exit(1);
}
console.log(`built ${path.relative(process.cwd(), dist) || 'dist'}: ${entries.length} entry modules present`);
