export { requestDeadline, setRequestDeadline } from './deadline.ts';
export * from './errors.ts';
export { fingerprintRequest } from './fingerprint.ts';
export { MAX_KEY_LENGTH, parseIdempotencyKey } from './idempotency-key.ts';
export { type IdempotentOptions, idempotent } from './idempotent.ts';
export type { IdempotencyEvent, IdempotencyOptions } from './options.ts';
export { PROBLEM_TYPES } from './problem.ts';
export {
  assertRecord,
  CorruptRecordError,
  decodeStoredResponse,
  encodeStoredResponse,
} from './record-codec.ts';
export { type IdempotencyRecords, idempotencyRecords, type RecordRef } from './records.ts';
export type { ResultSerializer } from './serialize.ts';
export { MemoryStore, type MemoryStoreOptions } from './stores/memory.ts';
export type * from './types.ts';
export { type FetchHandler, type IdempotentHandler, withIdempotency } from './with-idempotency.ts';
