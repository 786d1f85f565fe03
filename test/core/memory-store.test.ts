import { describe, expect, it } from 'vitest';
import { IdempotencyRecordTooLargeError, IdempotencyStoreError, MemoryStore } from '../../src/index.ts';
import type { StoredResponse } from '../../src/types.ts';
import { describeStoreContract } from '../conformance/store-contract.ts';
import { countRoundTrips } from '../helpers/count-round-trips.ts';

// In memory a round trip is one call into the store, so the counter wraps the store itself.
const counter = { calls: 0 };

describeStoreContract('memory', () => countRoundTrips(new MemoryStore(), counter), {
  roundTrips: () => counter.calls,
  makeUnreachableStore: () => {
    const store = new MemoryStore();
    store.close();
    return store;
  },
});

const MiB = 1024 * 1024;
const fingerprint = 'a'.repeat(64);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const response = (bodyBytes: number): StoredResponse => ({
  status: 201,
  headers: [['content-type', 'application/octet-stream']],
  body: new Uint8Array(bodyBytes).fill(7),
});

async function lock(store: MemoryStore, key: string, leaseMs = 60_000, token = `t-${key}`) {
  return store.begin({ key, fingerprint, token, leaseMs });
}

async function completed(store: MemoryStore, key: string, bodyBytes = 10, ttlMs = 60_000) {
  expect(await lock(store, key)).toEqual({ acquired: true });
  expect(await store.complete({ key, token: `t-${key}`, response: response(bodyBytes), ttlMs })).toBe(true);
}

describe('MemoryStore bounds in records', () => {
  it('never holds more than maxEntries records, evicting completed ones oldest first', async () => {
    const store = new MemoryStore({ maxEntries: 100, sweepIntervalMs: 0 });
    for (let i = 0; i < 1000; i++) await completed(store, `k${i}`);
    expect(store.size).toBe(100);
    expect(await store.get('k999')).not.toBeNull();
    expect(await store.get('k900')).not.toBeNull();
    expect(await store.get('k899')).toBeNull();
  });

  it('evicts a completed record, never the older live lock, to make room', async () => {
    const store = new MemoryStore({ maxEntries: 3, sweepIntervalMs: 0 });
    await lock(store, 'live');
    await completed(store, 'done-1');
    await completed(store, 'done-2');
    expect(await lock(store, 'new')).toEqual({ acquired: true });
    expect((await store.get('live'))?.state).toBe('in_progress');
    expect(await store.get('done-1')).toBeNull();
    expect((await store.get('done-2'))?.state).toBe('completed');
    // The lock still fences: another token neither takes it nor frees it.
    expect((await lock(store, 'live', 60_000, 'intruder')).acquired).toBe(false);
    expect(await store.release('live', 'intruder')).toBe(false);
  });

  it('refuses a new key with a store error when every record is a live lock, and keeps them all', async () => {
    const store = new MemoryStore({ maxEntries: 4, sweepIntervalMs: 0 });
    for (const key of ['a', 'b', 'c', 'd']) await lock(store, key);
    const refused = await lock(store, 'e').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(IdempotencyStoreError);
    expect((refused as Error).message).toMatch(/live lock is never evicted/);
    expect((await store.getMany(['a', 'b', 'c', 'd'])).map((r) => r?.state)).toEqual(
      Array(4).fill('in_progress'),
    );
    // A begin retried with its own token needs no room: it is the same lock.
    expect(await lock(store, 'a')).toEqual({ acquired: true });
    // Once one of them completes, a completed record can make room again.
    expect(await store.complete({ key: 'a', token: 't-a', response: response(1), ttlMs: 60_000 })).toBe(true);
    expect(await lock(store, 'e')).toEqual({ acquired: true });
    expect(await store.get('a')).toBeNull();
    expect((await store.get('b'))?.state).toBe('in_progress');
  });

  it('drops expired records before any completed one, wherever they sit in the write order', async () => {
    const store = new MemoryStore({ maxEntries: 3, sweepIntervalMs: 0 });
    await completed(store, 'done'); // the oldest write: first in line, were nothing expired
    await lock(store, 'long', 60_000);
    await lock(store, 'short', 50); // written last, expires first
    await sleep(80);
    expect(await lock(store, 'new')).toEqual({ acquired: true });
    expect((await store.get('done'))?.state).toBe('completed');
    expect((await store.get('long'))?.state).toBe('in_progress');
    expect(store.size).toBe(3);
  });

  it('takes a new key into a store full of locks once one of their leases has run out', async () => {
    const store = new MemoryStore({ maxEntries: 2, sweepIntervalMs: 0 });
    await lock(store, 'long', 60_000);
    await lock(store, 'short', 50);
    await expect(lock(store, 'new')).rejects.toThrow(IdempotencyStoreError);
    await sleep(80);
    expect(await lock(store, 'new')).toEqual({ acquired: true });
    expect((await store.get('long'))?.state).toBe('in_progress');
  });
});

