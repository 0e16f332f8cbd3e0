import { isAbsolute, relative, sep } from 'node:path';
import { parseFrames } from '../stack';
import { render, type CallRecord, type Violation } from './runtime';

/**
 * Who broke it, decided from what the guards saw during a failing test. Pure: the calls and the test's error in,
 * one verdict out.
 *  - caller:    human code passed arguments outside an export's `params` contract;
 *  - boundary:  generated code of one spec passed arguments outside another spec's `params` (the specs disagree);
 *  - generated: with arguments inside the contract, the generated code returned a value outside `returns`, or
 *               threw an error its spec does not declare;
 *  - spec-gap:  every call stayed within contract and the test still failed: the spec does not pin the behaviour
 *               the test expects; the call the test checked is turned into the example to add.
 */

export type VerdictKind = 'caller' | 'boundary' | 'generated' | 'spec-gap';

export interface Verdict {
  kind: VerdictKind;
  /** Who must act, in a few words. */
  party: string;
  specId: string;
  specFile: string;
  export: string;
  /** Workspace-relative `file:line:col` of the responsible code. */
  where?: string;
  /** One line. */
  summary: string;
  details: string[];
  /** For spec gaps: the YAML example to add to the spec. */
  suggestion?: string;
  violation?: Violation;
}

export interface TestFailure {
  message?: string;
  stack?: string;
  /** vitest's serialized expected / actual of an assertion. */
  expected?: string;
  actual?: string;
}

const TITLES: Record<VerdictKind, string> = {
  caller: 'CALLER BROKE THE CONTRACT',
  boundary: 'BOUNDARY: TWO SPECS DISAGREE',
  generated: 'GENERATED CODE BROKE ITS CONTRACT',
  'spec-gap': 'SPEC GAP',
};

function workspacePath(workspaceRoot: string, path: string): string {
  if (!isAbsolute(path)) return path;
  const rel = relative(workspaceRoot, path);
  return rel.startsWith('..') ? path : rel.split(sep).join('/');
}

function callerWhere(call: CallRecord, workspaceRoot: string): string | undefined {
  if (!call.caller) return undefined;
  return `${workspacePath(workspaceRoot, call.caller.path)}:${call.caller.line}${call.caller.column ? `:${call.caller.column}` : ''}`;
}

function argsText(call: CallRecord): string {
  return `${call.export}(${call.args.map((arg) => render(arg, 80)).join(', ')})`;
}

function violationText(call: CallRecord, v: Violation): string {
  return `${v.at} = ${v.value} violates ${call.specId} ${v.contract} ${v.keyword} (${v.message})`;
}

/** A YAML flow value for an example; JSON is valid YAML flow syntax. */
function yamlValue(value: unknown): string {
  const json = JSON.stringify(value);
  return json === undefined ? render(value) : json;
}

