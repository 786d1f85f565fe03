import type { KeysAndAttributes, WriteRequest } from '@aws-sdk/client-dynamodb';
import type { Item } from './attributes.ts';
import { backOffMs, sleep } from './retry.ts';
import type { DynamoDBTransport } from './transport.ts';

// DynamoDB's own limits per request.
const GET_BATCH = 100;
const WRITE_BATCH = 25;
// Unprocessed keys mean throttling or the 16 MB response limit: retry them with back-off,
// and give up after this many tries rather than loop for ever.
const ATTEMPTS = 8;

const backOff = (attempt: number) => sleep(backOffMs(attempt, 50));

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let at = 0; at < items.length; at += size) out.push(items.slice(at, at + size));
  return out;
}

/**
 * Read many items with `BatchGetItem` (100 keys a request, strongly consistent), re-asking for
 * the keys DynamoDB left unprocessed. Answers the items found, in no particular order.
 */
export async function batchGetItems(
  transport: DynamoDBTransport,
  tableName: string,
  keys: readonly Item[],
  read: Omit<KeysAndAttributes, 'Keys'> = {},
): Promise<Item[]> {
  const found: Item[] = [];
  await Promise.all(
    chunks(keys, GET_BATCH).map(async (chunk) => {
      let pending: Item[] = chunk;
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt === ATTEMPTS) throw unprocessed(pending.length);
        if (attempt > 0) await backOff(attempt);
        const output = await transport.send('BatchGetItem', {
          RequestItems: { [tableName]: { ...read, Keys: pending, ConsistentRead: true } },
        });
        found.push(...(output.Responses?.[tableName] ?? []));
        pending = output.UnprocessedKeys?.[tableName]?.Keys ?? [];
      }
    }),
  );
  return found;
}

/** Delete many items with `BatchWriteItem` (25 a request), re-sending unprocessed deletes. */
export async function batchDeleteItems(
  transport: DynamoDBTransport,
  tableName: string,
  keys: readonly Item[],
): Promise<void> {
  await Promise.all(
    chunks(keys, WRITE_BATCH).map(async (chunk) => {
      let pending: WriteRequest[] = chunk.map((Key) => ({ DeleteRequest: { Key } }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt === ATTEMPTS) throw unprocessed(pending.length);
        if (attempt > 0) await backOff(attempt);
        const output = await transport.send('BatchWriteItem', { RequestItems: { [tableName]: pending } });
        pending = output.UnprocessedItems?.[tableName] ?? [];
      }
    }),
  );
}

function unprocessed(count: number): Error {
  const error = new Error(`DynamoDB left ${count} keys unprocessed after ${ATTEMPTS} attempts`);
  // Unprocessed keys after back-off are throttling: report them as such.
  error.name = 'ThrottlingException';
  return error;
}