describe('MemoryStore bounds in bytes', () => {
  it('declares a sixteenth of maxBytes as its record limit, 4 MiB by default', () => {
    expect(new MemoryStore().maxRecordBytes).toBe(4 * MiB);
    expect(new MemoryStore({ maxBytes: 16 * MiB }).maxRecordBytes).toBe(MiB);
    expect(() => new MemoryStore({ maxBytes: 100 })).toThrow(RangeError);
    expect(() => new MemoryStore({ maxBytes: Number.POSITIVE_INFINITY })).toThrow(RangeError);
  });

  it('stays under maxBytes while storing many 1 MiB responses, keeping the newest', async () => {
    const store = new MemoryStore({ maxBytes: 20 * MiB, sweepIntervalMs: 0 });
    for (let i = 0; i < 100; i++) {
      await completed(store, `big${i}`, MiB);
      expect(store.bytes).toBeLessThanOrEqual(20 * MiB);
    }
    expect(store.size).toBeLessThan(20);
    expect(store.size).toBeGreaterThan(15);
    expect((await store.get('big99'))?.response?.body?.byteLength).toBe(MiB);
    expect(await store.get('big0')).toBeNull();
  });

  it('counts what it holds and gives the bytes back when records go', async () => {
    const store = new MemoryStore({ sweepIntervalMs: 0 });
    await completed(store, 'one', 1000);
    // body + header name and value + key + fingerprint
    expect(store.bytes).toBe(1000 + 'content-type'.length + 'application/octet-stream'.length + 3 + 64);
    await lock(store, 'two');
    await store.delete('one');
    expect(store.bytes).toBe(3 + 64 + 't-two'.length);
    await store.release('two', 't-two');
    expect(store.bytes).toBe(0);
  });

  it('rejects a complete over maxRecordBytes with IdempotencyRecordTooLargeError and keeps the lock', async () => {
    const store = new MemoryStore({ maxBytes: 16 * 1024, sweepIntervalMs: 0 });
    await completed(store, 'small', 100);
    await lock(store, 'huge');
    const error = await store
      .complete({ key: 'huge', token: 't-huge', response: response(2 * 1024), ttlMs: 60_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyRecordTooLargeError);
    expect((await store.get('huge'))?.state).toBe('in_progress');
    expect((await lock(store, 'huge', 60_000, 'other')).acquired).toBe(false);
    expect((await store.get('small'))?.state).toBe('completed');
    // What the wrapper does next: the same response without its body.
    const withoutBody = { ...response(0), body: null };
    expect(await store.complete({ key: 'huge', token: 't-huge', response: withoutBody, ttlMs: 60_000 })).toBe(
      true,
    );
    expect((await store.get('huge'))?.response?.body).toBeNull();
  });

  it('refuses a new key when live locks hold every byte', async () => {
    const store = new MemoryStore({ maxBytes: 1024, sweepIntervalMs: 0 });
    let taken = 0;
    for (let i = 0; i < 100; i++) {
      const result = await lock(store, `lock-${i}`).catch((error: unknown) => error);
      if (result instanceof IdempotencyStoreError) break;
      taken++;
    }
    expect(taken).toBeGreaterThan(5);
    expect(taken).toBeLessThan(100);
    expect(store.bytes).toBeLessThanOrEqual(1024);
    expect(store.size).toBe(taken);
  });
});

describe('MemoryStore#clear', () => {
  it('drops every record, locks included, and stays usable', async () => {
    const store = new MemoryStore({ sweepIntervalMs: 0 });
    await completed(store, 'done');
    await lock(store, 'running');
    store.clear();
    expect(store.size).toBe(0);
    expect(store.bytes).toBe(0);
    expect(await store.get('done')).toBeNull();
    expect(await store.get('running')).toBeNull();
    expect(await lock(store, 'running', 60_000, 'another')).toEqual({ acquired: true });
    expect(
      await store.complete({ key: 'running', token: 't-running', response: response(1), ttlMs: 1 }),
    ).toBe(false);
  });
});
