/**
 * Hardening on UpstashStore over the REST server and a real redis-server: the model-based
 * property tests, a scan of every byte Redis holds for secrets, and foreign values under a
 * real storage key.
 */
import IORedis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageKey } from '../../src/hashing.ts';
import { PROBLEM_TYPES, withIdempotency } from '../../src/index.ts';
import { encodeStoredResponse } from '../../src/record-codec.ts';
import { UpstashStore } from '../../src/stores/upstash/index.ts';
import { BEGIN, COMPLETE, RELEASE } from '../../src/stores/upstash/scripts.ts';
import { startUpstashBackend, type UpstashBackend } from '../upstash/backend.ts';
import { type FaultProxy, startFaultProxy } from './fault-proxy.ts';
import { BUDGET_MS, runFaultTable, SLOW_MS, type Step } from './fault-scenarios.ts';
import { newSecrets, secretsFound, sendSecrets } from './secrets.ts';
import { checkStoreAgainstModel } from './store-model.ts';
import { checkWrapperAgainstModel, checkWrapperLeaseExpiry } from './wrapper-model.ts';

let backend: UpstashBackend;
let redis: IORedis;
beforeAll(async () => {
  backend = await startUpstashBackend();
  redis = new IORedis({ host: '127.0.0.1', port: backend.redisServer.port, lazyConnect: true });
  await redis.connect();
});
afterAll(async () => {
  redis?.disconnect();
  await backend?.stop();
});

describe('UpstashStore against the model', () => {
  it('agrees with the model after every step of random schedules', async () => {
    await checkStoreAgainstModel(() => new UpstashStore({ redis: backend.client() }));
  });

  it('runs the handler once per key through the wrapper, and replays or rejects every duplicate', async () => {
    await checkWrapperAgainstModel(() => new UpstashStore({ redis: backend.client() }));
  });

  it('runs the handler at most once per lease when a run outlives its lease', async () => {
    await checkWrapperLeaseExpiry(() => new UpstashStore({ redis: backend.client() }));
  });
});

/** Every key name and value in Redis, as bytes. */
async function redisBytes(): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const key of await redis.keysBuffer('*')) {
    out.push(key);
    if ((await redis.type(key)) === 'string') out.push((await redis.getBuffer(key)) as Uint8Array);
    else out.push((await redis.dumpBuffer(key)) as Uint8Array);
  }
  return out;
}

describe('what lands in Redis', () => {
  it('holds no raw key, request body, Authorization, Cookie or Set-Cookie', async () => {
    await redis.flushall();
    const store = new UpstashStore({ redis: backend.client(), prefix: 'sec:' });
    const secrets = newSecrets();
    let inProgressScanned = false;
    await sendSecrets(store, secrets, {
      inspect: async () => {
        expect(await secretsFound(await redisBytes(), secrets)).toEqual([]);
        inProgressScanned = true;
      },
    });
    const stored = await redisBytes();
    expect(stored.length).toBeGreaterThanOrEqual(2);
    expect(inProgressScanned).toBe(true);
    expect(await secretsFound(stored, secrets)).toEqual([]);
  });

  it('holds Set-Cookie only when storeSetCookie is on (the scan sees through the encoding)', async () => {
    await redis.flushall();
    const secrets = newSecrets();
    await sendSecrets(new UpstashStore({ redis: backend.client() }), secrets, {
      storeSetCookie: true,
      inspect: async () => {},
    });
    expect(await secretsFound(await redisBytes(), secrets)).toEqual(['setCookie']);
  });
});

describe('a foreign or corrupted value under a real storage key', () => {
  const fp = 'a'.repeat(64);
  const future = () => Date.now() + 60_000;
  const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
  const truncated = encodeStoredResponse({
    status: 200,
    headers: [['x', 'y']],
    body: new Uint8Array(10),
  }).slice(0, 8);
  const cases: Array<[string, (key: string) => Promise<unknown>]> = [
    ['plain text', (key) => redis.set(key, 'garbage')],
    ['a number (the client would JSON-parse it)', (key) => redis.set(key, '123')],
    ['a JSON object', (key) => redis.set(key, '{"state":"completed","fingerprint":"x"}')],
    ['invalid UTF-8 bytes', (key) => redis.set(key, Buffer.from([0xc3, 0x28, 0xff, 0xfe]))],
    ['an in-progress value with a bad expiry', (key) => redis.set(key, `P|soon|${fp}|token`)],
    ['a completed value whose response is not base64', (key) => redis.set(key, `C|${future()}|${fp}|!!!`)],
    [
      'a completed value with a truncated response',
      (key) => redis.set(key, `C|${future()}|${fp}|${base64(truncated)}`),
    ],
    ['a hash instead of a string', (key) => redis.hset(key, 'state', 'completed')],
  ];

  it.each(cases)('answers 503 without running the handler for %s', async (_, write) => {
    const store = new UpstashStore({ redis: backend.client(), prefix: 'foreign:' });
    const idempotencyKey = crypto.randomUUID();
    await write(`foreign:${await storageKey('', '', idempotencyKey)}`);
    let runs = 0;
    const serve = withIdempotency(async () => new Response(`run ${++runs}`), { store });
    const response = await serve(
      new Request('https://api.example/pay', {
        method: 'POST',
        headers: { 'idempotency-key': idempotencyKey },
        body: 'x',
      }),
    );
    expect(response.status).toBe(503);
    expect((await response.json()).type).toBe(PROBLEM_TYPES.storeUnavailable);
    expect(runs).toBe(0);
  });
});

