import { storageKey } from './hashing.ts';
import { parseIdempotencyKey } from './idempotency-key.ts';
import { callStore, getRecord } from './store-calls.ts';
import type { IdempotencyRecord, IdempotencyStore } from './types.ts';

/** A record as the wrapper addressed it: the client's key and the scope it was used under. */
export interface RecordRef {
  /** The `Idempotency-Key` header value (token or sf-string form). */
  key: string;
  /** What the wrapper's `scope` returned: by default the request's `Authorization` header, or `''`. */
  scope?: string;
}

/** Operator access to records, e.g. to clear a key stuck behind a failed run. */
export interface IdempotencyRecords {
  get(ref: RecordRef): Promise<IdempotencyRecord | null>;
  delete(ref: RecordRef): Promise<boolean>;
  getMany(refs: readonly RecordRef[]): Promise<Array<IdempotencyRecord | null>>;
  deleteMany(refs: readonly RecordRef[]): Promise<number>;
}

/**
 * Look up and delete records by the same (scope, key) the wrapper used; pass the same
 * `prefix` as the wrapper. Raw keys are hashed here exactly as the wrapper hashes them.
 */
export function idempotencyRecords(options: {
  store: IdempotencyStore;
  prefix?: string;
}): IdempotencyRecords {
  const { store, prefix = '' } = options;
  const keyOf = (ref: RecordRef) => storageKey(prefix, ref.scope ?? '', parseIdempotencyKey(ref.key));
  const keysOf = (refs: readonly RecordRef[]) => Promise.all(refs.map(keyOf));
  return {
    get: async (ref) => getRecord(store, await keyOf(ref)),
    delete: async (ref) => {
      const key = await keyOf(ref);
      return callStore(store, 'delete', () => store.delete(key));
    },
    getMany: async (refs) => {
      const keys = await keysOf(refs);
      return callStore(store, 'getMany', () => store.getMany(keys));
    },
    deleteMany: async (refs) => {
      const keys = await keysOf(refs);
      return callStore(store, 'deleteMany', () => store.deleteMany(keys));
    },
  };
}
