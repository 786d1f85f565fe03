import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { createIdempotencyTable, type DynamoDBLocal, startDynamoDBLocal } from './dynamodb-local.ts';
import { TRANSPORTS, type TransportName, type TransportSide, transportSide } from './transports.ts';

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
export function dynamoDBTableForFile(): DynamoDBTable {
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

/** One table on DynamoDB Local, reached through each transport. */
export interface DynamoDBSides {
  tableName: string;
  sides: Record<TransportName, TransportSide>;
}

/**
 * Start DynamoDB Local with one table and a side per transport (SDK client, lean) in the
 * calling file's `beforeAll`; close them in its `afterAll`. Call at the file's top level.
 */
export function dynamoDBSidesForFile(): DynamoDBSides {
  const state = { sides: {} } as DynamoDBSides & { local?: DynamoDBLocal };
  beforeAll(async () => {
    state.local = await startDynamoDBLocal();
    const client = state.local.client();
    state.tableName = await createIdempotencyTable(client);
    client.destroy();
    for (const name of TRANSPORTS) state.sides[name] = await transportSide(name, state.local);
  });
  afterAll(async () => {
    await Promise.all(Object.values(state.sides).map((side) => side.close()));
    await state.local?.stop();
  });
  return state;
}
