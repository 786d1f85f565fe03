import { functionKey, storageKey } from './hashing.ts';
import { parseIdempotencyKey } from './idempotency-key.ts';
import { callStore, getRecord } from './store-calls.ts';
import type { IdempotencyRecord, IdempotencyStore } from './types.ts';

/**
 * A record as its guard addressed it: for `withIdempotency`, the client's key and the scope it
 * was used under; for `idempotent(fn)`, the function's name and the key of the call (what its
 * `key` option answered, or `argumentsKey(args)` for the default key).
 */
export type RecordRef =
  | {
      /** The `Idempotency-Key` header value (token or sf-string form). */
      key: string;
      /**
       * What the wrapper's `scope` returned; by default `defaultScope(request)`: the verified
       * principal, else the `Authorization` header, else `''`.
       */
      scope?: string;
      function?: undefined;
    }
  | {
      /** The `name` given to `idempotent(fn)`, or the function's own name. */
      function: string;
      /** The call's key. */
      key: string;
    };

/** Operator access to records, e.g. to clear a key stuck behind a failed run. */
export interface IdempotencyRecords {
  get(ref: RecordRef): Promise<IdempotencyRecord | null>;
  delete(ref: RecordRef): Promise<boolean>;
  getMany(refs: readonly RecordRef[]): Promise<Array<IdempotencyRecord | null>>;
  deleteMany(refs: readonly RecordRef[]): Promise<number>;
}

/**
 * Look up and delete records by the same (scope, key) the wrapper used, or the same
 * (function, key) `idempotent(fn)` used; pass the same `prefix` as the guard. Raw keys are hashed here exactly as the wrapper hashes them.
 */
export function idempotencyRecords(options: {
  store: IdempotencyStore;
  prefix?: string;
}): IdempotencyRecords {
  const { store, prefix = '' } = options;
  const keyOf = (ref: RecordRef) =>
    ref.function !== undefined
      ? functionKey(prefix, ref.function, ref.key)
      : storageKey(prefix, ref.scope ?? '', parseIdempotencyKey(ref.key));
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
