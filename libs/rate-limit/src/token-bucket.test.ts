import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBucket, takeTokens } from './token-bucket';
import type { BucketConfig, BucketState } from './token-bucket.types';

const config: BucketConfig = { capacity: 10, refillPerSecond: 2 };

describe('createBucket', () => {
  it('starts full at the given time', () => {
    expect(createBucket(config, 1234)).toEqual({ tokens: 10, updatedAtMs: 1234 });
  });

  it('rejects an invalid config or time', () => {
    expect(() => createBucket({ capacity: 0, refillPerSecond: 1 }, 0)).toThrow(RangeError);
    expect(() => createBucket({ capacity: 1, refillPerSecond: 0 }, 0)).toThrow(RangeError);
    expect(() => createBucket(config, 1.5)).toThrow(RangeError);
  });
});

describe('takeTokens', () => {
  it('allows while tokens last, then rejects, without mutating the state', () => {
    let state = createBucket(config, 0);
    for (let i = 0; i < 10; i++) {
      const result = takeTokens(state, config, 0, 1);
      expect(result.allowed).toBe(true);
      expect(result.retryAfterMs).toBe(0);
      state = result.state;
    }
    const frozen: BucketState = Object.freeze({ ...state });
    const rejected = takeTokens(frozen, config, 0, 1);
    expect(rejected.allowed).toBe(false);
    expect(rejected.retryAfterMs).toBe(500); // 1 token at 2 tokens/s
    expect(rejected.state).toEqual({ tokens: 0, updatedAtMs: 0 });
    expect(frozen).toEqual({ tokens: 0, updatedAtMs: 0 });
  });

  it('refills continuously and caps at capacity', () => {
    const empty: BucketState = { tokens: 0, updatedAtMs: 1000 };
    expect(takeTokens(empty, config, 1250, 0).state.tokens).toBeCloseTo(0.5, 12);
    expect(takeTokens(empty, config, 3000, 4).allowed).toBe(true);
    expect(takeTokens(empty, config, 3000, 4).state).toEqual({ tokens: 0, updatedAtMs: 3000 });
    expect(takeTokens(empty, config, 1_000_000, 0).state.tokens).toBe(10);
    expect(takeTokens({ tokens: 99, updatedAtMs: 0 }, config, 0, 0).state.tokens).toBe(10);
  });

  it('a rejected request costs nothing', () => {
    const result = takeTokens({ tokens: 3, updatedAtMs: 0 }, config, 1000, 6);
    expect(result.allowed).toBe(false);
    expect(result.state).toEqual({ tokens: 5, updatedAtMs: 1000 });
    expect(result.retryAfterMs).toBe(500);
  });

  it('rounds the wait up to whole milliseconds and the retry then succeeds', () => {
    const thirds: BucketConfig = { capacity: 1, refillPerSecond: 3 };
    const first = takeTokens({ tokens: 0, updatedAtMs: 0 }, thirds, 0, 1);
    expect(first.retryAfterMs).toBe(334);
    expect(takeTokens(first.state, thirds, 333, 1).allowed).toBe(false);
    expect(takeTokens(first.state, thirds, 334, 1).allowed).toBe(true);
  });

  it('handles the clock going backwards: no refill, timestamp kept, lost time added to the wait', () => {
    const state: BucketState = { tokens: 0, updatedAtMs: 10_000 };
    const fast: BucketConfig = { capacity: 10, refillPerSecond: 10 };
    const result = takeTokens(state, fast, 9_500, 1);
    expect(result).toEqual({ allowed: false, state: { tokens: 0, updatedAtMs: 10_000 }, retryAfterMs: 600 });
    expect(takeTokens(result.state, fast, 10_099, 1).allowed).toBe(false);
    expect(takeTokens(result.state, fast, 10_100, 1).allowed).toBe(true);
    // Tokens that are there can still be spent while the clock is behind.
    const spend = takeTokens({ tokens: 5, updatedAtMs: 10_000 }, fast, 0, 2);
    expect(spend).toEqual({ allowed: true, state: { tokens: 3, updatedAtMs: 10_000 }, retryAfterMs: 0 });
  });

  it('a cost of zero is always allowed and refreshes the timestamp', () => {
    const result = takeTokens({ tokens: 0, updatedAtMs: 0 }, config, 100, 0);
    expect(result.allowed).toBe(true);
    expect(result.state.updatedAtMs).toBe(100);
  });

  it('throws RangeError for a cost above capacity and for invalid arguments', () => {
    const state = createBucket(config, 0);
    expect(() => takeTokens(state, config, 0, 11)).toThrow(RangeError);
    expect(() => takeTokens(state, config, 0, -1)).toThrow(RangeError);
    expect(() => takeTokens(state, config, Number.NaN, 1)).toThrow(RangeError);
    expect(() => takeTokens({ tokens: -1, updatedAtMs: 0 }, config, 0, 1)).toThrow(RangeError);
    expect(() => takeTokens(state, { capacity: 10, refillPerSecond: -1 }, 0, 1)).toThrow(RangeError);
  });

  it('retryAfterMs is exactly the smallest wait that succeeds (property)', () => {
    const arbitraryConfig = fc.record({
      capacity: fc.integer({ min: 1, max: 1000 }),
      refillPerSecond: fc.double({ min: 0.001, max: 1000, noNaN: true }),
    });
    fc.assert(
      fc.property(
        arbitraryConfig,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 1e12 }),
        fc.integer({ min: -5000, max: 5000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (cfg, fill, updatedAtMs, skew, costFraction) => {
          const state = { tokens: fill * cfg.capacity, updatedAtMs };
          const cost = Math.max(1, Math.floor(costFraction * cfg.capacity));
          const now = Math.max(0, updatedAtMs + skew);
          const result = takeTokens(state, cfg, now, cost);
          expect(result.state.tokens).toBeGreaterThanOrEqual(0);
          expect(result.state.tokens).toBeLessThanOrEqual(cfg.capacity);
          expect(result.state.updatedAtMs).toBe(Math.max(now, updatedAtMs));
          if (result.allowed) {
            expect(result.retryAfterMs).toBe(0);
          } else {
            expect(Number.isInteger(result.retryAfterMs) && result.retryAfterMs > 0).toBe(true);
            expect(takeTokens(result.state, cfg, now + result.retryAfterMs, cost).allowed).toBe(true);
            expect(takeTokens(result.state, cfg, now + result.retryAfterMs - 1, cost).allowed).toBe(false);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
