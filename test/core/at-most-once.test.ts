/**
 * Issue 12's paths that live in the wrapper itself, whatever the store: each of these ran a
 * handler twice, served one principal another's record, read past a limit or crashed the
 * process on the old main.
 */
import { describe, expect, it } from 'vitest';
import {
  type BeginInput,
  type IdempotencyStore,
  MemoryStore,
  setRequestDeadline,
  withIdempotency,
} from '../../src/index.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const post = (key: string, init: RequestInit = {}) =>
  new Request('https://api.example.com/orders', {
    method: 'POST',
    body: '{"amount":1}',
    ...init,
    headers: { 'idempotency-key': key, 'content-type': 'application/json', ...init.headers },
  });

function recordingStore(): { store: IdempotencyStore; begins: Array<BeginInput & { at: number }> } {
  const memory = new MemoryStore();
  const begins: Array<BeginInput & { at: number }> = [];
  const store = new Proxy(memory, {
    get(target, property, receiver) {
      if (property === 'begin') {
        return (input: BeginInput) => {
          begins.push({ ...input, at: Date.now() });
          return target.begin(input);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store, begins };
}

describe('waiting within the invocation (issue 12.6)', () => {
  it('stops waiting before the request deadline, not after waitTimeoutMs', async () => {
    const store = new MemoryStore();
    let release!: () => void;
    const handler = withIdempotency(
      async () => {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return new Response('first', { status: 201 });
      },
      { store, onConflict: 'wait', waitTimeoutMs: 30_000 },
    );
    const first = handler(post('k'));
    await sleep(20);
    const duplicate = post('k');
    const deadline = Date.now() + 1_500;
    setRequestDeadline(duplicate, deadline);
    const answer = await handler(duplicate);
    // Answered in time for Lambda to send it: not killed at the deadline with a 502.
    expect(answer.status).toBe(409);
    expect(Date.now()).toBeLessThan(deadline);
    release();
    await first;
  });

  it('takes the lease from the moment the key is acquired, so it never outlives the invocation', async () => {
    const { store, begins } = recordingStore();
    let release!: () => void;
    const handler = withIdempotency(
      async (request: Request) => {
        if (request.headers.get('x-first')) {
          await new Promise<void>((resolve) => {
            release = resolve;
          });
          throw new Error('first run fails: the key is released');
        }
        return new Response('second', { status: 201 });
      },
      { store, onConflict: 'wait', waitTimeoutMs: 30_000, leaseSeconds: 60 },
    );
    const first = handler(post('k', { headers: { 'x-first': '1' } })).catch(() => undefined);
    await sleep(20);
    const duplicate = post('k');
    const deadline = Date.now() + 5_000;
    setRequestDeadline(duplicate, deadline);
    setTimeout(() => release(), 600);
    const answer = await handler(duplicate);
    await first;
    expect(answer.status).toBe(201);
    const acquiring = begins.at(-1) as BeginInput & { at: number };
    // The lease taken after ~600 ms of waiting still ends by the deadline.
    expect(acquiring.at - (begins[1]?.at ?? 0)).toBeGreaterThanOrEqual(500);
    expect(acquiring.at + acquiring.leaseMs).toBeLessThanOrEqual(deadline + 5);
  });
});

describe('injective storage keys (issue 12.7)', () => {
  it('keeps scopes "acme\\uD800" and "acme\\uFFFD" apart', async () => {
    const store = new MemoryStore();
    let runs = 0;
    const handler = withIdempotency(
      async (request: Request) => new Response(`${++runs}:${request.headers.get('x-tenant')}`),
      {
        store,
        scope: (request) => (request.headers.get('x-tenant') === 'a' ? 'acme\uD800' : 'acme\uFFFD'),
      },
    );
    expect(await (await handler(post('k', { headers: { 'x-tenant': 'a' } }))).text()).toBe('1:a');
    const other = await handler(post('k', { headers: { 'x-tenant': 'b' } }));
    expect(other.headers.get('idempotent-replayed')).toBeNull();
    expect(await other.text()).toBe('2:b');
  });

  it('keeps fingerprints of custom strings with lone surrogates apart', async () => {
    let runs = 0;
    const handler = withIdempotency(async () => new Response(String(++runs)), {
      store: new MemoryStore(),
      fingerprint: (request) => (request.headers.get('x-v') === '1' ? 'x\uDC00' : 'x\uFFFD'),
    });
    await handler(post('k', { headers: { 'x-v': '1' } }));
    expect((await handler(post('k', { headers: { 'x-v': '2' } }))).status).toBe(422);
    expect(runs).toBe(1);
  });
});

describe('bodies read past the limit (issue 12.9)', () => {
  it.each(['default', 'bytes'] as const)(
    'never reads past maxBodyBytes plus one chunk, whatever Content-Length says (%s stream)',
    async (kind) => {
      let pulled = 0;
      const body = new ReadableStream<Uint8Array>({
        ...(kind === 'bytes' ? { type: 'bytes' as const } : {}),
        pull(controller) {
          pulled += 1024;
          // A fresh chunk each time: a byte stream takes over (detaches) what it is given.
          if (pulled > 1024 * 1024) controller.close();
          else controller.enqueue(new Uint8Array(1024));
        },
      });
      let runs = 0;
      const handler = withIdempotency(
        async () => {
          runs++;
          return new Response('ran');
        },
        { store: new MemoryStore(), maxBodyBytes: 4096 },
      );
      const request = new Request('https://api.example.com/orders', {
        method: 'POST',
        body,
        headers: { 'idempotency-key': 'k', 'content-length': '10' },
        duplex: 'half',
      } as RequestInit);
      const answer = await handler(request);
      expect(answer.status).toBe(413);
      expect(runs).toBe(0);
      // The stream may have queued a chunk or two ahead; never the whole megabyte.
      expect(pulled).toBeLessThanOrEqual(4096 + 3 * 1024);
    },
  );
});

describe('hooks (issue 12.11)', () => {
  it('swallows an async onEvent that rejects: no unhandled rejection, same answers', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const handler = withIdempotency(async () => new Response('ok', { status: 201 }), {
        store: new MemoryStore(),
        onEvent: async () => {
          throw new Error('metrics backend down');
        },
      });
      expect((await handler(post('k'))).status).toBe(201);
      expect((await handler(post('k'))).headers.get('idempotent-replayed')).toBe('true');
      await sleep(20);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('swallows an onEvent that throws synchronously', async () => {
    const handler = withIdempotency(async () => new Response('ok', { status: 201 }), {
      store: new MemoryStore(),
      onEvent: () => {
        throw new Error('sync');
      },
    });
    expect((await handler(post('k'))).status).toBe(201);
  });
});

describe('key parsing through the wrapper (issue 12.12)', () => {
  it('reads "k";v=1 as the key k (RFC 8941 parameters are parsed and ignored)', async () => {
    let runs = 0;
    const handler = withIdempotency(async () => new Response(String(++runs), { status: 201 }), {
      store: new MemoryStore(),
    });
    expect((await handler(post('"k";v=1'))).status).toBe(201);
    const replay = await handler(post('k'));
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(runs).toBe(1);
  });

  it('answers 400 for two malformed field lines that only combine into a valid value', async () => {
    const headers = new Headers();
    headers.append('idempotency-key', '"a');
    headers.append('idempotency-key', 'b"');
    let runs = 0;
    const handler = withIdempotency(async () => new Response(String(++runs)), { store: new MemoryStore() });
    const answer = await handler(
      new Request('https://api.example.com/orders', { method: 'POST', body: '{}', headers }),
    );
    expect(answer.status).toBe(400);
    expect(runs).toBe(0);
  });
});
