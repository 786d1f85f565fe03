import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { DurableObjectStore } from '../../src/stores/cloudflare/index.ts';
import type { StoredResponse } from '../../src/types.ts';

const store = new DurableObjectStore({ namespace: env.IDEMPOTENCY });
const fingerprint = 'f'.repeat(64);
const response: StoredResponse = {
  status: 201,
  headers: [['content-type', 'text/plain']],
  body: Uint8Array.of(1, 2),
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fresh key and the stub of its object, the way the store addresses it. */
function newKey() {
  const key = `object:${crypto.randomUUID()}`;
  return { key, stub: env.IDEMPOTENCY.get(env.IDEMPOTENCY.idFromName(key)) };
}

/** What the object has stored: its own tables (not the runtime's `_cf_*`) and its alarm. */
function storageOf(stub: DurableObjectStub) {
  return runInDurableObject(stub, async (_object, state) => ({
    tables: state.storage.sql
      .exec<{ name: string }>(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'`,
      )
      .toArray()
      .map((row) => row.name),
    alarm: await state.storage.getAlarm(),
  }));
}

const empty = { tables: [], alarm: null };

describe('IdempotencyObject alarm', () => {
  it('is set to the lease end, then moved to the end of the TTL', async () => {
    const { key, stub } = newKey();
    await store.begin({ key, fingerprint, token: 't', leaseMs: 60_000 });
    const inProgress = await store.get(key);
    expect((await storageOf(stub)).alarm).toBe(inProgress?.expiresAt);

    await store.complete({ key, token: 't', response, ttlMs: 3_600_000 });
    const completed = await store.get(key);
    expect(completed?.expiresAt).toBeGreaterThan(inProgress?.expiresAt ?? Infinity);
    expect((await storageOf(stub)).alarm).toBe(completed?.expiresAt);
  });

  it('deletes the expired record and leaves the object with no storage at all', async () => {
    const { key, stub } = newKey();
    await store.begin({ key, fingerprint, token: 't', leaseMs: 200 });
    await store.complete({ key, token: 't', response, ttlMs: 200 });
    // Alarms fire in real time in workerd: push this one out, as a late alarm, so the helper runs it.
    await runInDurableObject(stub, (_object, state) => state.storage.setAlarm(Date.now() + 3_600_000));
    await sleep(350);
    expect((await storageOf(stub)).tables).toEqual(['idempotency_records']);

    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await storageOf(stub)).toEqual(empty);
    expect(await store.get(key)).toBeNull();
    expect((await store.begin({ key, fingerprint, token: 'next', leaseMs: 60_000 })).acquired).toBe(true);
  });

  it('keeps a record that has not expired yet and re-arms for its expiry', async () => {
    const { key, stub } = newKey();
    await store.begin({ key, fingerprint, token: 't', leaseMs: 60_000 });
    const before = await store.get(key);

    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await store.get(key)).toEqual(before);
    expect((await storageOf(stub)).alarm).toBe(before?.expiresAt);
  });

  it('fires on its own and empties the storage once the lease runs out', async () => {
    const { key, stub } = newKey();
    await store.begin({ key, fingerprint, token: 'crashed', leaseMs: 100 });
    let storage = await storageOf(stub);
    for (let attempt = 0; attempt < 100 && storage.tables.length > 0; attempt++) {
      await sleep(50);
      storage = await storageOf(stub);
    }
    expect(storage).toEqual(empty);
  });
});

describe('IdempotencyObject storage', () => {
  it('writes nothing when an unknown key is read, released or deleted', async () => {
    const { key, stub } = newKey();
    expect(await store.get(key)).toBeNull();
    expect(await store.release(key, 't')).toBe(false);
    expect(await store.delete(key)).toBe(false);
    expect(await storageOf(stub)).toEqual(empty);
  });

  it('frees all storage when the record is released or deleted', async () => {
    const released = newKey();
    await store.begin({ key: released.key, fingerprint, token: 't', leaseMs: 60_000 });
    expect(await store.release(released.key, 't')).toBe(true);
    expect(await storageOf(released.stub)).toEqual(empty);

    const deleted = newKey();
    await store.begin({ key: deleted.key, fingerprint, token: 't', leaseMs: 60_000 });
    await store.complete({ key: deleted.key, token: 't', response, ttlMs: 60_000 });
    expect(await store.delete(deleted.key)).toBe(true);
    expect(await storageOf(deleted.stub)).toEqual(empty);
  });
});

describe('IdempotencyObject restarts', () => {
  // The record is in SQLite, not in the instance: a new instance sees the same lease and token.
  for (const [how, restart] of [
    ['evicted', (stub: DurableObjectStub) => evictDurableObject(stub)],
    [
      'reset',
      (stub: DurableObjectStub) =>
        runInDurableObject(stub, (_object, state) => state.abort('reset by the test')).catch(() => undefined),
    ],
  ] as const) {
    it(`keeps the lease and the fencing when the object is ${how} mid-lease`, async () => {
      const { key, stub } = newKey();
      expect((await store.begin({ key, fingerprint, token: 'holder', leaseMs: 60_000 })).acquired).toBe(true);
      const lease = await store.get(key);

      await restart(stub);

      const duplicate = await store.begin({ key, fingerprint, token: 'intruder', leaseMs: 60_000 });
      expect(duplicate).toEqual({ acquired: false, record: lease });
      expect(await store.complete({ key, token: 'intruder', response, ttlMs: 60_000 })).toBe(false);
      expect(await store.release(key, 'intruder')).toBe(false);
      expect((await storageOf(env.IDEMPOTENCY.get(env.IDEMPOTENCY.idFromName(key)))).alarm).toBe(
        lease?.expiresAt,
      );

      expect(await store.complete({ key, token: 'holder', response, ttlMs: 60_000 })).toBe(true);
      expect((await store.get(key))?.response?.body).toEqual(response.body);
    });
  }
});
