import {
  type BatchGetItemCommandInput,
  type BatchGetItemCommandOutput,
  type BatchWriteItemCommandInput,
  type BatchWriteItemCommandOutput,
  type DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  IdempotencyConfigurationError,
  IdempotencyRecordTooLargeError,
  IdempotencyStoreError,
} from '../../src/errors.ts';
import { PROBLEM_TYPES, withIdempotency } from '../../src/index.ts';
import { DynamoDBStore, MAX_RESPONSE_ATTRIBUTE_BYTES } from '../../src/stores/dynamodb/index.ts';
import { toStoreError } from '../../src/stores/dynamodb/store-error.ts';
import type { StoredResponse } from '../../src/types.ts';
import { countCalls } from './count-calls.ts';
import { createIdempotencyTable, type DynamoDBLocal, startDynamoDBLocal } from './dynamodb-local.ts';
import { TRANSPORTS, type TransportName, type TransportSide, transportSide } from './transports.ts';

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

const fingerprint = 'a'.repeat(64);
const newKey = () => `behaviour:${crypto.randomUUID()}`;
const randomBytes = (n: number) => {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(out.subarray(at, at + 65536));
  return out;
};
const response = (body: Uint8Array | null): StoredResponse => ({
  status: 200,
  headers: [['content-type', 'application/octet-stream']],
  body,
});
const rawItem = async (key: string, table = tableName, keyAttribute = 'pk') =>
  (
    await client.send(
      new GetItemCommand({ TableName: table, Key: { [keyAttribute]: { S: key } }, ConsistentRead: true }),
    )
  ).Item;
// vitest's deep equality walks typed arrays element by element: seconds for megabytes.
const sameBytes = (actual: Uint8Array | null | undefined, expected: Uint8Array) =>
  actual instanceof Uint8Array && Buffer.from(actual).equals(expected);
const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => error,
  );

/** Store `body` under a new key and read it back through the store. */
async function completeAndGet(store: DynamoDBStore, body: Uint8Array) {
  const key = newKey();
  expect(await store.begin({ key, fingerprint, token: 't', leaseMs: 60_000 })).toEqual({ acquired: true });
  expect(await store.complete({ key, token: 't', response: response(body), ttlMs: 60_000 })).toBe(true);
  return {
    key,
    record: await store.get(key),
    replay: await store.begin({ key, fingerprint, token: 'u', leaseMs: 1 }),
  };
}

