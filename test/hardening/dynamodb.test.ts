/**
 * Hardening on DynamoDBStore against DynamoDB Local: the model-based property tests, a scan of
 * every item for secrets, and foreign items under a real storage key.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageKey } from '../../src/hashing.ts';
import { encodeStoredResponse, PROBLEM_TYPES, withIdempotency } from '../../src/index.ts';
import { DynamoDBStore } from '../../src/stores/dynamodb/index.ts';
import {
  createIdempotencyTable,
  type DynamoDBLocal,
  startDynamoDBLocal,
} from '../dynamodb/dynamodb-local.ts';
import { newSecrets, secretsFound, sendSecrets } from './secrets.ts';
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

const utf8 = new TextEncoder();

function attributeBytes(value: AttributeValue): Uint8Array[] {
  if (value.S !== undefined) return [utf8.encode(value.S)];
  if (value.N !== undefined) return [utf8.encode(value.N)];
  if (value.B !== undefined) return [value.B];
  if (value.BOOL !== undefined) return [utf8.encode(String(value.BOOL))];
  return [utf8.encode(JSON.stringify(value))];
}

/** Every attribute name and value of every item in a table, as bytes. */
async function tableBytes(table: string): Promise<Uint8Array[]> {
  const { Items = [] } = await client.send(new ScanCommand({ TableName: table }));
  return Items.flatMap((item) =>
    Object.entries(item).flatMap(([name, value]) => [utf8.encode(name), ...attributeBytes(value)]),
  );
}

describe('what lands in DynamoDB', () => {
  it('holds no raw key, request body, Authorization, Cookie or Set-Cookie', async () => {
    const table = await createIdempotencyTable(client);
    const secrets = newSecrets();
    let inProgressScanned = false;
    await sendSecrets(new DynamoDBStore({ client, tableName: table }), secrets, {
      inspect: async () => {
        expect(await secretsFound(await tableBytes(table), secrets)).toEqual([]);
        inProgressScanned = true;
      },
    });
    const stored = await tableBytes(table);
    expect(stored.length).toBeGreaterThanOrEqual(10);
    expect(inProgressScanned).toBe(true);
    expect(await secretsFound(stored, secrets)).toEqual([]);
  });

  it('holds Set-Cookie only when storeSetCookie is on (the scan sees through the encoding)', async () => {
    const table = await createIdempotencyTable(client);
    const secrets = newSecrets();
    await sendSecrets(new DynamoDBStore({ client, tableName: table }), secrets, {
      storeSetCookie: true,
      inspect: async () => {},
    });
    expect(await secretsFound(await tableBytes(table), secrets)).toEqual(['setCookie']);
  });
});

describe('a foreign or corrupted item under a real storage key', () => {
  const fp = { S: 'a'.repeat(64) };
  const exp = () => ({ N: String(Date.now() + 60_000) });
  const response = encodeStoredResponse({ status: 200, headers: [['x', 'y']], body: new Uint8Array(10) });
  const cases: Array<[string, () => Record<string, AttributeValue>]> = [
    ['an item with only a key', () => ({})],
    ['an unknown state', () => ({ state: { S: 'weird' }, fp, exp: exp() })],
    ['an expiry that is text', () => ({ state: { S: 'in_progress' }, fp, exp: { S: 'soon' } })],
    ['a fingerprint that is not hex', () => ({ state: { S: 'in_progress' }, fp: { S: 'zz' }, exp: exp() })],
    ['a completed item without response', () => ({ state: { S: 'completed' }, fp, exp: exp() })],
    ['a response that is text', () => ({ state: { S: 'completed' }, fp, exp: exp(), res: { S: 'hello' } })],
    [
      'a truncated response',
      () => ({ state: { S: 'completed' }, fp, exp: exp(), res: { B: response.slice(0, 8) } }),
    ],
    [
      'a response flagged gzip that is not',
      () => ({ state: { S: 'completed' }, fp, exp: exp(), res: { B: response }, z: { BOOL: true } }),
    ],
  ];

  it.each(cases)('answers 503 without running the handler for %s', async (_, attributes) => {
    const store = new DynamoDBStore({ client, tableName });
    const idempotencyKey = crypto.randomUUID();
    const pk = { S: await storageKey('', '', idempotencyKey) };
    await client.send(new PutItemCommand({ TableName: tableName, Item: { ...attributes(), pk } }));
    let runs = 0;
    const serve = withIdempotency(async () => new Response(`run ${++runs}`), { store });
    const answer = await serve(
      new Request('https://api.example/pay', {
        method: 'POST',
        headers: { 'idempotency-key': idempotencyKey },
        body: 'x',
      }),
    );
    expect(answer.status).toBe(503);
    expect((await answer.json()).type).toBe(PROBLEM_TYPES.storeUnavailable);
    expect(runs).toBe(0);
  });
});
