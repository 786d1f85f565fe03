import { IdempotencyStoreError } from './errors.ts';
import { assertRecord, CorruptRecordError } from './record-codec.ts';
import type { BeginInput, BeginResult, IdempotencyRecord, IdempotencyStore } from './types.ts';

/**
 * Run one store operation so that whatever goes wrong comes out as an IdempotencyStoreError:
 * a custom store that throws a plain error, or a record that fails validation.
 */
export async function callStore<T>(
  store: IdempotencyStore,
  operation: string,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw storeError(store, operation, error);
  }
}

/** What a failed store operation throws: the error itself if it is already a store error. */
function storeError(store: IdempotencyStore, operation: string, error: unknown): IdempotencyStoreError {
  if (error instanceof IdempotencyStoreError) return error;
  const reason =
    error instanceof CorruptRecordError ? `returned a corrupt record (${error.message})` : 'failed';
  return new IdempotencyStoreError(store.name, `${operation} ${reason}`, { cause: error });
}

/**
 * `store.begin`, with the returned record validated. Written out rather than through
 * {@link callStore}: every guarded request takes this step, and on a replay in Node the extra
 * async frame is a measurable part of it.
 */
export async function beginRecord(store: IdempotencyStore, input: BeginInput): Promise<BeginResult> {
  try {
    const result = await store.begin(input);
    if (!result.acquired) assertRecord(result.record);
    return result;
  } catch (error) {
    throw storeError(store, 'begin', error);
  }
}

/** `store.get`, with the returned record validated. */
export function getRecord(store: IdempotencyStore, key: string): Promise<IdempotencyRecord | null> {
  return callStore(store, 'get', async () => {
    const record = await store.get(key);
    if (record !== null) assertRecord(record);
    return record;
  });
}
