import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { DynamoDBStore } from '../../src/stores/dynamodb/index.ts';
import { describeWrapperRules } from '../conformance/wrapper-rules.ts';
import { createIdempotencyTable, type DynamoDBLocal, startDynamoDBLocal } from './dynamodb-local.ts';

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

describeWrapperRules('dynamodb', () => new DynamoDBStore({ client, tableName }));
