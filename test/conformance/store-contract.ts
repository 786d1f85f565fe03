/**
 * The one contract every store passes, against its real backend. A store's test file starts
 * the backend, then calls `describeStoreContract`. Runs unchanged in Node and in workerd, so
 * it imports nothing but vitest and the core.
 */
import { describe, expect, it } from 'vitest';
import { IdempotencyRecordTooLargeError, IdempotencyStoreError } from '../../src/errors.ts';
import type { IdempotencyEvent } from '../../src/options.ts';
import { PROBLEM_TYPES } from '../../src/problem.ts';
import { type IdempotencyStore, type StoredResponse, storedResponseSize } from '../../src/types.ts';
import { withIdempotency } from '../../src/with-idempotency.ts';

export interface StoreContractOptions {
  /** Backend round trips (HTTP requests, SDK calls, RPC calls) made so far. */
  roundTrips: () => number;
  /** A store of the same kind whose backend cannot be reached. */
  makeUnreachableStore: () => IdempotencyStore | Promise<IdempotencyStore>;
  /** A lease or TTL short enough to wait out in a test; default 400 ms. */
  shortMs?: number;
  /** Concurrent begins on one key; default 200. */
  concurrency?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const randomHex = () => hex(crypto.getRandomValues(new Uint8Array(32)));
const randomBytes = (n: number) => {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(out.subarray(at, at + 65536));
  return out;
};

/**
 * A response whose `storedResponseSize` is exactly `size`. Random bytes: a store that compresses
 * must still keep the worst case it declares.
 */
function responseOfSize(size: number): StoredResponse {
  const headers: Array<[string, string]> = [['content-type', 'application/octet-stream']];
  const body = randomBytes(size - storedResponseSize({ status: 200, headers, body: null }));
  return { status: 200, headers, body };
}

function sameBytes(a: Uint8Array | null | undefined, b: Uint8Array | null): boolean {
  if (!a || !b || a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Largest record the contract writes: a store may declare far more (SQLite's ~1 GB), and the
 * suite is not a load test. Such a store is held to this size, and to its own limit elsewhere.
 */
const AFFORDABLE_RECORD_BYTES = 16 * 1024 * 1024;

const okResponse = (body = 'ok'): StoredResponse => ({
  status: 201,
  headers: [['content-type', 'text/plain']],
  body: new TextEncoder().encode(body),
});

export function describeStoreContract(
  name: string,
  makeStore: () => IdempotencyStore | Promise<IdempotencyStore>,
  options: StoreContractOptions,
): void {
  const shortMs = options.shortMs ?? 400;
  const concurrency = options.concurrency ?? 200;
  const newKey = () => `contract:${name}:${crypto.randomUUID()}`;

  describe(`${name} store contract`, () => {
    it('takes a new key, reports it in progress, then replays the completed response', async () => {
      const store = await makeStore();
      const key = newKey();
      const fingerprint = randomHex();
      const token = crypto.randomUUID();
      const before = Date.now();

      expect(await store.begin({ key, fingerprint, token, leaseMs: 60_000 })).toEqual({ acquired: true });

      const conflict = await store.begin({ key, fingerprint, token: crypto.randomUUID(), leaseMs: 60_000 });
      expect(conflict.acquired).toBe(false);
      if (conflict.acquired) return;
      expect(conflict.record.state).toBe('in_progress');
      expect(conflict.record.fingerprint).toBe(fingerprint);
      expect(conflict.record.expiresAt).toBeGreaterThan(before);
      expect(conflict.record.expiresAt).toBeLessThanOrEqual(Date.now() + 60_000 + 1000);
      expect(conflict.record.response).toBeUndefined();

      expect(await store.complete({ key, token, response: okResponse('first'), ttlMs: 60_000 })).toBe(true);

      const replay = await store.begin({
        key,
        fingerprint: randomHex(),
        token: crypto.randomUUID(),
        leaseMs: 60_000,
      });
      expect(replay.acquired).toBe(false);
      if (replay.acquired) return;
      expect(replay.record.state).toBe('completed');
      expect(replay.record.fingerprint).toBe(fingerprint);
      expect(replay.record.response?.status).toBe(201);
      expect(replay.record.response?.headers).toEqual([['content-type', 'text/plain']]);
      expect(new TextDecoder().decode(replay.record.response?.body ?? undefined)).toBe('first');
      expect(replay.record.expiresAt).toBeGreaterThan(Date.now() + 50_000);
    });

    it('costs 2 round trips for a new request, 1 for a replay and 1 for a conflict', async () => {
      const store = await makeStore();
      const key = newKey();
      const fingerprint = randomHex();
      const token = crypto.randomUUID();
      // Warm-up on another key, so one-time costs (script loading, connections) are not counted.
      const warm = newKey();
      await store.begin({ key: warm, fingerprint, token, leaseMs: 60_000 });
      await store.complete({ key: warm, token, response: okResponse(), ttlMs: 60_000 });
      await store.begin({ key: warm, fingerprint, token, leaseMs: 60_000 });
      await store.release(warm, token);

      let start = options.roundTrips();
      await store.begin({ key, fingerprint, token, leaseMs: 60_000 });
      const conflictStart = options.roundTrips();
      await store.begin({ key, fingerprint, token: crypto.randomUUID(), leaseMs: 60_000 });
      expect(options.roundTrips() - conflictStart, 'conflict').toBe(1);
      const completeStart = options.roundTrips();
      await store.complete({ key, token, response: okResponse(), ttlMs: 60_000 });
      expect(conflictStart - start + (options.roundTrips() - completeStart), 'new').toBe(2);

      start = options.roundTrips();
      const replay = await store.begin({ key, fingerprint, token: crypto.randomUUID(), leaseMs: 60_000 });
      expect(replay.acquired).toBe(false);
      expect(options.roundTrips() - start, 'replay').toBe(1);
    });

    it('acquires again for a begin retried with its own token (its first answer was lost)', async () => {
      const store = await makeStore();
      const key = newKey();
      const fingerprint = randomHex();
      expect(await store.begin({ key, fingerprint, token: 'mine', leaseMs: 60_000 })).toEqual({
        acquired: true,
      });
      expect(await store.begin({ key, fingerprint, token: 'mine', leaseMs: 60_000 })).toEqual({
        acquired: true,
      });
      expect((await store.begin({ key, fingerprint, token: 'other', leaseMs: 60_000 })).acquired).toBe(false);
      expect(await store.complete({ key, token: 'mine', response: okResponse(), ttlMs: 60_000 })).toBe(true);
      // Once completed, the same token no longer takes anything: it gets the replay.
      const after = await store.begin({ key, fingerprint, token: 'mine', leaseMs: 60_000 });
      expect(after.acquired).toBe(false);
    });

    it('frees a key whose holder crashed once its lease runs out', async () => {
      const store = await makeStore();
      const key = newKey();
      const fingerprint = randomHex();
      expect((await store.begin({ key, fingerprint, token: 'crashed', leaseMs: shortMs })).acquired).toBe(
        true,
      );
      expect((await store.begin({ key, fingerprint, token: 'early', leaseMs: shortMs })).acquired).toBe(
        false,
      );
      await sleep(shortMs + 150);
      expect(await store.get(key)).toBeNull();
      expect((await store.begin({ key, fingerprint, token: 'next', leaseMs: 60_000 })).acquired).toBe(true);
    });

    it('fences a stale holder: its token can neither complete nor release the newer lock', async () => {
      const store = await makeStore();
      const key = newKey();
      const fingerprint = randomHex();
      await store.begin({ key, fingerprint, token: 'stale', leaseMs: shortMs });
      await sleep(shortMs + 150);
      expect((await store.begin({ key, fingerprint, token: 'fresh', leaseMs: 60_000 })).acquired).toBe(true);

      expect(
        await store.complete({ key, token: 'stale', response: okResponse('stale'), ttlMs: 60_000 }),
      ).toBe(false);
      expect(await store.release(key, 'stale')).toBe(false);
      expect((await store.get(key))?.state).toBe('in_progress');

      expect(
        await store.complete({ key, token: 'fresh', response: okResponse('fresh'), ttlMs: 60_000 }),
      ).toBe(true);
      const record = await store.get(key);
      expect(new TextDecoder().decode(record?.response?.body ?? undefined)).toBe('fresh');
    });

    it('refuses to complete after the lease ran out, even if nobody took the key', async () => {
      const store = await makeStore();
      const key = newKey();
      await store.begin({ key, fingerprint: randomHex(), token: 'slow', leaseMs: shortMs });
      await sleep(shortMs + 150);
      expect(await store.complete({ key, token: 'slow', response: okResponse(), ttlMs: 60_000 })).toBe(false);
      expect(await store.get(key)).toBeNull();
    });

    it('refuses to complete or release a key that was never taken, or with a wrong token', async () => {
      const store = await makeStore();
      const key = newKey();
      expect(await store.complete({ key, token: 'nobody', response: okResponse(), ttlMs: 60_000 })).toBe(
        false,
      );
      expect(await store.release(key, 'nobody')).toBe(false);
      expect(await store.get(key)).toBeNull();

      await store.begin({ key, fingerprint: randomHex(), token: 'holder', leaseMs: 60_000 });
      expect(await store.complete({ key, token: 'intruder', response: okResponse(), ttlMs: 60_000 })).toBe(
        false,
      );
      expect(await store.release(key, 'intruder')).toBe(false);
      expect((await store.get(key))?.state).toBe('in_progress');
    });

    it('releases with the right token so the key can be taken again', async () => {
      const store = await makeStore();
      const key = newKey();
      const fingerprint = randomHex();
      await store.begin({ key, fingerprint, token: 'first', leaseMs: 60_000 });
      expect(await store.release(key, 'first')).toBe(true);
      expect(await store.get(key)).toBeNull();
      expect((await store.begin({ key, fingerprint, token: 'second', leaseMs: 60_000 })).acquired).toBe(true);
    });

    it('does not release a completed record', async () => {
      const store = await makeStore();
      const key = newKey();
      await store.begin({ key, fingerprint: randomHex(), token: 't', leaseMs: 60_000 });
      await store.complete({ key, token: 't', response: okResponse(), ttlMs: 60_000 });
      expect(await store.release(key, 't')).toBe(false);
      expect((await store.get(key))?.state).toBe('completed');
    });

    it('forgets a completed record after its TTL', async () => {
      const store = await makeStore();
      const key = newKey();
      const fingerprint = randomHex();
      await store.begin({ key, fingerprint, token: 't', leaseMs: 60_000 });
      expect(await store.complete({ key, token: 't', response: okResponse(), ttlMs: shortMs })).toBe(true);
      expect((await store.get(key))?.state).toBe('completed');
      await sleep(shortMs + 150);
      expect(await store.get(key)).toBeNull();
      expect((await store.begin({ key, fingerprint, token: 'again', leaseMs: 60_000 })).acquired).toBe(true);
    });

    it('round-trips binary bodies, invalid UTF-8 and repeated headers byte for byte', async () => {
      const store = await makeStore();
      const every = Uint8Array.from({ length: 256 }, (_, i) => i);
      const bodies = [
        every,
        Uint8Array.of(0xef, 0xbb, 0xbf, 0x41), // a BOM a text decoder would drop
        Uint8Array.of(0xff, 0xfe, 0x80, 0xc3, 0x28, 0x00), // not UTF-8 at all
        new TextEncoder().encode('123'), // would be parsed as a JSON number
        new TextEncoder().encode('"quoted"'),
        new Uint8Array(0),
        randomBytes(100 * 1024),
      ];
      for (const body of bodies) {
        const key = newKey();
        const response: StoredResponse = {
          status: 200,
          headers: [
            ['content-type', 'application/octet-stream'],
            ['set-cookie', 'a=1; Path=/'],
            ['set-cookie', 'b=2; Path=/'],
            ['x-latin-1', 'caf\u00e9 \u00bd'], // what a Headers value may hold: Latin-1, not UTF-8
          ],
          body,
        };
        await store.begin({ key, fingerprint: randomHex(), token: 't', leaseMs: 60_000 });
        expect(await store.complete({ key, token: 't', response, ttlMs: 60_000 })).toBe(true);
        const record = await store.get(key);
        expect(record?.response?.headers).toEqual(response.headers);
        expect(record?.response?.body).toBeInstanceOf(Uint8Array);
        expect(hex(record?.response?.body ?? new Uint8Array(1))).toBe(hex(body));
      }
    });

    it('keeps a response whose body was not retained, and a 204 with an empty body', async () => {
      const store = await makeStore();
      for (const response of [
        { status: 200, headers: [['x-big', 'yes']], body: null },
        { status: 204, headers: [], body: new Uint8Array(0) },
      ] satisfies StoredResponse[]) {
        const key = newKey();
        await store.begin({ key, fingerprint: randomHex(), token: 't', leaseMs: 60_000 });
        await store.complete({ key, token: 't', response, ttlMs: 60_000 });
        const record = await store.get(key);
        expect(record?.response?.status).toBe(response.status);
        expect(record?.response?.headers).toEqual(response.headers);
        expect(record?.response?.body === null).toBe(response.body === null);
      }
    });

    it('declares maxRecordBytes, if at all, as a positive whole number of bytes', async () => {
      const { maxRecordBytes } = await makeStore();
      if (maxRecordBytes === undefined) return;
      expect(Number.isSafeInteger(maxRecordBytes)).toBe(true);
      expect(maxRecordBytes).toBeGreaterThan(0);
    });

    it('keeps a response of exactly its declared maxRecordBytes (at most 16 MiB) byte for byte', async () => {
      const store = await makeStore();
      // A store that declares no limit (one that compresses cannot know it in advance) is held
      // to the next case instead: keep a large record or refuse it typed, never free the key.
      if (store.maxRecordBytes === undefined) return;
      const key = newKey();
      const response = responseOfSize(Math.min(store.maxRecordBytes, AFFORDABLE_RECORD_BYTES));
      await store.begin({ key, fingerprint: randomHex(), token: 't', leaseMs: 60_000 });
      expect(await store.complete({ key, token: 't', response, ttlMs: 60_000 })).toBe(true);
      const record = await store.get(key);
      expect(record?.response?.headers).toEqual(response.headers);
      expect(sameBytes(record?.response?.body, response.body)).toBe(true);
    });

    it('refuses a response far over its limit (1 MiB with none declared) with IdempotencyRecordTooLargeError, or keeps it, never freeing the key', async () => {
      const store = await makeStore();
      if (store.maxRecordBytes !== undefined && store.maxRecordBytes > AFFORDABLE_RECORD_BYTES) return;
      const key = newKey();
      const fingerprint = randomHex();
      const response = responseOfSize(
        store.maxRecordBytes === undefined ? 1024 * 1024 : Math.ceil(store.maxRecordBytes * 1.5),
      );
      await store.begin({ key, fingerprint, token: 'holder', leaseMs: 60_000 });
      const outcome = await store
        .complete({ key, token: 'holder', response, ttlMs: 60_000 })
        .catch((e: unknown) => e);
      if (outcome !== true) expect(outcome).toBeInstanceOf(IdempotencyRecordTooLargeError);
      // Refused or kept, the key is not free: another token gets the live lock or the replay.
      const other = await store.begin({ key, fingerprint, token: 'other', leaseMs: 60_000 });
      expect(other.acquired).toBe(false);
      if (other.acquired) return;
      expect(other.record.state).toBe(outcome === true ? 'completed' : 'in_progress');
    });

    it(`lets exactly one of ${concurrency} concurrent begins on one key acquire it`, async () => {
      const store = await makeStore();
      const key = newKey();
      const fingerprint = randomHex();
      const results = await Promise.all(
        Array.from({ length: concurrency }, (_, i) =>
          store.begin({ key, fingerprint, token: `t${i}`, leaseMs: 60_000 }),
        ),
      );
      expect(results.filter((r) => r.acquired)).toHaveLength(1);
      for (const result of results) {
        if (!result.acquired) expect(result.record.state).toBe('in_progress');
      }
    });

    it('keeps keys apart', async () => {
      const store = await makeStore();
      const [a, b] = [newKey(), newKey()];
      await store.begin({ key: a, fingerprint: randomHex(), token: 'a', leaseMs: 60_000 });
      expect(
        (await store.begin({ key: b, fingerprint: randomHex(), token: 'b', leaseMs: 60_000 })).acquired,
      ).toBe(true);
      expect(await store.release(b, 'a')).toBe(false);
    });

    it('gets, deletes and batch-gets / batch-deletes records for operators', async () => {
      const store = await makeStore();
      const [a, b, c] = [newKey(), newKey(), newKey()];
      const fingerprint = randomHex();
      expect(await store.get(a)).toBeNull();
      expect(await store.delete(a)).toBe(false);

      await store.begin({ key: a, fingerprint, token: 'a', leaseMs: 60_000 });
      await store.begin({ key: b, fingerprint, token: 'b', leaseMs: 60_000 });
      await store.complete({ key: b, token: 'b', response: okResponse('b'), ttlMs: 60_000 });

      const many = await store.getMany([a, c, b]);
      expect(many.map((r) => r?.state ?? null)).toEqual(['in_progress', null, 'completed']);
      expect(await store.getMany([])).toEqual([]);

      expect(await store.delete(a)).toBe(true);
      expect(await store.get(a)).toBeNull();
      expect((await store.begin({ key: a, fingerprint, token: 'again', leaseMs: 60_000 })).acquired).toBe(
        true,
      );

      expect(await store.deleteMany([a, b, c])).toBe(2);
      expect(await store.getMany([a, b, c])).toEqual([null, null, null]);
      expect(await store.deleteMany([])).toBe(0);
    });

    it('surfaces a backend failure as IdempotencyStoreError', async () => {
      const store = await options.makeUnreachableStore();
      const attempts = [
        () => store.begin({ key: newKey(), fingerprint: randomHex(), token: 't', leaseMs: 1000 }),
        () => store.complete({ key: newKey(), token: 't', response: okResponse(), ttlMs: 1000 }),
        () => store.release(newKey(), 't'),
        () => store.get(newKey()),
        () => store.delete(newKey()),
      ];
      for (const attempt of attempts) {
        const error = await attempt().then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(IdempotencyStoreError);
        expect((error as IdempotencyStoreError).store).toBe(store.name);
      }
    });
  });
}

/** The same store with no declared record limit: the wrapper then learns it from `complete`. */
export function withoutRecordLimit(store: IdempotencyStore): IdempotencyStore {
  return {
    name: store.name,
    begin: (input) => store.begin(input),
    complete: (input) => store.complete(input),
    release: (key, token) => store.release(key, token),
    get: (key) => store.get(key),
    delete: (key) => store.delete(key),
    getMany: (keys) => store.getMany(keys),
    deleteMany: (keys) => store.deleteMany(keys),
  };
}

/**
 * Through the wrapper, a response of `size` body bytes that `store` cannot keep: reported
 * `not_retained` (never `stored`), the first caller gets it whole, two duplicates get its status
 * and headers with the not-retained problem, and the handler ran once.
 */
export async function expectNotRetainedThroughWrapper(store: IdempotencyStore, size: number): Promise<void> {
  const events: IdempotencyEvent[] = [];
  let runs = 0;
  const serve = withIdempotency(
    async (_request: Request) => {
      runs++;
      return new Response(randomBytes(size), { status: 201, headers: { 'x-order': '42' } });
    },
    { store, maxResponseBytes: 64 * 1024 * 1024, onEvent: (event) => events.push(event) },
  );
  const key = crypto.randomUUID();
  const post = () =>
    new Request('http://store.test/orders', {
      method: 'POST',
      headers: { 'idempotency-key': key },
      body: '{}',
    });

  const first = await serve(post());
  expect(first.status).toBe(201);
  expect((await first.arrayBuffer()).byteLength).toBe(size);
  const types = events.map((event) => event.type);
  expect(types).toContain('not_retained');
  expect(types).not.toContain('stored');
  for (let i = 0; i < 2; i++) {
    const replay = await serve(post());
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.headers.get('x-order')).toBe('42');
    expect(((await replay.json()) as { type: string }).type).toBe(PROBLEM_TYPES.notRetained);
  }
  expect(runs).toBe(1);
}

/**
 * `complete` of a `size`-byte body that the backend refuses (bypassing the declared limit):
 * rejects with `IdempotencyRecordTooLargeError`, the lock stays with its holder (another token
 * does not take it), and the holder can complete without the body. Answers the error.
 */
export async function expectTooLargeRefusedKeepingLock(
  store: IdempotencyStore,
  size: number,
): Promise<IdempotencyRecordTooLargeError> {
  const key = `too-large:${crypto.randomUUID()}`;
  const fingerprint = randomHex();
  await store.begin({ key, fingerprint, token: 'holder', leaseMs: 60_000 });
  const response: StoredResponse = { status: 201, headers: [], body: new Uint8Array(size) };
  const error = await store
    .complete({ key, token: 'holder', response, ttlMs: 60_000 })
    .catch((e: unknown) => e);
  expect(error, `${size} bytes`).toBeInstanceOf(IdempotencyRecordTooLargeError);
  expect((error as IdempotencyRecordTooLargeError).store).toBe(store.name);
  expect((await store.begin({ key, fingerprint, token: 'other', leaseMs: 60_000 })).acquired).toBe(false);
  expect(
    await store.complete({ key, token: 'holder', response: { ...response, body: null }, ttlMs: 60_000 }),
  ).toBe(true);
  expect((await store.get(key))?.response?.body).toBeNull();
  return error as IdempotencyRecordTooLargeError;
}
