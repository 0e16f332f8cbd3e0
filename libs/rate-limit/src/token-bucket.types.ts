/**
 * Hand-written contract types for the token-bucket spec. Its contracts refer to these by name; the JSDoc tags
 * (`@asType`, `@minimum`, `@maximum`) become part of the JSON Schema the generated code is checked against.
 */

/** What the caller stores between requests. */
export interface BucketState {
  /**
   * Tokens available at `updatedAtMs`; may be fractional.
   * @minimum 0
   * @maximum 1000000
   */
  tokens: number;
  /**
   * Epoch milliseconds of the last update.
   * @asType integer
   * @minimum 0
   * @maximum 8640000000000000
   */
  updatedAtMs: number;
}

/** The limit: a burst of `capacity` requests, then `refillPerSecond` per second. */
export interface BucketConfig {
  /**
   * Most tokens the bucket holds; a new bucket starts full.
   * @asType integer
   * @minimum 1
   * @maximum 1000000
   */
  capacity: number;
  /**
   * Tokens added per second, continuously.
   * @minimum 0.001
   * @maximum 1000000
   */
  refillPerSecond: number;
}

/** The outcome of one `takeTokens` call. */
export interface TakeResult {
  /** Whether the tokens were taken. */
  allowed: boolean;
  /** The state to store for the next call. */
  state: BucketState;
  /**
   * 0 when allowed; otherwise the smallest whole number of milliseconds after which the same request succeeds.
   * @asType integer
   * @minimum 0
   * @maximum 9007199254740991
   */
  retryAfterMs: number;
}
