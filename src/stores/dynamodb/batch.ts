import type { KeysAndAttributes, WriteRequest } from '@aws-sdk/client-dynamodb';
import type { Item } from './attributes.ts';
import { backOffMs, sleep } from './retry.ts';
import type { DynamoDBTransport } from './transport.ts';

// Unprocessed keys mean throttling or the 16 MB response limit: retry them with back-off,
// and give up after this many tries rather than loop for ever.
const ATTEMPTS = 8;

/**
 * Send `items` in requests of at most `size` (DynamoDB's limit per request), each chunk re-sent
 * with back-off until `send` answers that nothing is left unprocessed.
 */
async function untilProcessed<T>(
  items: readonly T[],
  size: number,
  send: (chunk: T[]) => Promise<T[] | undefined>,
): Promise<void> {
  const chunks: Array<Promise<void>> = [];
  for (let at = 0; at < items.length; at += size) {
    chunks.push(
      (async () => {
        let pending = items.slice(at, at + size);
        for (let attempt = 0; pending.length > 0; attempt++) {
          if (attempt === ATTEMPTS) {
            // Unprocessed keys after back-off are throttling: report them as such.
            throw Object.assign(
              new Error(`DynamoDB left ${pending.length} keys unprocessed after ${ATTEMPTS} attempts`),
              {
                name: 'ThrottlingException',
              },
            );
          }
          if (attempt > 0) await sleep(backOffMs(attempt, 50));
          pending = (await send(pending)) ?? [];
        }
      })(),
    );
  }
  await Promise.all(chunks);
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
  await untilProcessed(keys, 100, async (Keys) => {
    const output = await transport.send('BatchGetItem', {
      RequestItems: { [tableName]: { ...read, Keys, ConsistentRead: true } },
    });
    found.push(...(output.Responses?.[tableName] ?? []));
    return output.UnprocessedKeys?.[tableName]?.Keys;
  });
  return found;
}

/** Delete many items with `BatchWriteItem` (25 a request), re-sending unprocessed deletes. */
export async function batchDeleteItems(
  transport: DynamoDBTransport,
  tableName: string,
  keys: readonly Item[],
): Promise<void> {
  await untilProcessed(
    keys.map((Key): WriteRequest => ({ DeleteRequest: { Key } })),
    25,
    async (writes) =>
      (await transport.send('BatchWriteItem', { RequestItems: { [tableName]: writes } })).UnprocessedItems?.[
        tableName
      ],
  );
}
