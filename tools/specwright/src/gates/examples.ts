/**
 * The examples gate: runs every example of the spec against the candidate in the sandbox and compares with `expect`
 * (deep, JSON semantics) or checks the error named in `throws`; every returned value is also validated against the
 * export's resolved `returns` contract with ajv.
 */
import type { Example, Finding, GateVerdict } from '../types';
import { callChecks, checkProblems } from './call-checks';
import type { Gate, GateInput } from './gate';
import { type GateContext, describeThrown, errorMatches, returnsContract } from './context';
import type { CallOutcome } from './sandbox';
import { formatSchemaErrors } from './schema-validator';
import { errorMessage, jsonEqual, show } from './util';

function optional<T>(checks: T | undefined): { checks?: T } {
  return checks === undefined ? {} : { checks };
}

function callText(example: Example): string {
  return `${example.export}(${example.args.map((a) => show(a, 120)).join(', ')})`;
}

export function createExamplesGate(context: GateContext): Gate {
  return {
    name: 'examples',
    blocking: false,
    async check(input: GateInput): Promise<GateVerdict> {
      const examples = input.spec.spec.examples ?? [];
      if (examples.length === 0) return { gate: 'examples', ok: true, findings: [] };
      const findings: Finding[] = [];
      await context.sandbox.use(input, async (worker) => {
        const runnable = examples.filter((example) => input.spec.spec.exports.some((e) => e.name === example.export));
        // all examples in one message (a fresh batch after a crash); the outcomes stop at the first timeout
        const outcomes = input.signal?.aborted
          ? []
          : await worker.callEach(
              runnable.map((example) => ({ name: example.export, args: example.args, ...optional(callChecks(input.spec, example.export)) })),
              { stopAtTimeout: true },
            );
        let ran = 0;
        for (const [index, example] of examples.entries()) {
          const label = `example #${index + 1} ${callText(example)}`;
          const exported = input.spec.spec.exports.find((e) => e.name === example.export);
          if (!exported) {
            findings.push({ message: `${label}: the spec has no export '${example.export}' (fix the spec's example)` });
            continue;
          }
          const outcome = outcomes[ran++];
          if (!outcome) break; // cancelled
          const judged = judge(context, input, example, label, outcome);
          findings.push(...judged);
          if (outcome.kind === 'timeout') {
            // One timeout per attempt: a candidate that hangs once is rejected now, not once per example.
            context.sandbox.markHung(input, `${callText(example)} (examples)`);
            const left = examples.length - index - 1;
            if (left > 0) findings.push({ message: `${left} later example(s) not run: the candidate did not terminate on ${callText(example)}; fix that first` });
            break;
          }
          // Invariants and purity speak about a call that was otherwise right: one problem at a time.
          if (judged.length === 0) findings.push(...checkProblems(outcome, label).map((message) => ({ message })));
        }
      });
      return { gate: 'examples', ok: findings.length === 0, findings };
    },
  };
}

function judge(context: GateContext, input: GateInput, example: Example, label: string, outcome: CallOutcome): Finding[] {
  switch (outcome.kind) {
    case 'timeout':
      return [{ message: `${label}: timed out after ${outcome.ms} ms on input ${show(example.args)} (infinite loop?); the sandbox was killed` }];
    case 'crashed':
    case 'missing':
      return [{ message: `${label}: ${outcome.message}` }];
    case 'threw': {
      if (example.throws !== undefined) {
        if (errorMatches(outcome.error, [example.throws])) return [];
        return [{ message: `${label}: expected to throw ${example.throws}, threw ${describeThrown(outcome.error)}` }];
      }
      return [{ message: `${label}: expected ${show(example.expect)}, threw ${describeThrown(outcome.error)}` }];
    }
    case 'returned': {
      const findings: Finding[] = [];
      const actual = outcome.unserializable !== undefined ? `<${outcome.unserializable}>` : show(outcome.value);
      if (outcome.unserializable !== undefined) {
        findings.push({ message: `${label}: returned a value that is not JSON data: ${outcome.unserializable}` });
        return findings;
      }
      if (example.throws !== undefined) {
        findings.push({ message: `${label}: expected to throw ${example.throws}, returned ${actual}` });
      } else if (!jsonEqual(outcome.value, example.expect)) {
        findings.push({ message: `${label}: expected ${show(example.expect)}, got ${actual}` });
      }
      const exported = input.spec.spec.exports.find((e) => e.name === example.export)!;
      try {
        const result = context.validator.validate(returnsContract(input.spec, exported), outcome.value);
        if (!result.ok) {
          findings.push({ message: `${label}: returned ${actual}, which violates the ${exported.name}.returns contract: ${formatSchemaErrors(result.errors)}` });
        }
      } catch (error) {
        findings.push({ message: `${label}: the ${exported.name}.returns contract does not compile (${errorMessage(error)}); fix the spec` });
      }
      return findings;
    }
  }
}
