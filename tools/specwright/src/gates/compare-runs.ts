/**
 * Running the same inputs through two sandboxes and comparing what came back: the purity gate's second
 * locale/time zone run and the differential gate's reviewed-versus-new run share this.
 */
import type { CallOutcome, SandboxWorker } from './sandbox';
import { show } from './util';

/** The value with object keys sorted and -0 read as 0 (deeply): neither key order nor the sign of zero is behaviour JSON can carry. */
function sortedKeys(value: unknown, depth = 0): unknown {
  if (typeof value === 'number' && Object.is(value, -0)) return 0;
  if (depth > 40 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => sortedKeys(item, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) Object.defineProperty(out, key, { value: sortedKeys((value as Record<string, unknown>)[key], depth + 1), enumerable: true });
  return out;
}

/** What one call came to, as a comparable string: the value (-0 and NaN shown as such) or the error's name. */
export function outcomeKey(outcome: CallOutcome): string | undefined {
  switch (outcome.kind) {
    case 'returned':
      return outcome.unserializable !== undefined ? `unserializable ${outcome.unserializable}` : `returned ${show(sortedKeys(outcome.value), 100_000)}`;
    case 'threw':
      return `threw ${outcome.error.name ?? outcome.error.thrown ?? 'a value'}`;
    default:
      // timeouts, crashes, missing exports: the other gates report those; they are not a difference in behaviour
      return undefined;
  }
}

/** How an outcome reads in a finding. */
export function describeOutcome(outcome: CallOutcome): string {
  switch (outcome.kind) {
    case 'returned':
      return outcome.unserializable !== undefined ? `<${outcome.unserializable}>` : show(outcome.value, 160);
    case 'threw':
      return `throws ${outcome.error.name ?? 'a value'}${outcome.error.message ? ` ("${outcome.error.message.slice(0, 100)}")` : ''}`;
    default:
      return outcome.kind;
  }
}

export interface Disagreement {
  export: string;
  args: unknown[];
  first: CallOutcome;
  second: CallOutcome;
}

export function callText(name: string, args: readonly unknown[]): string {
  return `${name}(${args.map((a) => show(a, 80)).join(', ')})`;
}

/** Inputs compared per round: both sides get them in one message each. */
const COMPARE_BATCH = 32;

/**
 * Calls every input on both workers and returns where they disagree (at most `max`). Inputs are cloned by the
 * IPC channel, so a call on one side never sees what the other side did to its arguments. The inputs go in
 * rounds of one batch per side (the second side only gets the inputs the first answered); the comparison stops
 * after the round that found `max`.
 */
export async function compareRuns(
  first: SandboxWorker,
  second: SandboxWorker,
  calls: ReadonlyArray<{ export: string; args: unknown[] }>,
  options: { max?: number; signal?: AbortSignal } = {},
): Promise<Disagreement[]> {
  const max = options.max ?? 10;
  const found: Disagreement[] = [];
  for (let start = 0; start < calls.length; start += COMPARE_BATCH) {
    if (options.signal?.aborted || found.length >= max) break;
    const round = calls.slice(start, start + COMPARE_BATCH);
    const firstOutcomes = await first.callEach(round.map((call) => ({ name: call.export, args: call.args })));
    const answered = round.map((call, i) => ({ call, a: firstOutcomes[i]! })).filter(({ a }) => a !== undefined && outcomeKey(a) !== undefined);
    const secondOutcomes = await second.callEach(answered.map(({ call }) => ({ name: call.export, args: call.args })));
    for (const [i, { call, a }] of answered.entries()) {
      const b = secondOutcomes[i];
      if (!b) break;
      const keyB = outcomeKey(b);
      if (keyB === undefined || outcomeKey(a) === keyB) continue;
      found.push({ export: call.export, args: call.args, first: a, second: b });
      if (found.length >= max) break;
    }
  }
  return found;
}
