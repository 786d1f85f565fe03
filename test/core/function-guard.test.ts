/** Issue 14: `idempotent(fn)` keeps the seeds' promises on real redeliveries. */
import { describe, expect, it } from 'vitest';
import {
  argumentsKey,
  IdempotencyConfigurationError,
  type IdempotencyEvent,
  type IdempotencyStore,
  idempotencyRecords,
  idempotent,
  MemoryStore,
} from '../../src/index.ts';

interface SqsRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: { ApproximateReceiveCount: string };
}

const delivery = (receive: number): SqsRecord => ({
  messageId: '059f36b4-87a3-44ab-83d2-661975830a7d',
  receiptHandle: `AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a${receive}`,
  body: '{"orderId":"o-1"}',
  attributes: { ApproximateReceiveCount: String(receive) },
});

/** A store whose chosen steps fail, over a real MemoryStore. */
function failing(steps: ReadonlyArray<'complete' | 'release'>): IdempotencyStore {
  const memory = new MemoryStore();
  return new Proxy(memory, {
    get(target, property, receiver) {
      if (steps.includes(property as 'complete'))
        return () => Promise.reject(new Error(`${String(property)} down`));
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('idempotent(fn) on redeliveries', () => {
  it('replays an SQS redelivery keyed by messageId (new receiptHandle, higher receive count)', async () => {
    let runs = 0;
    const process = idempotent(
      async (record: SqsRecord) => {
        runs++;
        return { charged: JSON.parse(record.body).orderId };
      },
      { store: new MemoryStore(), key: (record) => record.messageId },
    );
    expect(await process(delivery(1))).toEqual({ charged: 'o-1' });
    expect(await process(delivery(2))).toEqual({ charged: 'o-1' });
    expect(runs).toBe(1);
  });

  it('runs unguarded when the key answers nothing, or throws a typed error when required', async () => {
    let runs = 0;
    const fn = async (_id?: string) => ++runs;
    const optional = idempotent(fn, { store: new MemoryStore(), key: (id) => id });
    await optional(undefined);
    await optional(undefined);
    expect(runs).toBe(2);
    const required = idempotent(fn, { store: new MemoryStore(), key: (id) => id, required: true });
    await expect(required(undefined)).rejects.toBeInstanceOf(IdempotencyConfigurationError);
    expect(runs).toBe(2);
  });

  it('never lets arguments that differ share a default key', async () => {
    let runs = 0;
    const record = idempotent(async (..._args: unknown[]) => ++runs, {
      store: new MemoryStore(),
      name: 'record',
    });
    const pairs: Array<[unknown, unknown]> = [
      [new Map([['a', 1]]), {}],
      [new Set([1]), new Set([2])],
      [undefined, null],
      [Number.NaN, Number.POSITIVE_INFINITY],
      [1n, '1'],
      [-0, 0],
      [new Date(0), '1970-01-01T00:00:00.000Z'],
      [Uint8Array.of(1), [1]],
      [
        { b: 1, a: 2 },
        { a: 2, b: 2 },
      ],
    ];
    for (const [a, b] of pairs) {
      const before = runs;
      await record(a);
      await record(b);
      expect(runs - before, `${String(a)} vs ${String(b)}`).toBe(2);
    }
    // Equal values still share: key order and Map/Set insertion order do not matter.
    const before = runs;
    await record({
      x: 1,
      y: new Map([
        ['k', 1],
        ['j', 2],
      ]),
    });
    await record({
      y: new Map([
        ['j', 2],
        ['k', 1],
      ]),
      x: 1,
    });
    expect(runs - before).toBe(1);
  });

  it('refuses an argument with no stable encoding, naming it', async () => {
    const fn = idempotent(async (_options: unknown) => 1, { store: new MemoryStore(), name: 'fn' });
    await expect(fn({ callback: () => 1 })).rejects.toThrow(/arguments\[0\]\.callback is a function/);
    class Customer {
      id = 'c';
    }
    await expect(fn(new Customer())).rejects.toThrow(/Customer instance/);
    class Money {
      constructor(readonly cents: number) {}
      toJSON() {
        return `${this.cents}c`;
      }
    }
    // A class with toJSON is encoded by it, still apart from the plain value.
    expect(argumentsKey([new Money(5)])).toBe(argumentsKey([new Money(5)]));
    expect(argumentsKey([new Money(5)])).not.toBe(argumentsKey(['5c']));
  });

  it('gives the caller fn’s result when complete fails after fn succeeded, and reports it', async () => {
    const events: IdempotencyEvent[] = [];
    const fn = idempotent(async () => 'done', {
      store: failing(['complete']),
      name: 'fn',
      onEvent: (event) => void events.push(event),
    });
    expect(await fn()).toBe('done');
    expect(events.map((event) => event.type)).toEqual(['new', 'store_error']);
  });

  it('gives the caller fn’s own error when fn throws and the release fails too', async () => {
    const failure = new Error('payment declined');
    const fn = idempotent(
      async () => {
        throw failure;
      },
      { store: failing(['release']), name: 'fn' },
    );
    await expect(fn()).rejects.toBe(failure);
  });

  it('works without a store, on one process-wide MemoryStore', async () => {
    let runs = 0;
    const once = idempotent(async (_id: string) => ++runs, { name: `no-store-${crypto.randomUUID()}` });
    await once('a');
    await once('a');
    expect(runs).toBe(1);
  });

  it('reaches function records through the records API by (function, key)', async () => {
    const store = new MemoryStore();
    let runs = 0;
    const charge = idempotent(async (_orderId: string) => ++runs, {
      store,
      name: 'charge',
      key: (orderId) => `order:${orderId}`,
    });
    await charge('o-1');
    const records = idempotencyRecords({ store });
    expect((await records.get({ function: 'charge', key: 'order:o-1' }))?.state).toBe('completed');
    expect(await records.delete({ function: 'charge', key: 'order:o-1' })).toBe(true);
    await charge('o-1');
    expect(runs).toBe(2);

    const plain = idempotent(async (a: number, b: string) => `${a}${b}`, { store, name: 'plain' });
    await plain(1, 'x');
    expect((await records.get({ function: 'plain', key: argumentsKey([1, 'x']) }))?.state).toBe('completed');
  });
});