function expectedFromFailure(failure: TestFailure | undefined): unknown {
  if (failure?.expected === undefined) return undefined;
  // vitest serializes with pretty-format: `Object {`, `Array [`, trailing commas, `+0`. Undo that much, else give up.
  const lenient = failure.expected
    .replace(/\b(?:Object|Array) (?=[[{])/g, '')
    .replace(/,(\s*[\]}])/g, '$1')
    .replace(/(^|[\s[,:])\+0\b/g, '$10');
  for (const text of [failure.expected, lenient]) {
    try {
      return JSON.parse(text);
    } catch {
      // try the next form
    }
  }
  // A string is serialized bare; the assertion's message quotes it (`expected 'a' to be 'b'`).
  if (failure.message?.includes(`'${failure.expected}'`)) return failure.expected;
  return undefined;
}

/**
 * `modules`: workspace-relative generated file → whether the content that ran is the reviewed one, generated but
 * unreviewed, or edited by hand (from the lock, at transform time).
 */
export function decideVerdict(calls: readonly CallRecord[], failure: TestFailure | undefined, workspaceRoot: string, modules?: ReadonlyMap<string, string>): Verdict | undefined {
  if (calls.length === 0) return undefined;
  const ordered = [...calls].sort((a, b) => a.seq - b.seq);
  const broken = ordered.find((call) => call.violations.length > 0);
  if (broken) {
    const violation = broken.violations[0] as Violation;
    const where = callerWhere(broken, workspaceRoot);
    const base = { specId: broken.specId, specFile: broken.specFile, export: broken.export, violation };
    // The first violation is in the summary; the others (up to 5 per call) follow it.
    const all = broken.violations.slice(1).map((v) => `also: ${violationText(broken, v)}`);
    if (violation.party === 'caller') {
      const fromSpec = broken.caller?.specId;
      if (fromSpec && fromSpec !== broken.specId) {
        return {
          ...base,
          kind: 'boundary',
          party: `specs ${fromSpec} and ${broken.specId}`,
          ...(where ? { where } : {}),
          summary: `generated code of ${fromSpec} (${where ?? 'unknown location'}) called ${argsText(broken)}: ${violationText(broken, violation)}`,
          details: [
            ...all,
            `the output of ${fromSpec} does not satisfy the input contract of ${broken.specId}: make ${fromSpec}'s spec say what it may pass (a rule, an example), or widen ${broken.specId}'s ${violation.contract} in ${broken.specFile}`,
            'check every dependsOn edge statically with `npx specwright explain --boundaries`',
          ],
        };
      }
      return {
        ...base,
        kind: 'caller',
        party: `the human caller at ${where ?? 'an unknown location'}`,
        ...(where ? { where } : {}),
        summary: `${where ?? 'a caller'} (human) called ${argsText(broken)}: ${violationText(broken, violation)}`,
        details: [...all, `fix the caller so it stays within ${broken.specId}'s contract, or widen the contract in ${broken.specFile} and regenerate`],
      };
    }
    return {
      ...base,
      kind: 'generated',
      party: `the generated code of ${broken.specId} (${broken.file})`,
      where: broken.file,
      summary: `${argsText(broken)} (arguments within contract) ${violation.contract === 'throws' ? violation.message : `returned a value outside \`returns\`: ${violationText(broken, violation)}`}`,
      details: [...all, `the generated code is wrong for an input its spec allows: add this case as an example in ${broken.specFile} and regenerate (\`npx specwright generate --spec ${broken.specId}\`)`],
    };
  }
  // Every call within contract: the spec allowed what the code did. The call the test was about is the one whose
  // generated file is on the failure's stack, else the last call before the failure.
  const failingFiles = new Set(parseFrames(failure?.stack ?? '').map((frame) => workspacePath(workspaceRoot, frame.path)));
  const onStack = [...ordered].reverse().find((call) => failingFiles.has(call.file));
  const call = onStack ?? (ordered[ordered.length - 1] as CallRecord);
  const outcome = 'returned' in call.outcome ? call.outcome.returned : undefined;
  const threw = 'threw' in call.outcome ? call.outcome.threw : undefined;
  const expected = expectedFromFailure(failure);
  const expectText = expected !== undefined ? yamlValue(expected) : '<the value the test expects>';
  const suggestion = `- { export: ${call.export}, args: ${yamlValue(call.args)}, expect: ${expectText} }`;
  const got = threw ? `threw ${threw.name}: ${threw.message}` : `returned ${render(outcome)}`;
  const module = modules?.get(call.file);
  if (module === 'drifted') {
    // The code that ran is not what Specwright generated and a person reviewed: the hand edit is the first suspect.
    return {
      kind: 'generated',
      party: `the generated code of ${call.specId} (${call.file}), edited by hand since it was generated`,
      specId: call.specId,
      specFile: call.specFile,
      export: call.export,
      where: call.file,
      summary: `every call stayed within contract, but ${call.file} is not the content Specwright generated (drifted); ${argsText(call)} ${got}, and the test expected otherwise`,
      details: [
        `restore the generated file (\`git checkout -- ${call.file}\`, or \`npx specwright generate --spec ${call.specId} --force\`) and run the test again; if it still fails, the spec does not pin this behaviour`,
        `to pin it, add the example below to ${call.specFile} and regenerate`,
      ],
      suggestion,
    };
  }
  return {
    kind: 'spec-gap',
    party: `the spec ${call.specId} (${call.specFile})`,
    specId: call.specId,
    specFile: call.specFile,
    export: call.export,
    where: call.specFile,
    summary: `every call stayed within contract; ${argsText(call)} ${got}, and the test expected otherwise: ${call.specFile} does not pin this behaviour`,
    details: [
      `${ordered.length} guarded call(s) in this test, none outside its contract${onStack ? '' : ' (the last one is shown)'}${module === 'unreviewed' ? `; note: ${call.file} is generated content nobody has reviewed yet` : ''}`,
      `add the example below to ${call.specFile} (under \`examples:\`), or a rule in its description, then regenerate: \`npx specwright generate --spec ${call.specId}\``,
    ],
    suggestion,
  };
}

export function formatVerdict(verdict: Verdict): string {
  const prefix = '[specwright guards]';
  const lines = [`${prefix} ${TITLES[verdict.kind]} — responsible: ${verdict.party}`, `${prefix}   ${verdict.summary}`, ...verdict.details.map((line) => `${prefix}   ${line.trim()}`)];
  if (verdict.suggestion) lines.push(`${prefix}   example to add:`, `${prefix}     ${verdict.suggestion}`);
  return lines.join('\n');
}
