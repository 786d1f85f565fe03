import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { DynamoDBStore } from '../../src/stores/dynamodb/index.ts';
import { describeStoreContract } from '../conformance/store-contract.ts';
import { freePort } from '../helpers/free-port.ts';
import { createIdempotencyTable, type DynamoDBLocal, startDynamoDBLocal } from './dynamodb-local.ts';
import {
  leanOptions,
  TRANSPORTS,
  type TransportName,
  type TransportSide,
  transportSide,
} from './transports.ts';

let local: DynamoDBLocal;
let tableName: string;
const sides = {} as Record<TransportName, TransportSide>;

beforeAll(async () => {
  local = await startDynamoDBLocal();
  const client = local.client();
  tableName = await createIdempotencyTable(client);
  client.destroy();
  for (const name of TRANSPORTS) sides[name] = await transportSide(name, local);
});

afterAll(async () => {
  await Promise.all(Object.values(sides).map((side) => side.close()));
  await local?.stop();
});

const unreachableStore = {
  sdk: async () => {
    const port = await freePort();
    const closed = new (await import('@aws-sdk/client-dynamodb')).DynamoDBClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    return new DynamoDBStore({ client: closed, tableName: 'unreachable' });
  },
  lean: async () =>
    new DynamoDBStore({
      tableName: 'unreachable',
      ...leanOptions(`http://127.0.0.1:${await freePort()}`),
      maxAttempts: 1,
    }),
};

for (const name of TRANSPORTS) {
  describeStoreContract(`dynamodb (${name})`, () => sides[name].store({ tableName }), {
    roundTrips: () => sides[name].roundTrips(),
    makeUnreachableStore: unreachableStore[name],
  });
}

// The same contract through a DynamoDBDocumentClient: its failed-put item comes back raw too.
describeStoreContract(
  'dynamodb (sdk) via DynamoDBDocumentClient',
  () => new DynamoDBStore({ client: DynamoDBDocumentClient.from(sides.sdk.client as never), tableName }),
  { roundTrips: () => sides.sdk.roundTrips(), makeUnreachableStore: unreachableStore.sdk },
);
