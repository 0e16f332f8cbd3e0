/**
 * A gate session: the gates in order (types, safety — both blocking — then examples, properties, tests) and the
 * state they share for a whole run. `runGates` runs them for one candidate; `formatFeedback` turns the verdicts into
 * the repair turn's feedback for the model.
 */
import type { GateName, GateVerdict } from '../types';
import type { Gate, GateInput, GateSession } from './gate';
import { GateContext, type GateSessionOptions, type SessionGateName } from './context';
import { createCostGate, prefetchRegexAnalysis } from './cost';
import { createDifferentialGate, prepareDifferential } from './differential';
import { createExamplesGate } from './examples';
import { createPurityGate, preparePurity } from './locale';
import { createPropertiesGate } from './properties';
import { createSafetyGate } from './safety';
import { createTestsGate } from './tests';
import { createTypesGate } from './types';
import { errorMessage } from './util';

export type { GateSessionOptions } from './context';

export interface SpecwrightGateSession extends GateSession {
  readonly workspaceRoot: string;
  /** Shared state, for gates added by callers and for tests. */
  readonly context: GateContext;
}

// The differential gate comes last: the spec's own tests speak with more authority than the reviewed version.
const ORDER: SessionGateName[] = ['types', 'safety', 'examples', 'properties', 'purity', 'cost', 'tests', 'differential'];

export function createGateSession(workspaceRoot: string, options: GateSessionOptions = {}): SpecwrightGateSession {
  const context = new GateContext(workspaceRoot, options);
  const factories: Record<SessionGateName, () => Gate> = {
    types: () => createTypesGate(() => context.types()),
    safety: () => createSafetyGate(),
    examples: () => createExamplesGate(context),
    properties: () => createPropertiesGate(context),
    purity: () => createPurityGate(context),
    cost: () => createCostGate(context),
    differential: () => createDifferentialGate(context),
    tests: () => createTestsGate(context),
  };
  const gates = ORDER.filter((name) => context.options.gates[name]).map((name) => factories[name]());
  let disposed = false;
  return {
    workspaceRoot,
    context,
    gates,
    async dispose() {
      if (disposed) return;
      disposed = true;
      await context.dispose();
    },
  };
}

/**
 * Runs the session's gates in order on one candidate. After a failed blocking gate the rest are marked skipped
 * (`ok: false, skipped: true`); a gate that throws fails with the error as its finding. Each verdict records `ms`.
 */
export async function runGates(session: GateSession, input: GateInput): Promise<GateVerdict[]> {
  const verdicts: GateVerdict[] = [];
  const context = (session as Partial<SpecwrightGateSession>).context;
  // the sandbox child starts (synchronously) before types and safety run, so it boots while they hold the thread;
  // it loads no candidate code before the first call
  const sandboxGates = session.gates.some((gate) => gate.name === 'examples' || gate.name === 'properties');
  context?.sandbox.beginScope(input, { prewarm: sandboxGates && input.spec.spec.exports.length > 0 });
  if (context?.options.gates.cost) prefetchRegexAnalysis(input.files, input.workspaceRoot);
  let blockedBy: GateName | undefined;
  let prepared = false;
  try {
    for (const gate of session.gates) {
      // Past the blocking gates: the children the purity and differential gates compare against start now, while
      // the examples and properties run (not earlier: a candidate that fails to type-check never needs them).
      if (context && !prepared && !gate.blocking && !blockedBy && !input.signal?.aborted) {
        prepared = true;
        preparePurity(context, input);
        prepareDifferential(context, input);
      }
      // A candidate that did not terminate has cost its one timeout: running more of it would only cost more.
      const hung = context?.sandbox.hungOn(input);
      if (blockedBy || hung || input.signal?.aborted) {
        verdicts.push({
          gate: gate.name,
          ok: false,
          skipped: true,
          findings: [
            {
              message: blockedBy
                ? `skipped: the blocking gate '${blockedBy}' failed`
                : hung
                  ? `skipped: the candidate did not terminate in the sandbox on ${hung}; fix that first`
                  : 'skipped: the run was cancelled',
            },
          ],
          ms: 0,
        });
        continue;
      }
      const started = performance.now();
      let verdict: GateVerdict;
      try {
        verdict = await gate.check(input);
      } catch (error) {
        verdict = { gate: gate.name, ok: false, findings: [{ message: `the ${gate.name} gate crashed: ${errorMessage(error)}` }] };
      }
      verdict.ms = Math.round(performance.now() - started);
      verdicts.push(verdict);
      if (!verdict.ok && gate.blocking) blockedBy = gate.name;
    }
  } finally {
    await context?.sandbox.endScope(input);
  }
  return verdicts;
}

export { formatFeedback, type FeedbackOptions } from '../feedback';
