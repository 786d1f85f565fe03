import { Redis } from '@upstash/redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type IdempotencyEvent,
  IdempotencyRecordTooLargeError,
  PROBLEM_TYPES,
  withIdempotency,
} from '../../src/index.ts';
import { UpstashStore } from '../../src/stores/upstash/index.ts';
import type { IdempotencyStore, StoredResponse } from '../../src/types.ts';
import { describeStoreContract } from '../conformance/store-contract.ts';
import { freePort } from '../helpers/free-port.ts';
import { RELAXED_TIMEOUT_MS, startUpstashBackend, type UpstashBackend } from './backend.ts';

// The store over the REST server with the client's defaults (auto-pipelining, base64
// responses, JSON parsing, retries): a round trip is one HTTP request the server received.
let backend: UpstashBackend;
beforeAll(async () => {
  backend = await startUpstashBackend();
});
afterAll(async () => {
  await backend?.stop();
});

const unreachableStore = async () =>
  new UpstashStore({
    redis: new Redis({ url: `http://127.0.0.1:${await freePort()}`, token: 'x', enableTelemetry: false }),
    timeoutMs: 500,
  });

describeStoreContract(
  'upstash',
  () => new UpstashStore({ redis: backend.client(), prefix: 'contract:', timeoutMs: RELAXED_TIMEOUT_MS }),
  {
    roundTrips: () => backend.rest.requests,
    // Nothing listens there: the client retries for seconds, the store's budget cuts it short.
    makeUnreachableStore: unreachableStore,
  },
);

// The same with every client convenience off: one command per request, raw text results.
describeStoreContract(
  'upstash (plain client)',
  () =>
    new UpstashStore({
      redis: backend.client({
        enableAutoPipelining: false,
        responseEncoding: false,
        automaticDeserialization: false,
      }),
      timeoutMs: RELAXED_TIMEOUT_MS,
    }),
  { roundTrips: () => backend.rest.requests, makeUnreachableStore: unreachableStore },
);

const fingerprint = 'c'.repeat(64);
const post = (key: string) =>
  new Request('http://store.test/orders', {
    method: 'POST',
    headers: { 'idempotency-key': key },
    body: '{}',
  });

/** The same store with no declared record limit: the wrapper learns the limit from `complete`. */
function undeclaredLimit(store: UpstashStore): IdempotencyStore {
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

describe('UpstashStore and responses over its record limit', () => {
  afterEach(() => {
    backend.rest.maxRequestBytes = 10_000_000;
  });

  it('declares three quarters of the request limit less a margin', () => {
    expect(new UpstashStore({ redis: backend.client() }).maxRecordBytes).toBe(7_400_000);
    expect(new UpstashStore({ redis: backend.client(), maxRequestBytes: 1_000_000 }).maxRecordBytes).toBe(
      650_000,
    );
    expect(() => new UpstashStore({ redis: backend.client(), maxRequestBytes: 1000 })).toThrow(RangeError);
  });

  it('rejects a complete Upstash refuses as too large with IdempotencyRecordTooLargeError, keeping the lock', async () => {
    backend.rest.maxRequestBytes = 1_000_000;
    const store = new UpstashStore({ redis: backend.client(), timeoutMs: RELAXED_TIMEOUT_MS });
    const key = `too-large:${crypto.randomUUID()}`;
    await store.begin({ key, fingerprint, token: 'holder', leaseMs: 60_000 });
    const response = { status: 201, headers: [], body: new Uint8Array(800_000) } satisfies StoredResponse;
    const error = await store
      .complete({ key, token: 'holder', response, ttlMs: 60_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyRecordTooLargeError);
    expect((error as Error).message).toBe('upstash store: complete failed: ERR max request size exceeded');
    expect((await store.begin({ key, fingerprint, token: 'other', leaseMs: 60_000 })).acquired).toBe(false);
    expect(
      await store.complete({ key, token: 'holder', response: { ...response, body: null }, ttlMs: 60_000 }),
    ).toBe(true);
    expect((await store.get(key))?.response?.body).toBeNull();
  });

  // Need the wrapper side of issue 12 item 2 (maxRecordBytes, and a retry without the body).
  it.each([
    ['just over the declared limit', false],
    ['over the request limit, limit not declared: refused, completed again without the body', true],
  ])('completes a response %s as not_retained and never runs it again', async (_name, hideLimit) => {
    if (hideLimit) backend.rest.maxRequestBytes = 1_000_000;
    const store = new UpstashStore({ redis: backend.client(), timeoutMs: RELAXED_TIMEOUT_MS });
    const size = hideLimit ? 1_000_000 : store.maxRecordBytes + 1;
    const events: IdempotencyEvent[] = [];
    let runs = 0;
    const serve = withIdempotency(
      async () => {
        runs++;
        return new Response(new Uint8Array(size).fill(1), { status: 201 });
      },
      {
        store: hideLimit ? undeclaredLimit(store) : store,
        maxResponseBytes: 16 * 1024 * 1024,
        onEvent: (event) => events.push(event),
      },
    );
    const key = crypto.randomUUID();
    const first = await serve(post(key));
    expect(first.status).toBe(201);
    expect((await first.arrayBuffer()).byteLength).toBe(size);
    expect(events.map((event) => event.type)).toContain('not_retained');
    expect(events.map((event) => event.type)).not.toContain('stored');
    for (let i = 0; i < 2; i++) {
      const replay = await serve(post(key));
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect((await replay.json()).type).toBe(PROBLEM_TYPES.notRetained);
    }
    expect(runs).toBe(1);
  });
});
