import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDBStore } from '../../src/stores/dynamodb/index.ts';
import { describeStoreContract } from '../conformance/store-contract.ts';
import { freePort } from '../helpers/free-port.ts';
import { dynamoDBSidesForFile } from './dynamodb-table.ts';
import { leanOptions, TRANSPORTS } from './transports.ts';

const dynamodb = dynamoDBSidesForFile();

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
  describeStoreContract(
    `dynamodb (${name})`,
    () => dynamodb.sides[name].store({ tableName: dynamodb.tableName }),
    {
      roundTrips: () => dynamodb.sides[name].roundTrips(),
      makeUnreachableStore: unreachableStore[name],
    },
  );
}

// The same contract through a DynamoDBDocumentClient: its failed-put item comes back raw too.
describeStoreContract(
  'dynamodb (sdk) via DynamoDBDocumentClient',
  () =>
    new DynamoDBStore({
      client: DynamoDBDocumentClient.from(dynamodb.sides.sdk.client as never),
      tableName: dynamodb.tableName,
    }),
  { roundTrips: () => dynamodb.sides.sdk.roundTrips(), makeUnreachableStore: unreachableStore.sdk },
);
