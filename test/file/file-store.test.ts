import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { IdempotencyStoreError, type MemoryStore, withIdempotency } from '../../src/index.ts';
import { FileStore } from '../../src/stores/file/index.ts';
import { isTooBig } from '../../src/stores/file/sqlite.ts';
import { describeStoreContract } from '../conformance/store-contract.ts';
import { countRoundTrips } from '../helpers/count-round-trips.ts';

const dir = mkdtempSync(join(tmpdir(), 'edge-idempotency-file-'));
const stores: FileStore[] = [];
afterAll(() => {
  for (const store of stores) store.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(name = 'records.sqlite', options: { sweepIntervalMs?: number } = {}): FileStore {
  const store = new FileStore({ path: join(dir, name), ...options });
  stores.push(store);
  return store;
}

const fingerprint = 'a'.repeat(64);
const binary = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);

// SQLite runs in this process, so a round trip is one call into the store (one transaction).
const counter = { calls: 0 };
describeStoreContract('file', () => countRoundTrips(open(), counter), {
  roundTrips: () => counter.calls,
  // A directory that does not exist: SQLite cannot open the file.
  makeUnreachableStore: () => new FileStore({ path: join(dir, 'missing', 'records.sqlite') }),
});

describe('FileStore', () => {
  it('keeps records across close and reopen, locks included', async () => {
    const first = open('persist.sqlite');
    await first.begin({ key: 'done', fingerprint, token: 't1', leaseMs: 60_000 });
    await first.complete({
      key: 'done',
      token: 't1',
      response: { status: 201, headers: [['content-type', 'application/octet-stream']], body: binary },
      ttlMs: 60_000,
    });
    await first.begin({ key: 'running', fingerprint, token: 't2', leaseMs: 60_000 });
    first.close();
    await expect(first.get('done')).rejects.toThrow(IdempotencyStoreError);

    const second = open('persist.sqlite');
    const replay = await second.begin({ key: 'done', fingerprint, token: 'other', leaseMs: 60_000 });
    expect(replay.acquired).toBe(false);
    if (replay.acquired) return;
    expect(replay.record.state).toBe('completed');
    expect(replay.record.response?.status).toBe(201);
    expect(replay.record.response?.body).toEqual(binary);

    // The lock taken before the restart still holds, and only its token completes it.
    expect(
      (await second.begin({ key: 'running', fingerprint, token: 'other', leaseMs: 60_000 })).acquired,
    ).toBe(false);
    expect(await second.release('running', 'other')).toBe(false);
    expect(await second.release('running', 't2')).toBe(true);
  });

  it('sweeps expired rows out of the file, leaving live ones', async () => {
    const store = open('sweep.sqlite', { sweepIntervalMs: 0 });
    await store.begin({ key: 'short', fingerprint, token: 't', leaseMs: 1 });
    await store.begin({ key: 'long', fingerprint, token: 't', leaseMs: 60_000 });
    const raw = new DatabaseSync(join(dir, 'sweep.sqlite'));
    const count = () =>
      (raw.prepare('SELECT count(*) AS n FROM idempotency_records').get() as { n: number }).n;
    try {
      expect(count()).toBe(2);
      store.sweep(Date.now() + 1_000);
      expect(count()).toBe(1);
      expect((await store.get('long'))?.state).toBe('in_progress');
    } finally {
      raw.close();
    }
  });

  it('answers a row it did not write as a store error, not a record', async () => {
    const store = open('corrupt.sqlite');
    await store.begin({ key: 'k', fingerprint, token: 't', leaseMs: 60_000 });
    const raw = new DatabaseSync(join(dir, 'corrupt.sqlite'));
    raw
      .prepare("UPDATE idempotency_records SET state = 'completed', response = ? WHERE key = 'k'")
      .run(Uint8Array.of(9, 9, 9));
    raw.close();
    const error = await store.get('k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyStoreError);
    expect((error as Error).message).toMatch(/corrupt/);
    await expect(store.begin({ key: 'k', fingerprint, token: 'u', leaseMs: 1000 })).rejects.toThrow(
      IdempotencyStoreError,
    );
  });

  it('declares a record limit below SQLite’s, and knows SQLite’s too-big failure when it sees one', () => {
    expect(open('too-big.sqlite').maxRecordBytes).toBeLessThan(1_000_000_000);
    // complete maps this failure to IdempotencyRecordTooLargeError. Provoking it through
    // complete needs a body over SQLite's 1e9-byte limit (2 GB of memory and ~20 s here to
    // encode), so the real error comes from zeroblob, which SQLite checks before allocating.
    const raw = new DatabaseSync(':memory:');
    const error = (() => {
      try {
        raw.prepare('SELECT zeroblob(1000000001)').get();
      } catch (e) {
        return e;
      }
    })();
    raw.close();
    expect(isTooBig(error)).toBe(true);
    expect(isTooBig(new Error('disk I/O error'))).toBe(false);
  });

  it('answers 503 through the wrapper while the file cannot be opened, and works once it can', async () => {
    const missing = join(dir, 'created-later');
    const store = open(join('created-later', 'records.sqlite'));
    let runs = 0;
    const handler = withIdempotency(
      async () => {
        runs++;
        return new Response('made', { status: 201 });
      },
      { store },
    );
    const request = () =>
      new Request('http://localhost/orders', {
        method: 'POST',
        headers: { 'idempotency-key': 'k' },
        body: 'x',
      });
    const unavailable = await handler(request());
    expect(unavailable.status).toBe(503);
    expect(runs).toBe(0);

    mkdirSync(missing);
    expect((await handler(request())).status).toBe(201);
    expect((await handler(request())).headers.get('idempotent-replayed')).toBe('true');
    expect(runs).toBe(1);
  });

  it('refuses a missing path with a TypeError', () => {
    expect(() => new FileStore({} as { path: string })).toThrow(TypeError);
  });

  it('replays a binary response byte for byte through withIdempotency, from another FileStore on the same file', async () => {
    let runs = 0;
    const handler = (store: FileStore | MemoryStore) =>
      withIdempotency(
        async (request: Request) => {
          runs++;
          const body = new Uint8Array(await request.arrayBuffer());
          return new Response(
            body.map((b) => 255 - b),
            {
              status: 201,
              headers: { 'content-type': 'application/octet-stream', 'x-run': String(runs) },
            },
          );
        },
        { store },
      );
    const request = () =>
      new Request('http://localhost/orders', {
        method: 'POST',
        headers: { 'idempotency-key': 'order-1' },
        body: binary,
      });
    const first = await handler(open('wrapper.sqlite'))(request());
    const firstBody = new Uint8Array(await first.arrayBuffer());
    const replay = await handler(open('wrapper.sqlite'))(request());
    expect(runs).toBe(1);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.headers.get('x-run')).toBe('1');
    expect(new Uint8Array(await replay.arrayBuffer())).toEqual(firstBody);
    expect(firstBody).toEqual(binary.map((b) => 255 - b));

    const other = await handler(open('wrapper.sqlite'))(
      new Request('http://localhost/orders', {
        method: 'POST',
        headers: { 'idempotency-key': 'order-1' },
        body: 'different',
      }),
    );
    expect(other.status).toBe(422);
    expect(runs).toBe(1);
  });
});