describe('faults on every store step (a fault proxy in front of the REST server)', () => {
  const sha: Record<Step, string> = {
    begin: BEGIN.sha1,
    'replay read': BEGIN.sha1,
    complete: COMPLETE.sha1,
    release: RELEASE.sha1,
  };
  const proxies: FaultProxy[] = [];
  afterAll(async () => {
    await Promise.all(proxies.map((proxy) => proxy.close()));
  });

  const faultTable = async (clientConfig: Parameters<UpstashBackend['client']>[0]) => {
    const proxy = await startFaultProxy(backend.rest.url);
    proxies.push(proxy);
    const store = new UpstashStore({
      redis: backend.client({ ...clientConfig, url: proxy.url }),
      timeoutMs: BUDGET_MS,
    });
    return runFaultTable(
      store,
      (step, mode) => {
        proxy.plan = { mode, times: 1, delayMs: SLOW_MS, match: ({ body }) => body.includes(sha[step]) };
      },
      () => {
        proxy.plan = undefined;
      },
    );
  };

  it.concurrent("with the client's default retries", async () => {
    expect(await faultTable({})).toEqual(UPSTASH_WITH_RETRIES);
  });

  it.concurrent('with the client retries off', async () => {
    expect(await faultTable({ retry: { retries: 0 } })).toEqual(UPSTASH_NO_RETRIES);
  });
});

// What the tests show (docs/faults.md explains each row): first answer → immediate retry →
// retry after the lease, and the handler's runs after each.
const UPSTASH_WITH_RETRIES = {
  'begin: fail-before': '201 → 201 → 201 replay (runs 1/1/1)',
  'begin: drop-answer': '201 → 201 → 201 replay (runs 1/1/1)',
  'begin: slow': '503 → 201 → 201 replay (runs 0/1/1)',
  'complete: fail-before': '201 → 201 → 201 replay (runs 1/1/1)',
  'complete: drop-answer': '201 → 201 → 201 replay (runs 1/1/1)',
  'complete: slow': '201 → 409 → 201 replay (runs 1/1/1)',
  'release: fail-before': '500 → 201 → 201 replay (runs 1/2/2)',
  'release: drop-answer': '500 → 201 → 201 replay (runs 1/2/2)',
  'release: slow': '500 → 409 → 201 (runs 1/1/2)',
  'replay read: fail-before': '201 → 201 → 201 replay (runs 0/0/0)',
  'replay read: drop-answer': '201 → 201 → 201 replay (runs 0/0/0)',
  'replay read: slow': '503 → 201 → 201 replay (runs 0/0/0)',
};

const UPSTASH_NO_RETRIES = {
  'begin: fail-before': '503 → 201 → 201 replay (runs 0/1/1)',
  'begin: drop-answer': '503 → 409 → 201 (runs 0/0/1)',
  'begin: slow': '503 → 201 → 201 replay (runs 0/1/1)',
  'complete: fail-before': '201 → 409 → 201 (runs 1/1/2)',
  'complete: drop-answer': '201 → 201 → 201 replay (runs 1/1/1)',
  'complete: slow': '201 → 409 → 201 replay (runs 1/1/1)',
  'release: fail-before': '500 → 409 → 201 (runs 1/1/2)',
  'release: drop-answer': '500 → 201 → 201 replay (runs 1/2/2)',
  'release: slow': '500 → 409 → 201 (runs 1/1/2)',
  'replay read: fail-before': '503 → 201 → 201 replay (runs 0/0/0)',
  'replay read: drop-answer': '503 → 201 → 201 replay (runs 0/0/0)',
  'replay read: slow': '503 → 201 → 201 replay (runs 0/0/0)',
};
