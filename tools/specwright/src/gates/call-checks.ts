/**
 * The checks the sandbox child makes around every call of the examples and properties gates: purity of `pure`
 * specs (arguments unchanged, no mutable object shared between results, the same answer twice) and the spec's
 * invariants. One place turns what the child saw into messages the model can act on.
 */
import type { ResolvedSpec } from '../types';
import type { CallChecks, CallOutcome } from './sandbox';

/** What to ask the child to check around a call of `exportName`, or undefined when nothing. */
export function callChecks(spec: ResolvedSpec, exportName: string): CallChecks | undefined {
  const purity = spec.spec.constraints?.pure === true;
  const invariants = (spec.spec.invariants ?? []).some((invariant) => invariant.export === exportName);
  return purity || invariants ? { ...(purity ? { purity } : {}), ...(invariants ? { invariants } : {}) } : undefined;
}

/** Problems the child reported around one call; `call` names it, e.g. `allocate(100, [1, 1])`. */
export function checkProblems(outcome: CallOutcome, call: string): string[] {
  if (outcome.kind !== 'returned' && outcome.kind !== 'threw') return [];
  const problems: string[] = [];
  const purity = outcome.purity;
  if (purity?.mutated) {
    problems.push(`${call} changed its argument at ${purity.mutated}; the spec is pure: never modify the arguments (copy them first)`);
  }
  if (purity?.shared) {
    problems.push(
      `${call} returned the same mutable object at ${purity.shared} on two calls; a caller changing its result would change every other caller's (return a fresh object per call, or freeze it)`,
    );
  }
  if (purity?.nondeterministic) {
    problems.push(`${call} returned a different value at ${purity.nondeterministic} when called again with the same arguments; the spec is pure: same input, same output`);
  }
  if (outcome.kind === 'returned') {
    for (const failure of outcome.invariants ?? []) {
      problems.push(`${call}: invariant "${failure.name}" ${failure.error ? `threw ${failure.error}` : 'does not hold'} for the result`);
    }
  }
  return problems;
}
