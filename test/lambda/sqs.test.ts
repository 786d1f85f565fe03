import { describe, expect, it } from 'vitest';
import { MalformedSqsEventError, type SqsRecord, toSqsHandler } from '../../adapters/lambda/index.ts';
import { IdempotencyConfigurationError, type IdempotencyStore, MemoryStore } from '../../src/index.ts';
import { DynamoDBStore } from '../../src/stores/dynamodb/index.ts';
import { dynamoDBTableForFile } from '../dynamodb/dynamodb-table.ts';
import { lambdaContext } from './events.ts';
import { loadSqsEvent, redelivered, standardMessages, withFreshIds } from './sqs-events.ts';

const dynamodb = dynamoDBTableForFile();

const STORES: Array<[string, () => IdempotencyStore]> = [
  ['MemoryStore', () => new MemoryStore()],
  [
    'DynamoDBStore (DynamoDB Local)',
    () => new DynamoDBStore({ client: dynamodb.client, tableName: dynamodb.tableName }),
  ],
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const context = () => lambdaContext(30_000);
const failedIds = (response: { batchItemFailures: Array<{ itemIdentifier: string }> }) =>
  response.batchItemFailures.map((failure) => failure.itemIdentifier);

describe.each(STORES)('toSqsHandler on %s', (_name, makeStore) => {
  it('a redelivered message (new receiptHandle, higher receive count) replays instead of running', async () => {
    const runs: string[] = [];
    const handler = toSqsHandler(
      async (record: SqsRecord) => {
        runs.push(record.messageId);
      },
      { store: makeStore() },
    );
    const event = withFreshIds(loadSqsEvent('sqs-standard.json'));
    expect(await handler(event, context())).toEqual({ batchItemFailures: [] });
    const again = redelivered(event);
    expect(again.Records[0]?.receiptHandle).not.toBe(event.Records[0]?.receiptHandle);
    expect(again.Records[0]?.attributes.ApproximateReceiveCount).toBe('2');
    expect(await handler(again, context())).toEqual({ batchItemFailures: [] });
    expect(runs.sort()).toEqual(event.Records.map((record) => record.messageId).sort());
  });

  it('reports exactly the message that threw; a redelivered batch runs only it', async () => {
    const event = withFreshIds(loadSqsEvent('sqs-standard.json'));
    const poisoned = event.Records[1]?.messageId as string;
    let broken = true;
    const runs: string[] = [];
    const errors: unknown[] = [];
    const handler = toSqsHandler(
      async (record: SqsRecord) => {
        runs.push(record.messageId);
        if (broken && record.messageId === poisoned) throw new Error('warehouse API down');
      },
      { store: makeStore(), onMessageError: (error) => errors.push(error) },
    );
    expect(failedIds(await handler(event, context()))).toEqual([poisoned]);
    expect(errors.map((error) => (error as Error).message)).toEqual(['warehouse API down']);
    expect(runs).toHaveLength(3);

    runs.length = 0;
    broken = false;
    expect(await handler(redelivered(event), context())).toEqual({ batchItemFailures: [] });
    expect(runs).toEqual([poisoned]);
  });

  it('never runs more messages at once than `concurrency`', async () => {
    for (const [concurrency, expectedBound] of [
      [3, 3],
      [undefined, 10],
    ] as const) {
      let inFlight = 0;
      let most = 0;
      const handler = toSqsHandler(
        async () => {
          most = Math.max(most, ++inFlight);
          await sleep(15);
          inFlight--;
        },
        { store: makeStore(), concurrency },
      );
      const event = standardMessages(25);
      expect(await handler(event, context())).toEqual({ batchItemFailures: [] });
      expect(most).toBeLessThanOrEqual(expectedBound);
      expect(most).toBeGreaterThan(1);
    }
  });

  it('FIFO: runs each group in order, and fails the rest of a group after a failure', async () => {
    const event = withFreshIds(loadSqsEvent('sqs-fifo.json'));
    const seen: string[] = [];
    let overdrawn = true;
    const handler = toSqsHandler(
      async (record: SqsRecord) => {
        const { account, op, seq } = JSON.parse(record.body) as { account: string; op: string; seq: number };
        await sleep(op === 'deposit' ? 20 : 1);
        if (overdrawn && seq === 3) throw new Error('insufficient funds');
        seen.push(`${account}#${seq}`);
      },
      { store: makeStore(), concurrency: 5 },
    );
    const ids = event.Records.map((record) => record.messageId);
    // Group a: seq 1, 3 (fails), 4 (must not run); group b: seq 2, 5.
    expect(failedIds(await handler(event, context()))).toEqual([ids[2], ids[3]]);
    expect(seen.filter((entry) => entry.startsWith('account-a'))).toEqual(['account-a#1']);
    expect(seen.filter((entry) => entry.startsWith('account-b'))).toEqual(['account-b#2', 'account-b#5']);

    // AWS sends the failed ones again, in order; the done ones would replay if they came too.
    seen.length = 0;
    overdrawn = false;
    expect(await handler(redelivered(event), context())).toEqual({ batchItemFailures: [] });
    expect(seen).toEqual(['account-a#3', 'account-a#4']);
  });

  it('a message another consumer is still running is reported failed, not run twice', async () => {
    const store = makeStore();
    let runs = 0;
    let release: () => void = () => undefined;
    const slow = toSqsHandler(
      async () => {
        runs++;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      },
      { store },
    );
    const event = standardMessages(1);
    const first = slow(event, context());
    while (runs === 0) await sleep(5);
    const second = await slow(redelivered(event), context());
    expect(failedIds(second)).toEqual([event.Records[0]?.messageId]);
    release();
    expect(await first).toEqual({ batchItemFailures: [] });
    expect(runs).toBe(1);
  });

  it("with onDuplicate: 'wait', a message another consumer runs counts as done once that run ends", async () => {
    const store = makeStore();
    let runs = 0;
    const handler = toSqsHandler(
      async () => {
        runs++;
        await sleep(150);
      },
      { store, onDuplicate: 'wait', waitTimeoutMs: 10_000 },
    );
    const event = standardMessages(1);
    const first = handler(event, context());
    while (runs === 0) await sleep(5);
    expect(await handler(redelivered(event), context())).toEqual({ batchItemFailures: [] });
    expect(await first).toEqual({ batchItemFailures: [] });
    expect(runs).toBe(1);
  });

  it('many consumers receiving one batch at once run each message once', async () => {
    const store = makeStore();
    const runs = new Map<string, number>();
    const handler = toSqsHandler(
      async (record: SqsRecord) => {
        runs.set(record.messageId, (runs.get(record.messageId) ?? 0) + 1);
        await sleep(10);
      },
      { store },
    );
    const event = standardMessages(8);
    const responses = await Promise.all(
      Array.from({ length: 6 }, () => handler(redelivered(event), context())),
    );
    expect([...runs.values()]).toEqual(event.Records.map(() => 1));
    // The consumer that ran a message reports it done; the others report it failed (still
    // running) or done (a replay), never run it.
    for (const record of event.Records) {
      expect(responses.some((response) => !failedIds(response).includes(record.messageId))).toBe(true);
    }
  });

  it('a custom key decides alone: two messages of one order run once', async () => {
    let runs = 0;
    const handler = toSqsHandler(
      async () => {
        runs++;
      },
      {
        store: makeStore(),
        key: (record) => `order:${(JSON.parse(record.body) as { orderId: string }).orderId}`,
      },
    );
    const orderId = crypto.randomUUID();
    const event = standardMessages(2);
    for (const record of event.Records) record.body = JSON.stringify({ orderId, note: record.messageId });
    expect(await handler({ Records: [event.Records[0] as SqsRecord] }, context())).toEqual({
      batchItemFailures: [],
    });
    expect(await handler({ Records: [event.Records[1] as SqsRecord] }, context())).toEqual({
      batchItemFailures: [],
    });
    expect(runs).toBe(1);
  });
});

describe('toSqsHandler input', () => {
  it('throws a typed error for an event that is not SQS, so Lambda retries the batch', async () => {
    const handler = toSqsHandler(async () => undefined, { store: new MemoryStore() });
    for (const event of [{}, { Records: 'x' }, { Records: [{ body: 'no id' }] }, null]) {
      await expect(handler(event as never, context())).rejects.toBeInstanceOf(MalformedSqsEventError);
    }
  });

  it('refuses options the guard cannot work with when it is built, not per message', () => {
    expect(() => toSqsHandler(async () => undefined, { store: new MemoryStore(), ttlSeconds: 0 })).toThrow(
      IdempotencyConfigurationError,
    );
    expect(() =>
      toSqsHandler(async () => undefined, { store: new MemoryStore(), ttlSeconds: 10, leaseSeconds: 20 }),
    ).toThrow(IdempotencyConfigurationError);
  });

  it('refuses a concurrency that is not a whole number of 1 or more', () => {
    for (const concurrency of [0, -1, 1.5, Number.NaN]) {
      expect(() => toSqsHandler(async () => undefined, { store: new MemoryStore(), concurrency })).toThrow(
        IdempotencyConfigurationError,
      );
    }
  });
});
