#!/usr/bin/env node
'use strict';
/*
 * `npm start` in the template: replay the recorded model answers for every spec (offline, no key), then check that
 * everything is up to date and run every gate on the committed code.
 *
 * Specs without a recording for their current request (a spec you added or edited) cannot be replayed: they are
 * listed with the command that generates them against a model, and the rest is still generated, checked and
 * verified. Exit code 1 when anything that could run failed, or a spec is invalid.
 */
const { spawnSync } = require('node:child_process');
const path = require('node:path');

// The workspace `npm start` runs in (the CLI finds its root from there, as `npx specwright` does).
const workspaceRoot = process.cwd();
const cli = path.join(__dirname, '..', 'bin', 'specwright.js');
const env = { ...process.env, SPECWRIGHT_PROVIDER: 'replay' };

function specwright(args, { json = false } = {}) {
  const result = spawnSync(process.execPath, [cli, ...args, ...(json ? ['--json'] : [])], {
    cwd: workspaceRoot,
    env,
    encoding: 'utf8',
    stdio: json ? ['ignore', 'pipe', 'inherit'] : 'inherit',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (!json) return { status: result.status };
  try {
    return { status: result.status, report: JSON.parse(result.stdout) };
  } catch {
    process.stdout.write(result.stdout ?? '');
    return { status: 2 };
  }
}

const NO_RECORDING = /no recorded answer for spec/;

console.log('== replaying recorded answers (SPECWRIGHT_PROVIDER=replay, no model, no key)');
const generated = specwright(['generate', '--force'], { json: true });
if (!generated.report) process.exit(2);
const { specs, problems } = generated.report;
const unreplayable = specs.filter((spec) => spec.result === 'failed' && NO_RECORDING.test(spec.message ?? ''));
const failed = specs.filter((spec) => spec.result === 'failed' && !unreplayable.includes(spec));
const replayed = specs.filter((spec) => !unreplayable.includes(spec) && !failed.includes(spec));

for (const spec of replayed) console.log(`  ✔ ${spec.id.padEnd(28)} ${spec.result}`);
for (const spec of failed) console.log(`  ✖ ${spec.id.padEnd(28)} failed\n    ${(spec.message ?? '').split('\n').join('\n    ')}`);
if (unreplayable.length > 0) {
  console.log(`\nCannot replay ${unreplayable.length} spec(s): no recording for their current text (new or edited specs). Generate them against a model:`);
  for (const spec of unreplayable) console.log(`  · ${spec.id.padEnd(28)} ${spec.file}\n      OPENAI_API_KEY=… npx specwright generate --spec ${spec.id}    (or any OpenAI-compatible server via OPENAI_BASE_URL)`);
}
for (const problem of problems) {
  console.log(`  ✖ ${problem.file}${problem.line ? `:${problem.line}:${problem.column}` : ''}: ${problem.message}${problem.fix ? `\n      fix: ${problem.fix}` : ''}`);
}

const ids = replayed.map((spec) => spec.id);
let status = failed.length > 0 || problems.length > 0 ? 1 : 0;
if (ids.length > 0) {
  const only = ids.flatMap((id) => ['--spec', id]);
  console.log(`\n== check: the ${ids.length} replayed spec(s) are up to date (no model)`);
  if (specwright(['check', ...only]).status !== 0) status = 1;
  console.log(`\n== verify: every gate on the committed code of the ${ids.length} replayed spec(s) (no model)`);
  if (specwright(['verify', ...only]).status !== 0) status = 1;
}
console.log(
  status === 0
    ? `\nnpm start: ok — ${ids.length} spec(s) replayed, checked and verified${unreplayable.length ? `; ${unreplayable.length} could not be replayed (listed above)` : ''}.`
    : '\nnpm start: failed (see above).',
);
process.exit(status);
