import { createHash } from 'node:crypto';
import type { RedisConfigNodejs } from '@upstash/redis';
import { Redis as CloudflareRedis } from '@upstash/redis/cloudflare';
import IORedis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdempotencyStoreError } from '../../src/errors.ts';
import { UpstashStore } from '../../src/stores/upstash/index.ts';
import { BEGIN, COMPLETE, RELEASE } from '../../src/stores/upstash/scripts.ts';
import type { StoredResponse } from '../../src/types.ts';
import { RELAXED_TIMEOUT_MS, startUpstashBackend, type UpstashBackend } from './backend.ts';

// Each trap of @upstash/redis (see FACTS.md) gets a test that fails if the store falls into it.
let backend: UpstashBackend;
let direct: IORedis;
beforeAll(async () => {
  backend = await startUpstashBackend();
  direct = new IORedis({ host: '127.0.0.1', port: backend.redisServer.port });
});
afterAll(async () => {
  direct?.disconnect();
  await backend?.stop();
});

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fingerprint = () => hex(crypto.getRandomValues(new Uint8Array(32)));
const newKey = () => `pitfall:${crypto.randomUUID()}`;
const utf8 = (text: string) => new TextEncoder().encode(text);
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => error,
  );

const clientSettings: Record<string, Partial<RedisConfigNodejs>> = {
  'the client defaults (base64 responses, JSON parsing, auto-pipelining)': {},
  'responseEncoding: false': { responseEncoding: false },
  'automaticDeserialization: false': { automaticDeserialization: false },
  'enableAutoPipelining: false': { enableAutoPipelining: false },
};

// Bodies each client setting would mangle if they travelled as text or JSON.
const trickyBodies: Record<string, Uint8Array> = {
  'invalid UTF-8': Uint8Array.of(0xff, 0xfe, 0x80, 0xc3, 0x28, 0x00, 0xed, 0xa0, 0x80),
  'a leading BOM': Uint8Array.of(0xef, 0xbb, 0xbf, 0x7b, 0x7d),
  'JSON number': utf8('123'),
  'JSON string': utf8('"x"'),
  'JSON null': utf8('null'),
  'JSON true': utf8('true'),
  'JSON object': utf8('{"a":1}'),
  'the word OK': utf8('OK'),
  'base64-looking text': utf8('T0s='),
  'every byte': Uint8Array.from({ length: 256 }, (_, i) => i),
};

