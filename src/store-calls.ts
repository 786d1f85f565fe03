import { IdempotencyStoreError } from './errors.ts';
import { assertRecord, CorruptRecordError } from './record-codec.ts';
import type { BeginResult, IdempotencyRecord, IdempotencyStore } from './types.ts';

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
export function storeError(
  store: IdempotencyStore,
  operation: string,
  error: unknown,
): IdempotencyStoreError {
  if (error instanceof IdempotencyStoreError) return error;
  const reason =
    error instanceof CorruptRecordError ? `returned a corrupt record (${error.message})` : 'failed';
  return new IdempotencyStoreError(store.name, `${operation} ${reason}`, { cause: error });
}

/** What `store.begin` answered, its record validated (a corrupt one throws `CorruptRecordError`). */
export function checkedBegin(result: BeginResult): BeginResult {
  if (!result.acquired) assertRecord(result.record);
  return result;
}

/** `store.get`, with the returned record validated. */
export function getRecord(store: IdempotencyStore, key: string): Promise<IdempotencyRecord | null> {
  return callStore(store, 'get', async () => {
    const record = await store.get(key);
    if (record !== null) assertRecord(record);
    return record;
  });
}
