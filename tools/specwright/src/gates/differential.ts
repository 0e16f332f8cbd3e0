/**
 * The differential gate: when a spec has a previous accepted version (its outputs on disk still hash to what the
 * lock recorded), the reviewed code and the candidate run side by side in two sandbox children on the same inputs —
 * the examples, the edge inputs and drawn inputs. Where they disagree on an input no example pins, the candidate
 * changed reviewed behaviour that the spec does not ask to change: a finding that tells the model what the
 * reviewed code returned. An intended change is pinned by adding an example, or accepted for one run with
 * `--accept-behaviour-change <spec>`; either way the differences travel on the passing verdict
 * (`behaviourChanges`) to the lock's generation record and are shown in review.
 */
import { join } from 'node:path';
import { readTextIfExists, sha256 } from '../fs-utils';
import { stripGeneratedHeader } from '../header';
import { isReviewed, readLock } from '../lock';
import { projectRelative } from '../plan';
import type { Example, Finding, GateVerdict } from '../types';
import { callText, compareRuns, describeOutcome, type Disagreement } from './compare-runs';
import { errorMatches, type GateContext } from './context';
import type { Gate, GateInput } from './gate';
import { comparisonInputs } from './properties';
import { type CallOutcome, SandboxWorker, stageCode } from './sandbox';
import { jsonEqual, show } from './util';

export interface PreviousVersion {
  files: Map<string, string>;
  /** Every output's review record matches its content. */
  reviewed: boolean;
}

/** The accepted version of the spec's outputs: all on disk, each with the hash the lock recorded for it. */
export function previousVersion(input: Pick<GateInput, 'workspaceRoot' | 'spec'>): PreviousVersion | undefined {
  const { workspaceRoot, spec } = input;
  let entry;
  try {
    entry = readLock(workspaceRoot, spec.projectRoot).specs[spec.spec.id];
  } catch {
    return undefined; // a broken lock is reported by the pipeline itself
  }
  if (!entry) return undefined;
  const files = new Map<string, string>();
  let reviewed = true;
  for (const file of spec.outputFiles) {
    const output = entry.outputs[projectRelative(spec.projectRoot, file)];
    const content = readTextIfExists(join(workspaceRoot, file));
    if (!output || content === undefined || sha256(content) !== output.hash) return undefined;
    reviewed &&= isReviewed(output);
    files.set(file, content);
  }
  return { files, reviewed };
}

function sameCode(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [file, content] of a) {
    const other = b.get(file);
    if (other === undefined || stripGeneratedHeader(other) !== stripGeneratedHeader(content)) return false;
  }
  return true;
}

/** Whether an outcome is what an example asks for (value by JSON equality, or the named error). */
function meetsExample(outcome: CallOutcome, example: Example): boolean {
  if (example.throws !== undefined) return outcome.kind === 'threw' && errorMatches(outcome.error, [example.throws]);
  return outcome.kind === 'returned' && outcome.unserializable === undefined && jsonEqual(outcome.value, example.expect);
}

function describe(d: Disagreement): string {
  return `at ${callText(d.export, d.args)} the reviewed code returned ${describeOutcome(d.first)}, this candidate ${describeOutcome(d.second)}`;
}

/** Whether the differential gate has something to compare for `input`: its previous version, when that differs. */
function comparable(input: GateInput): PreviousVersion | undefined {
  const previous = previousVersion(input);
  return previous && !sameCode(previous.files, input.files) ? previous : undefined;
}

/**
 * The child running the previous version for `input`: staged and started once per input (ahead of the gate when
 * runGates calls `prepareDifferential`), closed with the input's scope.
 */
function previousWorker(context: GateContext, input: GateInput, previous: PreviousVersion): Promise<SandboxWorker | undefined> {
  return context.sandbox.companion(input, 'previous', async () => {
    const { spec } = input.spec;
    const code = await stageCode({ workspaceRoot: input.workspaceRoot, files: previous.files, ...(context.options.tmpRoot ? { tmpRoot: context.options.tmpRoot } : {}) });
    return new SandboxWorker(code, context.sandboxSettings, spec.constraints?.capabilities ?? [], input.workspaceRoot, { pure: spec.constraints?.pure === true });
  });
}