describe.each(TRANSPORTS)('DynamoDBStore (%s) on DynamoDB Local', (transport) => {
  const side = () => sides[transport];

  it('keeps a 350 KB incompressible body as is, byte for byte', async () => {
    const store = side().store({ tableName });
    const body = randomBytes(350 * 1024);
    const { key, record, replay } = await completeAndGet(store, body);
    expect(sameBytes(record?.response?.body, body)).toBe(true);
    expect(sameBytes(!replay.acquired ? replay.record.response?.body : null, body)).toBe(true);
    const item = await rawItem(key);
    expect(item?.z?.BOOL).toBe(false);
    expect(item?.res?.B?.byteLength).toBeGreaterThan(350 * 1024);
  });

  it('gzips a 2 MB compressible body under the item limit and replays it byte for byte', async () => {
    const store = side().store({ tableName });
    const body = new TextEncoder().encode(
      JSON.stringify({ rows: Array.from({ length: 40_000 }, (_, i) => ({ i })) }),
    );
    const padded = new Uint8Array(2 * 1024 * 1024).fill(0x20);
    padded.set(body);
    const { key, record, replay } = await completeAndGet(store, padded);
    expect(sameBytes(record?.response?.body, padded)).toBe(true);
    expect(sameBytes(!replay.acquired ? replay.record.response?.body : null, padded)).toBe(true);
    const item = await rawItem(key);
    expect(item?.z?.BOOL).toBe(true);
    expect(item?.res?.B?.byteLength).toBeLessThan(MAX_RESPONSE_ATTRIBUTE_BYTES);
  });

  it('refuses a body too large even gzipped, writing nothing, so it can complete without it', async () => {
    const store = side().store({ tableName });
    const key = newKey();
    const before = side().roundTrips();
    expect(await store.begin({ key, fingerprint, token: 't', leaseMs: 60_000 })).toEqual({ acquired: true });
    const tooLarge = response(randomBytes(600 * 1024));
    const error = await errorOf(store.complete({ key, token: 't', response: tooLarge, ttlMs: 60_000 }));
    expect(error).toBeInstanceOf(IdempotencyRecordTooLargeError);
    expect(error).toBeInstanceOf(IdempotencyStoreError);
    expect((error as Error).message).toContain('does not fit a DynamoDB item');
    expect(side().roundTrips() - before, 'refused before sending').toBe(1);
    expect((await store.get(key))?.state).toBe('in_progress');
    // What the wrapper does next: complete without the body.
    expect(await store.complete({ key, token: 't', response: response(null), ttlMs: 60_000 })).toBe(true);
    expect((await store.get(key))?.response).toEqual(response(null));
  });

  it('through the wrapper: a response too large even gzipped completes without its body (not_retained), run once', async () => {
    const store = side().store({ tableName });
    const events: string[] = [];
    let runs = 0;
    const body = randomBytes(600 * 1024);
    const serve = withIdempotency(
      async () => {
        runs++;
        return new Response(body, { status: 201, headers: { 'content-type': 'application/octet-stream' } });
      },
      { store, onEvent: (event) => void events.push(event.type) },
    );
    const request = () =>
      new Request('https://api.example/export', {
        method: 'POST',
        headers: { 'idempotency-key': crypto.randomUUID() },
        body: 'x',
      });
    const first = request();
    const firstAnswer = await serve(first.clone());
    expect(firstAnswer.status).toBe(201);
    expect(sameBytes(new Uint8Array(await firstAnswer.arrayBuffer()), body)).toBe(true);
    expect(events).toContain('not_retained');
    expect(events).not.toContain('stored');
    const replay = await serve(first);
    expect(((await replay.json()) as { type: string }).type).toBe(PROBLEM_TYPES.notRetained);
    expect(runs).toBe(1);
  });

  it('writes the TTL attribute in epoch seconds, with custom key and TTL attribute names', async () => {
    const table = await createIdempotencyTable(client, { keyAttribute: 'id', ttlAttribute: 'expires_at' });
    const store = side().store({ tableName: table, keyAttribute: 'id', ttlAttribute: 'expires_at' });
    const key = newKey();
    const before = Date.now();
    await store.begin({ key, fingerprint, token: 't', leaseMs: 60_000 });
    const item = await rawItem(key, table, 'id');
    const ttl = Number(item?.expires_at?.N);
    expect(ttl).toBeGreaterThanOrEqual(Math.floor((before + 60_000) / 1000));
    expect(ttl).toBeLessThanOrEqual(Math.ceil((Date.now() + 60_000) / 1000));
    expect(Number(item?.exp?.N)).toBeGreaterThanOrEqual(before + 60_000);
    expect(
      await store.complete({ key, token: 't', response: response(Uint8Array.of(1)), ttlMs: 3_600_000 }),
    ).toBe(true);
    expect(Number((await rawItem(key, table, 'id'))?.expires_at?.N)).toBeGreaterThan(ttl + 3000);
    expect((await store.get(key))?.state).toBe('completed');
  });

  it('rejects attribute names that clash', () => {
    expect(() => side().store({ tableName, keyAttribute: 'state' })).toThrow(IdempotencyConfigurationError);
    expect(() => side().store({ tableName, ttlAttribute: 'pk' })).toThrow(IdempotencyConfigurationError);
  });

  it('names the table when it does not exist', async () => {
    const store = side().store({ tableName: 'no-such-idempotency-table' });
    for (const call of [
      () => store.begin({ key: newKey(), fingerprint, token: 't', leaseMs: 1000 }),
      () => store.get(newKey()),
      () => store.getMany([newKey()]),
    ]) {
      const error = await errorOf(call());
      expect(error).toBeInstanceOf(IdempotencyStoreError);
      expect((error as Error).message).toContain('table "no-such-idempotency-table" does not exist');
      expect(((error as Error).cause as Error).name).toBe('ResourceNotFoundException');
    }
  });

  it('turns an item it did not write into a store error, not a crash', async () => {
    const store = side().store({ tableName });
    const key = newKey();
    const exp = { N: String(Date.now() + 60_000) };
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { pk: { S: key }, state: { S: 'weird' }, exp, fp: { S: fingerprint } },
      }),
    );
    const error = await errorOf(store.begin({ key, fingerprint, token: 't', leaseMs: 1000 }));
    expect(error).toBeInstanceOf(IdempotencyStoreError);
    expect((error as Error).message).toContain('not a record this library wrote');
  });

  it('batch-gets and batch-deletes more keys than one request takes, duplicates included', async () => {
    const store = side().store({ tableName });
    const keys = Array.from({ length: 130 }, newKey);
    await Promise.all(keys.map((key) => store.begin({ key, fingerprint, token: 't', leaseMs: 60_000 })));
    const absent = newKey();
    let before = side().roundTrips();
    const records = await store.getMany([...keys, absent, keys[0] as string]);
    expect(records.map((r) => r?.state ?? null)).toEqual([
      ...keys.map(() => 'in_progress'),
      null,
      'in_progress',
    ]);
    expect(side().roundTrips() - before, 'BatchGetItem: 131 distinct keys').toBe(2);
    before = side().roundTrips();
    expect(await store.deleteMany([...keys, absent, keys[1] as string])).toBe(130);
    // BatchGetItem for the expiries (2), then BatchWriteItem, 25 a request (6).
    expect(side().roundTrips() - before).toBe(8);
    expect(await store.getMany(keys)).toEqual(keys.map(() => null));
  });
});

