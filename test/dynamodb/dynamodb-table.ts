import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { createIdempotencyTable, type DynamoDBLocal, startDynamoDBLocal } from './dynamodb-local.ts';

/** DynamoDB Local with one idempotency table, as a test file sees it once its hooks ran. */
export interface DynamoDBTable {
  local: DynamoDBLocal;
  client: DynamoDBClient;
  tableName: string;
}

/**
 * Start DynamoDB Local and create one table in the calling file's `beforeAll`, and stop it in
 * its `afterAll`. Call at the file's top level; read the fields inside tests and later hooks.
 * Tests use fresh keys, so they share the table.
 */
export function useDynamoDBTable(): DynamoDBTable {
  const table = {} as DynamoDBTable;
  beforeAll(async () => {
    table.local = await startDynamoDBLocal();
    table.client = table.local.client();
    table.tableName = await createIdempotencyTable(table.client);
  });
  afterAll(async () => {
    table.client?.destroy();
    await table.local?.stop();
  });
  return table;
}
