/**
 * Hardening on DynamoDBStore against DynamoDB Local, on both transports (an SDK client, and
 * the lean one without the SDK): the model-based property tests, a scan of every item for
 * secrets, foreign items under a real storage key, and the fault tables.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageKey } from '../../src/hashing.ts';
import { PROBLEM_TYPES, withIdempotency } from '../../src/index.ts';
import { encodeStoredResponse } from '../../src/record-codec.ts';
import { DynamoDBStore } from '../../src/stores/dynamodb/index.ts';
import {
  createIdempotencyTable,
  type DynamoDBLocal,
  startDynamoDBLocal,
} from '../dynamodb/dynamodb-local.ts';
import {
  leanOptions,
  type StoreOptions,
  TRANSPORTS,
  type TransportName,
  type TransportSide,
  transportSide,
} from '../dynamodb/transports.ts';
import { startFaultProxy } from './fault-proxy.ts';
import { BUDGET_MS, runFaultTable, SLOW_MS, type Step } from './fault-scenarios.ts';
import { newSecrets, secretsFound, sendSecrets } from './secrets.ts';
import { checkStoreAgainstModel } from './store-model.ts';
import { checkWrapperAgainstModel, checkWrapperLeaseExpiry } from './wrapper-model.ts';

let local: DynamoDBLocal;
let client: DynamoDBClient;
let tableName: string;
const sides = {} as Record<TransportName, TransportSide>;
beforeAll(async () => {
  local = await startDynamoDBLocal();
  client = local.client();
  tableName = await createIdempotencyTable(client);
  for (const name of TRANSPORTS) sides[name] = await transportSide(name, local);
});
afterAll(async () => {
  await Promise.all(Object.values(sides).map((side) => side.close()));
  client?.destroy();
  await local?.stop();
});

const storeOn = (transport: TransportName, options: StoreOptions = { tableName }) =>
  sides[transport].store(options);

describe.each(TRANSPORTS)('DynamoDBStore (%s) against the model', (transport) => {
  it('agrees with the model after every step of random schedules', async () => {
    await checkStoreAgainstModel(() => storeOn(transport));
  });

  it('runs the handler once per key through the wrapper, and replays or rejects every duplicate', async () => {
    await checkWrapperAgainstModel(() => storeOn(transport));
  });

  it('runs the handler at most once per lease when a run outlives its lease', async () => {
    await checkWrapperLeaseExpiry(() => storeOn(transport));
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

describe.each(TRANSPORTS)('what lands in DynamoDB (%s)', (transport) => {
  it('holds no raw key, request body, Authorization, Cookie or Set-Cookie', async () => {
    const table = await createIdempotencyTable(client);
    const secrets = newSecrets();
    let inProgressScanned = false;
    await sendSecrets(storeOn(transport, { tableName: table }), secrets, {
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
    await sendSecrets(storeOn(transport, { tableName: table }), secrets, {
      storeSetCookie: true,
      inspect: async () => {},
    });
    expect(await secretsFound(await tableBytes(table), secrets)).toEqual(['setCookie']);
  });
});

describe.each(TRANSPORTS)('a foreign or corrupted item under a real storage key (%s)', (transport) => {
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
    const store = storeOn(transport);
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

describe('faults on every store step (a fault proxy in front of DynamoDB Local)', () => {
  const operation: Record<Step, string> = {
    begin: 'PutItem',
    'replay read': 'PutItem',
    complete: 'UpdateItem',
    release: 'DeleteItem',
  };
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    await Promise.all(cleanup.map((close) => close()));
  });

  const faultTable = async (transport: TransportName, maxAttempts: number | undefined) => {
    const proxy = await startFaultProxy(local.endpoint);
    let store: DynamoDBStore;
    if (transport === 'sdk') {
      // The budget of a DynamoDB call is the SDK's request timeout and its retries. Without
      // throwOnRequestTimeout the SDK only logs a warning when requestTimeout passes, and waits on.
      const proxied = local.client({
        endpoint: proxy.url,
        requestHandler: { requestTimeout: BUDGET_MS, throwOnRequestTimeout: true },
        maxAttempts,
      });
      cleanup.push(async () => proxied.destroy());
      store = new DynamoDBStore({ client: proxied, tableName });
    } else {
      // The same per-attempt budget: the lean transport gives each attempt its share of timeoutMs.
      const attempts = maxAttempts ?? 3;
      store = new DynamoDBStore({
        tableName,
        ...leanOptions(proxy.url),
        timeoutMs: BUDGET_MS * attempts,
        maxAttempts: attempts,
      });
    }
    cleanup.push(() => proxy.close());
    return runFaultTable(
      store,
      (step, mode) => {
        const target = `DynamoDB_20120810.${operation[step]}`;
        proxy.plan = {
          mode,
          times: 1,
          delayMs: SLOW_MS,
          match: ({ headers }) => headers['x-amz-target'] === target,
        };
      },
      () => {
        proxy.plan = undefined;
      },
    );
  };

  it.concurrent("with the SDK's default retries", async () => {
    expect(await faultTable('sdk', undefined)).toEqual(DYNAMODB_WITH_RETRIES);
  });

  it.concurrent('with the SDK retries off (maxAttempts: 1)', async () => {
    expect(await faultTable('sdk', 1)).toEqual(DYNAMODB_NO_RETRIES);
  });

  it.concurrent('lean transport, default retries (3 attempts)', async () => {
    expect(await faultTable('lean', undefined)).toEqual(DYNAMODB_WITH_RETRIES);
  });

  it.concurrent('lean transport, retries off (maxAttempts: 1)', async () => {
    expect(await faultTable('lean', 1)).toEqual(DYNAMODB_NO_RETRIES);
  });
});

// What the tests show (docs/faults.md explains each row): first answer → immediate retry →
// retry after the lease, and the handler's runs after each.
const DYNAMODB_WITH_RETRIES = {
  'begin: fail-before': '201 → 201 → 201 replay (runs 1/1/1)',
  'begin: drop-answer': '201 → 201 → 201 replay (runs 1/1/1)',
  'begin: slow': '201 → 201 → 201 replay (runs 1/1/1)',
  'complete: fail-before': '201 → 201 → 201 replay (runs 1/1/1)',
  'complete: drop-answer': '201 → 201 → 201 replay (runs 1/1/1)',
  'complete: slow': '201 → 201 → 201 replay (runs 1/1/1)',
  'release: fail-before': '500 → 201 → 201 replay (runs 1/2/2)',
  'release: drop-answer': '500 → 201 → 201 replay (runs 1/2/2)',
  'release: slow': '500 → 201 → 201 replay (runs 1/2/2)',
  'replay read: fail-before': '201 → 201 → 201 replay (runs 0/0/0)',
  'replay read: drop-answer': '201 → 201 → 201 replay (runs 0/0/0)',
  'replay read: slow': '201 → 201 → 201 replay (runs 0/0/0)',
};

const DYNAMODB_NO_RETRIES = {
  'begin: fail-before': '503 → 201 → 201 replay (runs 0/1/1)',
  'begin: drop-answer': '503 → 409 → 201 (runs 0/0/1)',
  'begin: slow': '503 → 201 → 201 replay (runs 0/1/1)',
  'complete: fail-before': '201 → 409 → 201 (runs 1/1/2)',
  'complete: drop-answer': '201 → 201 → 201 replay (runs 1/1/1)',
  'complete: slow': '201 → 409 → 201 replay (runs 1/1/1)',
  'release: fail-before': '500 → 409 → 201 (runs 1/1/2)',
  'release: drop-answer': '500 → 201 → 201 replay (runs 1/2/2)',
  'release: slow': '500 → 409 → 201 (runs 1/1/2)',
  'replay read: fail-before': '503 → 201 → 201 replay (runs 0/0/0)',
  'replay read: drop-answer': '503 → 201 → 201 replay (runs 0/0/0)',
  'replay read: slow': '503 → 201 → 201 replay (runs 0/0/0)',
};
