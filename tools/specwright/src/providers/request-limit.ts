import pLimit from 'p-limit';
import type { ModelAnswer, ModelRequest, Provider } from './provider';

/**
 * At most `maxInFlight` model requests at a time, whoever sends them. This, not the number of specs being worked on,
 * is what `concurrency` bounds: a spec gives its request slot back as soon as its answer arrives, so while its
 * candidate goes through the gates (CPU work on this machine) the next specs' requests are already out. A request
 * waits in line (first come, first served) before its deadline starts, and one aborted while waiting never goes out.
 */
export function limitRequests(provider: Provider, maxInFlight: number): Provider {
  const limit = pLimit(Math.max(1, Math.floor(maxInFlight)));
  return {
    name: provider.name,
    complete: (request: ModelRequest): Promise<ModelAnswer> => {
      const queued = Date.now();
      return limit(async () => {
        request.signal?.throwIfAborted();
        const queuedMs = Date.now() - queued;
        return { ...(await provider.complete(request)), ...(queuedMs > 0 ? { queuedMs } : {}) };
      });
    },
    ...(provider.settle ? { settle: provider.settle.bind(provider) } : {}),
  };
}
