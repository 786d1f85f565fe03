import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { type IdempotencyStore, MemoryStore } from '../../src/index.ts';
import { DynamoDBStore } from '../../src/stores/dynamodb/index.ts';
import {
  createIdempotencyTable,
  type DynamoDBLocal,
  startDynamoDBLocal,
} from '../dynamodb/dynamodb-local.ts';

/** A store a Lambda test runs on: a name and a way to get a fresh store (after `beforeAll`). */
export interface LambdaStoreCase {
  name: string;
  store(): IdempotencyStore;
}

/**
 * The stores a Lambda test runs on: MemoryStore, and DynamoDBStore on the real DynamoDB Local,
 * started for the calling file (call at its top level) and stopped after it. Tests use a new
 * idempotency key each, so they can share the one table.
 */
export function lambdaStores(): LambdaStoreCase[] {
  let local: DynamoDBLocal | undefined;
  let client: DynamoDBClient | undefined;
  let tableName = '';
  beforeAll(async () => {
    local = await startDynamoDBLocal();
    client = local.client();
    tableName = await createIdempotencyTable(client);
  });
  afterAll(async () => {
    client?.destroy();
    await local?.stop();
  });
  return [
    { name: 'MemoryStore', store: () => new MemoryStore() },
    {
      name: 'DynamoDBStore on DynamoDB Local',
      store: () => {
        if (!client) throw new Error('DynamoDB Local is not running');
        return new DynamoDBStore({ client, tableName });
      },
    },
  ];
}
