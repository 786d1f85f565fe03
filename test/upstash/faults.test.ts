import { Redis } from '@upstash/redis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type IdempotencyEvent, IdempotencyStoreError, withIdempotency } from '../../src/index.ts';
import { UpstashStore } from '../../src/stores/upstash/index.ts';
import { RELEASE } from '../../src/stores/upstash/scripts.ts';
import { freePort } from '../helpers/free-port.ts';
import { RELAXED_TIMEOUT_MS, startUpstashBackend, type UpstashBackend } from './backend.ts';

// Every way the REST endpoint can fail, at the store and through the wrapper: a clear
// IdempotencyStoreError, the configured onStoreError outcome, and never a handler run twice.
// The short budget only where running out of it is the fault under test.
const BUDGET_MS = 300;

let backend: UpstashBackend;
beforeAll(async () => {
  backend = await startUpstashBackend();
});
afterEach(() => {
  backend.rest.fault = {};
});
afterAll(async () => {
  await backend?.stop();
});

const fingerprint = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex');
const newKey = () => `fault:${crypto.randomUUID()}`;
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => error,
  );

interface Fault {
  /** The store to use while the fault is on (the endpoint is set up to fail). */
  store(): Promise<UpstashStore>;
  /** What the store error's message says. */
  message: RegExp;
}

const faults: Record<string, Fault> = {
  'the endpoint is down (connection refused, client retries on)': {
    store: async () =>
      new UpstashStore({
        redis: new Redis({ url: `http://127.0.0.1:${await freePort()}`, token: 't', enableTelemetry: false }),
        timeoutMs: BUDGET_MS,
      }),
    message: new RegExp(`no answer within ${BUDGET_MS} ms`),
  },
  'the endpoint is down (connection refused, client retries off)': {
    store: async () =>
      new UpstashStore({
        redis: new Redis({
          url: `http://127.0.0.1:${await freePort()}`,
          token: 't',
          enableTelemetry: false,
          retry: false,
        }),
        timeoutMs: RELAXED_TIMEOUT_MS,
      }),
    message: /failed: fetch failed/,
  },
  'the endpoint answers 500': {
    store: async () => {
      backend.rest.fault = { status: 500 };
      return new UpstashStore({ redis: backend.client(), timeoutMs: RELAXED_TIMEOUT_MS });
    },
    message: /failed: injected fault: HTTP 500/,
  },
  'the endpoint answers slower than the budget': {
    store: async () => {
      backend.rest.fault = { delayMs: BUDGET_MS * 4 };
      return new UpstashStore({ redis: backend.client(), timeoutMs: BUDGET_MS });
    },
    message: new RegExp(`no answer within ${BUDGET_MS} ms`),
  },
  'the token is wrong': {
    store: async () =>
      new UpstashStore({ redis: backend.client({ token: 'wrong' }), timeoutMs: RELAXED_TIMEOUT_MS }),
    message: /failed: Unauthorized/,
  },
};