/** Stages the previous version and starts its child while the gates before the differential one run. */
export function prepareDifferential(context: GateContext, input: GateInput): void {
  if (!context.options.gates.differential) return;
  const previous = comparable(input);
  if (previous) void previousWorker(context, input, previous);
}

export function createDifferentialGate(context: GateContext): Gate {
  return {
    name: 'differential',
    blocking: false,
    async check(input: GateInput): Promise<GateVerdict> {
      const previous = comparable(input);
      if (!previous || context.sandbox.hungOn(input)) return { gate: 'differential', ok: true, findings: [] };
      const { spec } = input.spec;
      const pinned = new Set(spec.examples.map((example) => `${example.export} ${show(example.args, 100_000)}`));
      const calls = spec.exports.flatMap((exported) =>
        comparisonInputs(context, input, exported, context.options.differentialRuns, 120).map((args) => ({ export: exported.name, args })),
      );
      /** Exports whose examples the reviewed code fails: the spec now asks for other behaviour, by example number. */
      const changedBySpec = new Map<string, number>();
      const compared = await context.sandbox.use(input, async (candidate) => {
        const old = await previousWorker(context, input, previous);
        if (!old) throw new Error('the reviewed version could not be staged');
        const loaded = await old.exports();
        if (!loaded.ok) return { note: `the reviewed version does not load (${loaded.message})` };
        const examples = spec.examples.filter((example) => loaded.exports.includes(example.export));
        const outcomes = await old.callEach(examples.map((example) => ({ name: example.export, args: example.args })));
        for (const [k, example] of examples.entries()) {
          if (changedBySpec.has(example.export)) continue;
          if (!meetsExample(outcomes[k] ?? { kind: 'crashed', message: 'not run' }, example)) changedBySpec.set(example.export, spec.examples.indexOf(example) + 1);
        }
        const runnable = calls.filter((call) => loaded.exports.includes(call.export));
        return { disagreements: await compareRuns(old, candidate, runnable, { max: 40, ...(input.signal ? { signal: input.signal } : {}) }) };
      });
      if (!compared.disagreements) return { gate: 'differential', ok: true, findings: [{ message: `note: ${compared.note}; nothing to compare` }] };
      const disagreements: Disagreement[] = compared.disagreements;
      // Pinned: the input is an example's, or the reviewed code fails an example of that export (an intended change
      // the spec states by example: its other differences are recorded, not rejected).
      const isPinned = (d: Disagreement) => pinned.has(`${d.export} ${show(d.args, 100_000)}`) || changedBySpec.has(d.export);
      const pinReason = (d: Disagreement) =>
        pinned.has(`${d.export} ${show(d.args, 100_000)}`) ? 'pinned by an example' : `intended: the reviewed code fails example #${changedBySpec.get(d.export)}`;
      const unpinned = disagreements.filter((d) => !isPinned(d));
      const accepted = context.options.acceptBehaviourChange.includes(spec.id);
      const record = [
        ...disagreements.filter(isPinned).map((d) => `${describe(d)} (${pinReason(d)})`),
        ...(accepted ? unpinned.map((d) => `${describe(d)} (accepted with --accept-behaviour-change)`) : []),
      ];
      if (accepted || unpinned.length === 0) {
        return { gate: 'differential', ok: true, findings: record.map((line) => ({ message: `note: behaviour change ${line}` })), ...(record.length > 0 ? { behaviourChanges: record } : {}) };
      }
      const version = previous.reviewed ? 'reviewed' : 'previously accepted (not yet reviewed)';
      const findings: Finding[] = unpinned.slice(0, 10).map((d) => ({
        message: `${describe(d)}. Keep the ${version} behaviour unless the spec requires otherwise`,
      }));
      findings.push({
        message: `note: if the change is intended, pin it with an example in ${input.spec.file}, or accept it once with \`--accept-behaviour-change ${spec.id}\``,
      });
      return { gate: 'differential', ok: false, findings };
    },
  };
}
