import { describe, expect, it } from 'vitest';
import {
  IdempotencyConfigurationError,
  IdempotencyConflictError,
  IdempotencyMismatchError,
  IdempotencyStoreError,
  idempotent,
  MemoryStore,
} from '../../src/index.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class PaymentDeclined extends Error {
  override name = 'PaymentDeclined';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

describe('idempotent(fn)', () => {
  it('runs once per argument list and returns the stored result to duplicates', async () => {
    let runs = 0;
    const charge = idempotent(
      async function charge(order: { id: string; amount: number }) {
        runs++;
        return { charged: order.amount, run: runs };
      },
      { store: new MemoryStore() },
    );
    expect(await charge({ id: 'o1', amount: 5 })).toEqual({ charged: 5, run: 1 });
    // Same arguments with keys in another order: the same call.
    expect(await charge({ amount: 5, id: 'o1' })).toEqual({ charged: 5, run: 1 });
    expect(await charge({ id: 'o2', amount: 5 })).toEqual({ charged: 5, run: 2 });
    expect(runs).toBe(2);
  });

  it('lets a custom key decide alone: one invoice per user, whatever the amount', async () => {
    let runs = 0;
    const invoice = idempotent(
      async (userId: string, amount: number) => {
        runs++;
        return `invoice for ${userId}: ${amount}`;
      },
      { store: new MemoryStore(), key: (userId) => `invoice:${userId}`, name: 'invoice' },
    );
    expect(await invoice('u1', 10)).toBe('invoice for u1: 10');
    expect(await invoice('u1', 99)).toBe('invoice for u1: 10');
    expect(runs).toBe(1);
  });

  it('refuses other arguments under a key only when a fingerprint is given', async () => {
    let runs = 0;
    const handle = idempotent(
      async (message: { id: string; body: string }) => {
        runs++;
        return message.body.toUpperCase();
      },
      {
        store: new MemoryStore(),
        key: (message) => message.id,
        fingerprint: (message) => message.body,
        name: 'handle',
      },
    );
    expect(await handle({ id: 'm1', body: 'a' })).toBe('A');
    expect(await handle({ id: 'm1', body: 'a' })).toBe('A');
    await expect(handle({ id: 'm1', body: 'b' })).rejects.toBeInstanceOf(IdempotencyMismatchError);
    expect(runs).toBe(1);
  });

  it('keeps functions with equal arguments but different names apart', async () => {
    const store = new MemoryStore();
    const one = idempotent(
      async function one(x: number) {
        return x + 1;
      },
      { store },
    );
    const two = idempotent(
      async function two(x: number) {
        return x + 2;
      },
      { store },
    );
    expect(await one(1)).toBe(2);
    expect(await two(1)).toBe(3);
  });

  it('keeps undefined, null and falsy results', async () => {
    for (const value of [undefined, null, 0, '', false]) {
      let runs = 0;
      const fn = idempotent(
        async function falsy() {
          runs++;
          return value;
        },
        { store: new MemoryStore() },
      );
      expect(await fn()).toBe(value);
      expect(await fn()).toBe(value);
      expect(runs).toBe(1);
    }
  });

  it("throws a conflict for a call still running, and for any duplicate with onDuplicate: 'throw'", async () => {
    const store = new MemoryStore();
    const slow = idempotent(
      async function slow() {
        await sleep(100);
        return 'done';
      },
      { store },
    );
    const first = slow();
    await sleep(10);
    const running = await slow().catch((e: unknown) => e);
    expect(running).toBeInstanceOf(IdempotencyConflictError);
    expect((running as IdempotencyConflictError).state).toBe('in_progress');
    expect((running as IdempotencyConflictError).retryAfterSeconds).toBeGreaterThan(0);
    expect(await first).toBe('done');

    const strict = idempotent(
      async function strict() {
        return 1;
      },
      { store, onDuplicate: 'throw' },
    );
    await strict();
    const done = await strict().catch((e: unknown) => e);
    expect((done as IdempotencyConflictError).state).toBe('completed');
  });

  it("waits for the running call's result with onDuplicate: 'wait'", async () => {
    let runs = 0;
    const slow = idempotent(
      async function slowWait() {
        runs++;
        await sleep(100);
        return runs;
      },
      { store: new MemoryStore(), onDuplicate: 'wait' },
    );
    const results = await Promise.all(Array.from({ length: 20 }, () => slow()));
    expect(results).toEqual(Array(20).fill(1));
    expect(runs).toBe(1);
  });

  it('releases the key when the function throws, so the call can be retried', async () => {
    let runs = 0;
    const flaky = idempotent(
      async function flaky() {
        runs++;
        if (runs === 1) throw new Error('transient');
        return 'ok';
      },
      { store: new MemoryStore() },
    );
    await expect(flaky()).rejects.toThrow('transient');
    expect(await flaky()).toBe('ok');
    expect(runs).toBe(2);
  });

  it("keeps a failure with onFailure: 'keep' and rethrows it, class and fields intact", async () => {
    let runs = 0;
    const pay = idempotent(
      async function pay() {
        runs++;
        throw new PaymentDeclined('card declined', 'insufficient_funds');
      },
      { store: new MemoryStore(), onFailure: 'keep', errorClasses: [PaymentDeclined] },
    );
    await expect(pay()).rejects.toBeInstanceOf(PaymentDeclined);
    const again = (await pay().catch((e: unknown) => e)) as PaymentDeclined;
    expect(again).toBeInstanceOf(PaymentDeclined);
    expect(again).toBeInstanceOf(Error);
    expect(again.message).toBe('card declined');
    expect(again.code).toBe('insufficient_funds');
    expect(again.name).toBe('PaymentDeclined');
    expect(runs).toBe(1);

    const typed = idempotent(
      async function typed() {
        throw new TypeError('bad type');
      },
      { store: new MemoryStore(), onFailure: 'keep' },
    );
    await expect(typed()).rejects.toThrow(TypeError);
    await expect(typed()).rejects.toThrow(TypeError);
  });

  it('uses a custom serializer', async () => {
    const fn = idempotent(
      async function dates() {
        return new Date('2026-01-02T03:04:05Z');
      },
      {
        store: new MemoryStore(),
        serializer: { serialize: (d) => d.toISOString(), deserialize: (text) => new Date(text) },
      },
    );
    await fn();
    const replayed = await fn();
    expect(replayed).toBeInstanceOf(Date);
    expect(replayed.toISOString()).toBe('2026-01-02T03:04:05.000Z');
  });

  it('surfaces store failures as IdempotencyStoreError without running the function', async () => {
    const store = new MemoryStore();
    store.close();
    let runs = 0;
    const fn = idempotent(
      async function broken() {
        runs++;
      },
      { store },
    );
    await expect(fn()).rejects.toBeInstanceOf(IdempotencyStoreError);
    expect(runs).toBe(0);
  });

  it('refuses an anonymous function without a name or key, and bad TTLs', () => {
    const store = new MemoryStore();
    expect(() => idempotent(async () => 1, { store })).toThrow(IdempotencyConfigurationError);
    expect(() => idempotent(async () => 1, { store, name: 'named' })).not.toThrow();
    expect(() => idempotent(async function f() {}, { store, ttlSeconds: 1, leaseSeconds: 2 })).toThrow(
      IdempotencyConfigurationError,
    );
  });
});