describe('UpstashStore faults', () => {
  for (const [name, fault] of Object.entries(faults)) {
    it(`fails every operation with a clear store error when ${name}`, async () => {
      const store = await fault.store();
      const key = newKey();
      // Issued together (so they share a pipeline) and caught at once: none is left unhandled.
      const attempts = {
        begin: failure(store.begin({ key, fingerprint: fingerprint(), token: 't', leaseMs: 1000 })),
        complete: failure(
          store.complete({
            key,
            token: 't',
            response: { status: 200, headers: [], body: null },
            ttlMs: 1000,
          }),
        ),
        release: failure(store.release(key, 't')),
        get: failure(store.get(key)),
        delete: failure(store.delete(key)),
        getMany: failure(store.getMany([key])),
        deleteMany: failure(store.deleteMany([key])),
      };
      for (const [step, attempt] of Object.entries(attempts)) {
        const error = await attempt;
        expect(error, step).toBeInstanceOf(IdempotencyStoreError);
        expect((error as Error).message, step).toMatch(new RegExp(`^upstash store: ${step} `));
        expect((error as Error).message, step).toMatch(fault.message);
        expect((error as Error).cause, step).toBeInstanceOf(Error);
      }
    });
  }

  it('releases a lock whose begin answered after the budget ran out', async () => {
    const redis = backend.client();
    const store = new UpstashStore({ redis, timeoutMs: BUDGET_MS });
    const checker = new UpstashStore({ redis, timeoutMs: RELAXED_TIMEOUT_MS });
    const key = newKey();
    const print = fingerprint();
    backend.rest.fault = { delayMs: BUDGET_MS * 3 };
    const error = await failure(store.begin({ key, fingerprint: print, token: 'late', leaseMs: 60_000 }));
    expect(error).toBeInstanceOf(IdempotencyStoreError);
    backend.rest.fault = {};
    // The delayed request still takes the lock at the server; the store then frees it.
    await vi.waitFor(
      () =>
        expect(
          backend.rest.commands.some(
            ([name, sha, , k]) => name === 'evalsha' && sha === RELEASE.sha1 && k === key,
          ),
        ).toBe(true),
      { timeout: 10_000, interval: 50 },
    );
    await vi.waitFor(async () => expect(await checker.get(key)).toBeNull(), {
      timeout: 10_000,
      interval: 50,
    });
    expect((await checker.begin({ key, fingerprint: print, token: 'retry', leaseMs: 60_000 })).acquired).toBe(
      true,
    );
  });

  it('forgets an in-flight lock when Redis restarts between begin and complete', async () => {
    // Documented: Redis without persistence loses the lease, so the duplicate may run again.
    const store = new UpstashStore({ redis: backend.client(), timeoutMs: RELAXED_TIMEOUT_MS });
    const key = newKey();
    const print = fingerprint();
    expect((await store.begin({ key, fingerprint: print, token: 'first', leaseMs: 60_000 })).acquired).toBe(
      true,
    );
    await backend.redisServer.restart();
    const before = backend.rest.commands.length;
    expect(
      await store.complete({
        key,
        token: 'first',
        response: { status: 200, headers: [], body: null },
        ttlMs: 60_000,
      }),
    ).toBe(false);
    // The restart also dropped the script cache: EVALSHA, NOSCRIPT, then EVAL.
    expect(backend.rest.commands.slice(before).map(([name]) => name)).toEqual(['evalsha', 'eval']);
    expect(await store.get(key)).toBeNull();
    expect((await store.begin({ key, fingerprint: print, token: 'second', leaseMs: 60_000 })).acquired).toBe(
      true,
    );
  });
});

describe('withIdempotency over a failing UpstashStore', () => {
  const post = (key: string) =>
    new Request('https://api.example/charge', {
      method: 'POST',
      headers: { 'idempotency-key': key, 'content-type': 'application/json' },
      body: '{"amount":100}',
    });

  for (const [name, fault] of Object.entries(faults)) {
    it(`answers 503 fail-closed without running the handler when ${name}`, async () => {
      const store = await fault.store();
      const events: IdempotencyEvent[] = [];
      let runs = 0;
      const handler = withIdempotency(
        async (_request: Request) => {
          runs++;
          return new Response('charged', { status: 201 });
        },
        { store, onEvent: (event) => events.push(event) },
      );
      const response = await handler(post(crypto.randomUUID()));
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(runs).toBe(0);
      const storeError = events.find((event) => event.type === 'store_error')?.error;
      expect(storeError).toBeInstanceOf(IdempotencyStoreError);
      expect((storeError as Error).message).toMatch(fault.message);
    });

    it(`runs the handler exactly once fail-open when ${name}`, async () => {
      const store = await fault.store();
      const events: IdempotencyEvent[] = [];
      let runs = 0;
      const handler = withIdempotency(
        async (_request: Request) => {
          runs++;
          return new Response('charged', { status: 201 });
        },
        { store, onStoreError: 'fail-open', onEvent: (event) => events.push(event) },
      );
      const response = await handler(post(crypto.randomUUID()));
      expect(response.status).toBe(201);
      expect(await response.text()).toBe('charged');
      expect(runs).toBe(1);
      expect(events.some((event) => event.type === 'store_error')).toBe(true);
    });
  }

  it('replays after a fault clears, and runs again only when Redis lost the lock', async () => {
    const store = new UpstashStore({ redis: backend.client(), timeoutMs: RELAXED_TIMEOUT_MS });
    let runs = 0;
    let restartDuringRun = false;
    const handler = withIdempotency(
      async (_request: Request) => {
        runs++;
        if (restartDuringRun) await backend.redisServer.restart();
        return new Response(`run ${runs}`, { status: 201 });
      },
      { store },
    );

    const key = crypto.randomUUID();
    backend.rest.fault = { status: 500 };
    expect((await handler(post(key))).status).toBe(503);
    backend.rest.fault = {};
    expect(await (await handler(post(key))).text()).toBe('run 1');
    const replay = await handler(post(key));
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.text()).toBe('run 1');
    expect(runs).toBe(1);

    // Redis restarts while the handler runs: complete finds no lock, so the duplicate runs again.
    const other = crypto.randomUUID();
    restartDuringRun = true;
    expect(await (await handler(post(other))).text()).toBe('run 2');
    restartDuringRun = false;
    expect(await (await handler(post(other))).text()).toBe('run 3');
    expect(runs).toBe(3);
  });
});
