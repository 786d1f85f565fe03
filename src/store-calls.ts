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
    if (error instanceof IdempotencyStoreError) throw error;
    const reason =
      error instanceof CorruptRecordError ? `returned a corrupt record (${error.message})` : 'failed';
    throw new IdempotencyStoreError(store.name, `${operation} ${reason}`, { cause: error });
  }
}

/** `store.begin`, with the returned record validated. */
export function beginRecord(store: IdempotencyStore, input: BeginInput): Promise<BeginResult> {
  return callStore(store, 'begin', async () => {
    const result = await store.begin(input);
    if (!result.acquired) assertRecord(result.record);
    return result;
  });
}

/** `store.get`, with the returned record validated. */
export function getRecord(store: IdempotencyStore, key: string): Promise<IdempotencyRecord | null> {
  return callStore(store, 'get', async () => {
    const record = await store.get(key);
    if (record !== null) assertRecord(record);
    return record;
  });
}