describe('UpstashStore and the @upstash/redis client', () => {
  for (const [setting, config] of Object.entries(clientSettings)) {
    it(`replays bodies byte for byte with ${setting}`, async () => {
      const store = new UpstashStore({ redis: backend.client(config), timeoutMs: RELAXED_TIMEOUT_MS });
      for (const [label, body] of Object.entries(trickyBodies)) {
        const key = newKey();
        const print = fingerprint();
        const response: StoredResponse = {
          status: 200,
          headers: [
            ['content-type', 'application/octet-stream'],
            ['x-label', label],
            ['x-text', '\u00e9\u00bd "quoted" | bar'],
          ],
          body,
        };
        expect(await store.begin({ key, fingerprint: print, token: 't', leaseMs: 60_000 })).toEqual({
          acquired: true,
        });
        expect(await store.complete({ key, token: 't', response, ttlMs: 60_000 })).toBe(true);

        const replay = await store.begin({ key, fingerprint: print, token: 'u', leaseMs: 60_000 });
        const [fromGetMany] = await store.getMany([key]);
        for (const record of [replay.acquired ? null : replay.record, await store.get(key), fromGetMany]) {
          expect(record?.fingerprint, label).toBe(print);
          expect(record?.response?.headers, label).toEqual(response.headers);
          expect(hex(record?.response?.body ?? new Uint8Array(1)), label).toBe(hex(body));
        }
      }
    });
  }

  it('keeps one request per step when auto-pipelining merges same-tick calls', async () => {
    for (const autoPipelining of [true, false]) {
      const store = new UpstashStore({
        redis: backend.client({ enableAutoPipelining: autoPipelining }),
        timeoutMs: RELAXED_TIMEOUT_MS,
      });
      await store.release(newKey(), 'warm-up'); // load the scripts outside the count
      const keys = Array.from({ length: 10 }, newKey);
      const prints = keys.map(fingerprint);

      let before = backend.rest.requests;
      const taken = await Promise.all(
        keys.map((key, i) =>
          store.begin({ key, fingerprint: prints[i] ?? '', token: `t${i}`, leaseMs: 60_000 }),
        ),
      );
      expect(taken.every((result) => result.acquired)).toBe(true);
      const requests = backend.rest.requests - before;
      // Merged into fewer requests with auto-pipelining, one each without: never more.
      if (autoPipelining) expect(requests).toBeLessThan(keys.length);
      else expect(requests).toBe(keys.length);

      // Each caller gets the answer for its own key back out of the shared pipeline.
      before = backend.rest.requests;
      const conflicts = await Promise.all(
        keys.map((key, i) =>
          store.begin({ key, fingerprint: fingerprint(), token: `u${i}`, leaseMs: 60_000 }),
        ),
      );
      conflicts.forEach((result, i) => {
        expect(result.acquired ? null : result.record.fingerprint).toBe(prints[i]);
      });
      expect(backend.rest.requests - before).toBeLessThanOrEqual(keys.length);

      before = backend.rest.requests;
      await store.get(keys[0] ?? '');
      expect(backend.rest.requests - before, 'one request for one call').toBe(1);
    }
  });

  it('lets exactly one of 200 concurrent begins acquire when each is its own HTTP request', async () => {
    // Without auto-pipelining the 200 scripts arrive as 200 requests, interleaved at the server.
    const store = new UpstashStore({
      redis: backend.client({ enableAutoPipelining: false }),
      timeoutMs: RELAXED_TIMEOUT_MS,
    });
    await store.release(newKey(), 'warm-up');
    const key = newKey();
    const print = fingerprint();
    const before = backend.rest.requests;
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        store.begin({ key, fingerprint: print, token: `t${i}`, leaseMs: 60_000 }),
      ),
    );
    expect(backend.rest.requests - before).toBe(200);
    expect(results.filter((result) => result.acquired)).toHaveLength(1);
  });

  it('turns the fake answers of an aborted static signal into store errors', async () => {
    // A static `signal` that has fired makes the client resolve commands with made-up results.
    for (const enableAutoPipelining of [true, false]) {
      const store = new UpstashStore({
        redis: backend.client({ signal: AbortSignal.abort(), enableAutoPipelining, retry: false }),
      });
      const key = newKey();
      for (const attempt of [
        store.begin({ key, fingerprint: fingerprint(), token: 't', leaseMs: 60_000 }),
        store.complete({ key, token: 't', response: { status: 200, headers: [], body: null }, ttlMs: 1000 }),
        store.release(key, 't'),
      ]) {
        expect(await failure(attempt)).toBeInstanceOf(IdempotencyStoreError);
      }
    }
  });

  it('turns values it did not write into store errors, never into a replay or a free key', async () => {
    const store = new UpstashStore({ redis: backend.client(), timeoutMs: RELAXED_TIMEOUT_MS });
    const print = fingerprint();
    const foreign = [
      '123',
      '{"state":"completed"}',
      'garbage',
      `C|1|${print}|not base64!`,
      `C|1|${print}|${Buffer.from([9, 9, 9]).toString('base64')}`,
      `P|soon|${print}|token`,
      'P|1|not-a-fingerprint|token',
    ];
    for (const value of foreign) {
      const key = newKey();
      await direct.set(key, value, 'PX', 60_000);
      const begin = await failure(store.begin({ key, fingerprint: print, token: 't', leaseMs: 60_000 }));
      expect(begin, value).toBeInstanceOf(IdempotencyStoreError);
      expect((begin as Error).message).toMatch(/did not write/);
      expect(await failure(store.get(key)), value).toBeInstanceOf(IdempotencyStoreError);
      expect(await failure(store.getMany([key])), value).toBeInstanceOf(IdempotencyStoreError);
      expect(await direct.get(key), 'left as it was').toBe(value);
    }
    const hash = newKey();
    await direct.hset(hash, 'a', '1');
    const wrongType = await failure(
      store.begin({ key: hash, fingerprint: print, token: 't', leaseMs: 60_000 }),
    );
    expect(wrongType).toBeInstanceOf(IdempotencyStoreError);
    expect((wrongType as Error).message).toMatch(/WRONGTYPE/);
  });

  it('refuses a fingerprint that would corrupt the record, without a request', async () => {
    const store = new UpstashStore({ redis: backend.client(), timeoutMs: RELAXED_TIMEOUT_MS });
    const before = backend.rest.requests;
    const error = await failure(
      store.begin({ key: newKey(), fingerprint: 'a|b', token: 't', leaseMs: 1000 }),
    );
    expect(error).toBeInstanceOf(IdempotencyStoreError);
    expect(backend.rest.requests).toBe(before);
  });

  it('keeps keys under its prefix, apart from another prefix', async () => {
    const one = new UpstashStore({
      redis: backend.client(),
      prefix: 'app-one:',
      timeoutMs: RELAXED_TIMEOUT_MS,
    });
    const two = new UpstashStore({
      redis: backend.client(),
      prefix: 'app-two:',
      timeoutMs: RELAXED_TIMEOUT_MS,
    });
    const key = newKey();
    expect((await one.begin({ key, fingerprint: fingerprint(), token: 't', leaseMs: 60_000 })).acquired).toBe(
      true,
    );
    expect(await direct.exists(`app-one:${key}`)).toBe(1);
    expect(await two.get(key)).toBeNull();
    expect((await two.begin({ key, fingerprint: fingerprint(), token: 't', leaseMs: 60_000 })).acquired).toBe(
      true,
    );
  });

  it('takes the Workers build of the client (@upstash/redis/cloudflare) as well', async () => {
    const redis = CloudflareRedis.fromEnv({
      UPSTASH_REDIS_REST_URL: backend.rest.url,
      UPSTASH_REDIS_REST_TOKEN: backend.rest.token,
      UPSTASH_DISABLE_TELEMETRY: '1',
    });
    const store = new UpstashStore({ redis, timeoutMs: RELAXED_TIMEOUT_MS });
    const key = newKey();
    const print = fingerprint();
    const body = Uint8Array.of(0xff, 0x00, 0xfe);
    expect((await store.begin({ key, fingerprint: print, token: 't', leaseMs: 60_000 })).acquired).toBe(true);
    expect(
      await store.complete({ key, token: 't', response: { status: 201, headers: [], body }, ttlMs: 60_000 }),
    ).toBe(true);
    const replay = await store.begin({ key, fingerprint: print, token: 'u', leaseMs: 60_000 });
    expect(
      hex(replay.acquired ? new Uint8Array(0) : (replay.record.response?.body ?? new Uint8Array(0))),
    ).toBe('ff00fe');
  });

  it('rounds fractional lease and TTL milliseconds to whole ones Redis and the record accept', async () => {
    const store = new UpstashStore({ redis: backend.client(), timeoutMs: RELAXED_TIMEOUT_MS });
    const key = newKey();
    expect(
      (await store.begin({ key, fingerprint: fingerprint(), token: 't', leaseMs: 60_000.4 })).acquired,
    ).toBe(true);
    expect((await store.get(key))?.state).toBe('in_progress');
    const response = { status: 200, headers: [], body: null };
    expect(await store.complete({ key, token: 't', response, ttlMs: 60_000.6 })).toBe(true);
    expect(Number.isInteger((await store.get(key))?.expiresAt)).toBe(true);
  });

  it('refuses a construction it cannot work with', () => {
    expect(() => new UpstashStore({} as never)).toThrow(TypeError);
    expect(() => new UpstashStore({ redis: backend.client(), timeoutMs: 0 })).toThrow(RangeError);
    expect(() => new UpstashStore({ redis: backend.client(), timeoutMs: Number.NaN })).toThrow(RangeError);
  });

  it('ships each script with the SHA-1 of its source', () => {
    for (const script of [BEGIN, COMPLETE, RELEASE]) {
      expect(script.sha1).toBe(createHash('sha1').update(script.source).digest('hex'));
    }
  });

  it('falls back to EVAL once per script when Redis does not know it', async () => {
    const store = new UpstashStore({ redis: backend.client(), timeoutMs: RELAXED_TIMEOUT_MS });
    await direct.script('FLUSH');
    const key = newKey();
    const before = backend.rest.commands.length;
    await store.begin({ key, fingerprint: fingerprint(), token: 't', leaseMs: 60_000 });
    await store.release(key, 't');
    await store.begin({ key, fingerprint: fingerprint(), token: 't', leaseMs: 60_000 });
    expect(backend.rest.commands.slice(before).map(([name]) => name)).toEqual([
      'evalsha',
      'eval',
      'evalsha',
      'eval',
      'evalsha',
    ]);
  });
});
