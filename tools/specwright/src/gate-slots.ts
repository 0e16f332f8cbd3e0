import pLimit from 'p-limit';
import { availableParallelism } from 'node:os';
import type { GateRunner } from './generate';

/**
 * Generation's gate slots: how many candidates go through the gates at once, twice the machine's CPU count unless
 * given. The gates are this machine's CPU work (the type checker, the sandbox children, a vitest per candidate), so
 * only a few candidates are gated at once and the rest wait in line, while their specs' model requests, which cost
 * no CPU here, go on (see src/providers/request-limit.ts). Two per core, not one: a gate run also waits (for its
 * children to start, for files); measured at 80 candidates on 2 cores (5 s model latency), 4 at once finished in
 * 59.0 s where 2 took 63.5 s (8: 60.0 s, every candidate's gates slower). verify-spec does not use it: there a spec's gates wait for
 * its project's one batched vitest run, and its own `concurrency` already bounds the specs in flight.
 */
export function limitGateRuns(gates: GateRunner, slots = 2 * availableParallelism()): GateRunner {
  const limit = pLimit(Math.max(1, Math.floor(slots)));
  return (input) => limit(() => gates(input));
}
