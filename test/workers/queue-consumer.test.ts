import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { type QueueBatch, type QueueMessage, toQueueConsumer } from '../../adapters/cloudflare-queues.ts';
import { IdempotencyConfigurationError } from '../../src/errors.ts';
import { DurableObjectStore } from '../../src/stores/cloudflare/index.ts';
import { countingNamespace, newRpcCounter } from './namespaces.ts';

interface Order {
  orderId: string;
}

type Env = typeof env;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Messages as the queue delivers them: `attempts` 1 the first time, one more on each redelivery. */
function messages(ids: readonly string[], attempts = 1) {
  return ids.map((id, i) => ({
    id,
    timestamp: new Date(1_760_000_000_000 + i),
    attempts,
    body: { orderId: `o-${id}` },
  }));
}

/**
 * Run one batch through the consumer as workerd would, and what it acked and retried.
 * `getQueueResult` does not report `delaySeconds` (the plugin records only that a message was
 * retried), so the delays are read on their way to the real messages.
 */
async function deliver(
  consumer: (batch: QueueBatch<Order>, env: Env, ctx: ExecutionContext) => Promise<void>,
  batchMessages: ReturnType<typeof messages>,
) {
  const batch = createMessageBatch<Order>('orders', batchMessages);
  const delays: Array<number | undefined> = [];
  const observed: QueueBatch<Order> = {
    queue: batch.queue,
    messages: batch.messages.map((message) => ({
      id: message.id,
      timestamp: message.timestamp,
      body: message.body,
      attempts: message.attempts,
      ack: () => message.ack(),
      retry: (options?: { delaySeconds?: number }) => {
        delays.push(options?.delaySeconds);
        message.retry(options);
      },
    })),
  };
  const ctx = createExecutionContext();
  await consumer(observed, env, ctx);
  const result = await getQueueResult(batch, ctx);
  return {
    acked: [...result.explicitAcks].sort(),
    retried: result.retryMessages.map((retry) => retry.msgId).sort(),
    delays,
  };
}

const ids = (count: number) => Array.from({ length: count }, () => crypto.randomUUID());

describe('toQueueConsumer with DurableObjectStore, in workerd', () => {
  it('acks a batch, and a redelivered message replays instead of running again', async () => {
    const runs: string[] = [];
    const consumer = toQueueConsumer<Order, Env, ExecutionContext>(
      async (message) => {
        runs.push(message.body.orderId);
      },
      { store: (env) => new DurableObjectStore({ namespace: env.IDEMPOTENCY }) },
    );
    const batch = ids(3);
    expect(await deliver(consumer, messages(batch))).toEqual({
      acked: [...batch].sort(),
      retried: [],
      delays: [],
    });
    expect(await deliver(consumer, messages(batch, 2))).toEqual({
      acked: [...batch].sort(),
      retried: [],
      delays: [],
    });
    expect(runs.sort()).toEqual(batch.map((id) => `o-${id}`).sort());
  });

  it('retries exactly the message that threw; on redelivery only it runs', async () => {
    const batch = ids(4);
    const poisoned = batch[2] as string;
    let broken = true;
    const runs: string[] = [];
    const errors: unknown[] = [];
    const consumer = toQueueConsumer<Order, Env, ExecutionContext>(
      async (message) => {
        runs.push(message.id);
        if (broken && message.id === poisoned) throw new Error('carrier API down');
      },
      {
        store: (env) => new DurableObjectStore({ namespace: env.IDEMPOTENCY }),
        retryDelaySeconds: 30,
        onMessageError: (error) => errors.push(error),
      },
    );
    const first = await deliver(consumer, messages(batch));
    expect(first.retried).toEqual([poisoned]);
    expect(first.delays).toEqual([30]);
    expect(first.acked).toEqual(batch.filter((id) => id !== poisoned).sort());
    expect((errors[0] as Error).message).toBe('carrier API down');

    runs.length = 0;
    broken = false;
    const again = await deliver(consumer, messages(batch, 2));
    expect(again).toEqual({ acked: [...batch].sort(), retried: [], delays: [] });
    expect(runs).toEqual([poisoned]);
  });

  it('retries a message another consumer still runs when that lease ends, without running it', async () => {
    const store = (env: Env) => new DurableObjectStore({ namespace: env.IDEMPOTENCY });
    let runs = 0;
    let release: () => void = () => undefined;
    const slow = toQueueConsumer<Order, Env, ExecutionContext>(
      async () => {
        runs++;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      },
      { store, leaseSeconds: 120 },
    );
    const [id] = ids(1) as [string];
    const first = deliver(slow, messages([id]));
    while (runs === 0) await sleep(5);
    const second = await deliver(slow, messages([id], 2));
    expect(second.retried).toEqual([id]);
    expect(second.delays[0]).toBeGreaterThan(100);
    expect(second.delays[0]).toBeLessThanOrEqual(120);
    release();
    expect((await first).acked).toEqual([id]);
    expect(runs).toBe(1);
  });

  it('never runs more messages at once than `concurrency`', async () => {
    let inFlight = 0;
    let most = 0;
    const counter = newRpcCounter();
    const consumer = toQueueConsumer<Order, Env, ExecutionContext>(
      async () => {
        most = Math.max(most, ++inFlight);
        await sleep(10);
        inFlight--;
      },
      {
        store: (env) => new DurableObjectStore({ namespace: countingNamespace(env.IDEMPOTENCY, counter) }),
        concurrency: 3,
      },
    );
    const batch = ids(12);
    expect((await deliver(consumer, messages(batch))).acked).toHaveLength(12);
    expect(most).toBeLessThanOrEqual(3);
    expect(most).toBeGreaterThan(1);
    // A new message costs two RPCs (begin, complete); a replay one.
    expect(counter.calls).toBe(24);
    counter.calls = 0;
    expect((await deliver(consumer, messages(batch, 2))).acked).toHaveLength(12);
    expect(counter.calls).toBe(12);
  });

  it('refuses a concurrency that is not a whole number of 1 or more', () => {
    expect(() =>
      toQueueConsumer(async (_message: QueueMessage) => undefined, {
        store: (env: Env) => new DurableObjectStore({ namespace: env.IDEMPOTENCY }),
        concurrency: 0,
      }),
    ).toThrow(IdempotencyConfigurationError);
  });
});

// Compile-time check (npm run typecheck): the consumer is a Worker's `queue` handler as is.
const _worker = {
  queue: toQueueConsumer<Order, Env, ExecutionContext>(async () => undefined, {
    store: (env) => new DurableObjectStore({ namespace: env.IDEMPOTENCY }),
  }),
} satisfies ExportedHandler<Env, Order>;
