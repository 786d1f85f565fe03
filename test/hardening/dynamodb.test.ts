/** Hardening on DynamoDBStore against DynamoDB Local. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { DynamoDBStore } from '../../src/stores/dynamodb/index.ts';
import {
  createIdempotencyTable,
  type DynamoDBLocal,
  startDynamoDBLocal,
} from '../dynamodb/dynamodb-local.ts';
import { checkStoreAgainstModel } from './store-model.ts';
import { checkWrapperAgainstModel } from './wrapper-model.ts';

let local: DynamoDBLocal;
let client: DynamoDBClient;
let tableName: string;
beforeAll(async () => {
  local = await startDynamoDBLocal();
  client = local.client();
  tableName = await createIdempotencyTable(client);
});
afterAll(async () => {
  client?.destroy();
  await local?.stop();
});

describe('DynamoDBStore against the model', () => {
  it('agrees with the model after every step of random schedules', async () => {
    await checkStoreAgainstModel(() => new DynamoDBStore({ client, tableName }));
  });

  it('runs the handler once per key through the wrapper, and replays or rejects every duplicate', async () => {
    await checkWrapperAgainstModel(() => new DynamoDBStore({ client, tableName }));
  });
});
