export * from './errors.ts';
export { assertRecord, CorruptRecordError, decodeStoredResponse, encodeStoredResponse } from './record-codec.ts';
export { MemoryStore, type MemoryStoreOptions } from './stores/memory.ts';
export type * from './types.ts';
