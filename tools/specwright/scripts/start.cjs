#!/usr/bin/env node
'use strict';
/*
 * `npm start` in the template: replay the recorded model answers for every spec (offline, no key), then check that
 * everything is up to date and run every gate on the committed code.
 *
 * Specs without a recording for their current request (a spec you added or edited) cannot be replayed: they are
 * listed with the command that generates them against a model, and the rest is still generated, checked and
 * verified. Exit code 1 when anything that could run failed, or a spec is invalid.
 *
 * Every gate runs once per spec: the replay gates each answer before it is written, and a spec whose committed code
 * is then byte for byte the answer that passed (result `unchanged` or `regenerated`) is verified by that run — its
 * verdicts are read back from the run log (.specwright/runs) and printed as `verify` prints them. `verify` itself
 * runs for any other replayed spec (say, one skipped because a dependency failed). Running the gates a second time
 * on the same bytes used to double the time of `npm start`.
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

// the run log's clock is second-precise enough: the replay's run starts after this line
const startedAt = Date.now() - 1000;
console.log('== replaying recorded answers through every gate (SPECWRIGHT_PROVIDER=replay, no model, no key)');
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
  const gated = gatedInReplay(replayed.filter((spec) => spec.result === 'unchanged' || spec.result === 'regenerated'));
  const rest = ids.filter((id) => !gated.has(id));
  console.log(`\n== verify: every gate on the committed code of the ${ids.length} replayed spec(s) (no model)`);
  if (gated.size > 0) {
    console.log(`${gated.size} spec(s) passed every gate in the replay, on the very bytes now committed:`);
    for (const [id, line] of gated) console.log(line);
  }
  if (rest.length > 0 && specwright(['verify', ...rest.flatMap((id) => ['--spec', id])]).status !== 0) status = 1;
}
console.log(
  status === 0
    ? `\nnpm start: ok — ${ids.length} spec(s) replayed, checked and verified${unreplayable.length ? `; ${unreplayable.length} could not be replayed (listed above)` : ''}.`
    : '\nnpm start: failed (see above).',
);
process.exit(status);

/**
 * The specs of `written` whose accepted attempt in this replay's run log passed every gate, each with its line in
 * `verify`'s format. A spec missing from the log (or a log that cannot be read) is left to `verify`.
 */
function gatedInReplay(written) {
  const lines = new Map();
  if (written.length === 0) return lines;
  let run;
  try {
    const { loadModule } = require('../bin/entry.cjs');
    const { listRuns, readRun } = loadModule('runs/log');
    const newest = listRuns(workspaceRoot)[0];
    if (!newest || newest.provider !== 'replay' || Date.parse(newest.startedAt) < startedAt) return lines;
    run = readRun(workspaceRoot, newest.runId) ?? [];
  } catch {
    return lines;
  }
  for (const spec of written) {
    const attempts = run.filter((line) => line.type === 'attempt' && line.specId === spec.id && line.accepted);
    const accepted = attempts[attempts.length - 1];
    if (!accepted || accepted.providerError) continue;
    const verdicts = accepted.verdicts.filter((verdict) => verdict.gate !== 'answer' && verdict.gate !== 'confinement');
    if (verdicts.length === 0 || !verdicts.every((verdict) => verdict.ok && !verdict.skipped)) continue;
    const gates = verdicts.map((verdict) => `${verdict.gate} pass${verdict.ms !== undefined ? ` (${Math.round(verdict.ms)} ms)` : ''}`).join(', ');
    lines.set(spec.id, `ok   ${spec.id.padEnd(28)} ${gates}`);
  }
  return lines;
}