describe('DynamoDBStore (sdk) on DynamoDB Local', () => {
  it('says when credentials are missing', async () => {
    const noCredentials = local.client({
      maxAttempts: 1,
      credentials: () =>
        Promise.reject(
          Object.assign(new Error('Could not load credentials'), { name: 'CredentialsProviderError' }),
        ),
    });
    const error = await errorOf(new DynamoDBStore({ client: noCredentials, tableName }).get(newKey()));
    expect(error).toBeInstanceOf(IdempotencyStoreError);
    expect((error as Error).message).toContain('AWS credentials are missing, invalid or expired');
    noCredentials.destroy();
  });

  it('says what to fix for throttling, access and network errors', () => {
    // DynamoDB Local neither throttles nor checks IAM, so these are the SDK's own exception
    // classes, as the client throws them after its retries.
    const metadata = { $metadata: {} };
    const cases: Array<[Error, string]> = [
      [
        new ProvisionedThroughputExceededException({ message: 'slow down', ...metadata }),
        'throttled by DynamoDB after retries',
      ],
      [new ThrottlingException({ message: 'slow down', ...metadata }), 'throttled by DynamoDB after retries'],
      [Object.assign(new Error('no'), { name: 'AccessDeniedException' }), 'DYNAMODB_ACTIONS'],
      [
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
        'DynamoDB could not be reached',
      ],
    ];
    for (const [cause, message] of cases) {
      const error = toStoreError('dynamodb', 'orders', 'begin', cause);
      expect(error).toBeInstanceOf(IdempotencyStoreError);
      expect(error.message).toContain('begin on table "orders" failed');
      expect(error.message).toContain(message);
      expect(error.cause).toBe(cause);
    }
  });

  it('re-sends the keys DynamoDB leaves unprocessed', async () => {
    // DynamoDB answers part of a batch with UnprocessedKeys/UnprocessedItems when throttled, and
    // DynamoDB Local never throttles. So this client plays the throttled table in front of the
    // real server: a write batch sends only its first half and hands the rest back unprocessed;
    // a read batch is read whole but only its first half delivered (even a single key stays
    // unprocessed, so a throttled read can outlast the back-off).
    const throttled = local.client();
    const calls = countCalls(throttled);
    const throttle: Record<string, number> = { BatchGetItemCommand: 2, BatchWriteItemCommand: 0 };
    throttled.middlewareStack.add(
      (next, context) => async (args) => {
        const name = context.commandName ?? '';
        if (!((throttle[name] ?? 0) > 0)) return next(args);
        throttle[name] = (throttle[name] ?? 0) - 1;
        if (name === 'BatchGetItemCommand') {
          const result = await next(args);
          const input = args.input as BatchGetItemCommandInput;
          const output = result.output as BatchGetItemCommandOutput;
          const [table = '', read] = Object.entries(input.RequestItems ?? {})[0] ?? [];
          const keys = read?.Keys ?? [];
          const withheld = keys.slice(Math.floor(keys.length / 2));
          const withheldKeys = new Set(withheld.map((key) => key.pk?.S));
          output.Responses = {
            [table]: (output.Responses?.[table] ?? []).filter((item) => !withheldKeys.has(item.pk?.S)),
          };
          output.UnprocessedKeys = { [table]: { ...read, Keys: withheld } };
          return result;
        }
        const input = args.input as BatchWriteItemCommandInput;
        const [table, writes = []] = Object.entries(input.RequestItems ?? {})[0] ?? [];
        const half = Math.ceil(writes.length / 2);
        const result = await next({
          ...args,
          input: { RequestItems: { [table as string]: writes.slice(0, half) } },
        });
        (result.output as BatchWriteItemCommandOutput).UnprocessedItems = {
          [table as string]: writes.slice(half),
        };
        return result;
      },
      { step: 'initialize', name: 'sendHalfOfEachBatch' },
    );
    const store = new DynamoDBStore({ client: throttled, tableName });
    const keys = Array.from({ length: 20 }, newKey);
    await Promise.all(keys.map((key) => store.begin({ key, fingerprint, token: 't', leaseMs: 60_000 })));

    expect((await store.getMany(keys)).every((r) => r?.state === 'in_progress')).toBe(true);
    expect(calls.byCommand.BatchGetItemCommand).toBe(3); // 20 keys: 10 delivered, then 5 of the other 10, then 5
    throttle.BatchWriteItemCommand = 1;
    expect(await store.deleteMany(keys)).toBe(20);
    expect(calls.byCommand.BatchWriteItemCommand).toBe(2); // 10 of the 20, then the other 10
    expect(await new DynamoDBStore({ client, tableName }).getMany(keys)).toEqual(keys.map(() => null));

    // A batch that stays unprocessed after the back-off surfaces as throttling.
    await store.begin({ key: keys[0] as string, fingerprint, token: 't', leaseMs: 60_000 });
    throttle.BatchGetItemCommand = 1000;
    const error = await errorOf(store.getMany([keys[0] as string, newKey()]));
    expect(error).toBeInstanceOf(IdempotencyStoreError);
    expect((error as Error).message).toContain('throttled');
    throttled.destroy();
  });
});

describe('the DynamoDB Local launcher', () => {
  it('names the install command when Java is missing', async () => {
    const error = await errorOf(startDynamoDBLocal({ java: '/nonexistent/bin/java' }));
    expect((error as Error).message).toContain('apt-get install -y default-jre-headless');
  });
});
