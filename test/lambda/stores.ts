import { type IdempotencyStore, MemoryStore } from '../../src/index.ts';
import { DynamoDBStore } from '../../src/stores/dynamodb/index.ts';
import { dynamoDBTableForFile } from '../dynamodb/dynamodb-table.ts';

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
  const dynamodb = dynamoDBTableForFile();
  return [
    { name: 'MemoryStore', store: () => new MemoryStore() },
    {
      name: 'DynamoDBStore on DynamoDB Local',
      store: () => {
        if (!dynamodb.client) throw new Error('DynamoDB Local is not running');
        return new DynamoDBStore({ client: dynamodb.client, tableName: dynamodb.tableName });
      },
    },
  ];
}
