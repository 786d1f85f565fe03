import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { DynamoDBStore } from '../../src/stores/dynamodb/index.ts';
import { describeStoreContract } from '../conformance/store-contract.ts';
import { freePort } from '../helpers/free-port.ts';
import { type CallCounter, countCalls } from './count-calls.ts';
import { createIdempotencyTable, type DynamoDBLocal, startDynamoDBLocal } from './dynamodb-local.ts';

let local: DynamoDBLocal;
let client: DynamoDBClient;
let counter: CallCounter;
let tableName: string;

beforeAll(async () => {
  local = await startDynamoDBLocal();
  client = local.client();
  counter = countCalls(client);
  tableName = await createIdempotencyTable(client);
});

afterAll(async () => {
  client?.destroy();
  await local?.stop();
});

const unreachableStore = async () => {
  const port = await freePort();
  const closed = new (await import('@aws-sdk/client-dynamodb')).DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return new DynamoDBStore({ client: closed, tableName: 'unreachable' });
};

describeStoreContract('dynamodb', () => new DynamoDBStore({ client, tableName }), {
  roundTrips: () => counter.total,
  makeUnreachableStore: unreachableStore,
});

// The same contract through a DynamoDBDocumentClient: its failed-put item comes back raw too.
describeStoreContract(
  'dynamodb via DynamoDBDocumentClient',
  () => new DynamoDBStore({ client: DynamoDBDocumentClient.from(client), tableName }),
  { roundTrips: () => counter.total, makeUnreachableStore: unreachableStore },
);
