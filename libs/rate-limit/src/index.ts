export { createBucket, takeTokens } from './token-bucket';
export type { BucketConfig, BucketState, TakeResult } from './token-bucket.types';
