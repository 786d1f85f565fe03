import { describe, expect, it, vi } from 'vitest';
import {
  IdempotencyConfigurationError,
  type IdempotencyEvent,
  type IdempotencyOptions,
  type IdempotencyStore,
  MemoryStore,
  setRequestDeadline,
  withIdempotency,
} from '../../src/index.ts';
import { spyOnStore } from '../helpers/spy-store.ts';

const URL_ = 'https://api.example.com/orders?x=1';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function post(key: string | null, body: BodyInit | null = '{"amount":1}', init: RequestInit = {}): Request {
  const headers = new Headers(init.headers);
  if (key !== null) headers.set('idempotency-key', key);
  if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  return new Request(URL_, { method: 'POST', body, ...init, headers });
}

/** A wrapped handler that counts its runs and answers a fresh body each run. */
function counted(
  options: Partial<IdempotencyOptions> = {},
  respond?: (request: Request, run: number) => Response | Promise<Response>,
) {
  const store = (options.store as IdempotencyStore | undefined) ?? new MemoryStore();
  let runs = 0;
  const handler = withIdempotency(
    async (request: Request) => {
      runs++;
      return respond
        ? respond(request, runs)
        : Response.json({ run: runs, body: await request.text() }, { status: 201 });
    },
    { ...options, store },
  );
  return { handler, store, runs: () => runs };
}

async function expectProblem(response: Response, status: number, type: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  const problem = (await response.json()) as Record<string, unknown>;
  expect(problem).toMatchObject({ status, type });
  expect(typeof problem.title).toBe('string');
  expect(typeof problem.detail).toBe('string');
  return problem;
}

describe('which requests are guarded', () => {
  it('passes other methods straight through, even with a key, without touching the store', async () => {
    const spy = spyOnStore(new MemoryStore());
    const { handler, runs } = counted({ store: spy.store });
    for (const method of ['GET', 'PUT', 'DELETE']) {
      await handler(new Request(URL_, { method, headers: { 'idempotency-key': 'k' } }));
    }
    expect(runs()).toBe(3);
    expect(spy.calls).toEqual([]);
  });

  it('guards the configured methods only', async () => {
    const { handler, runs } = counted({ methods: ['put'] });
    const put = () => new Request(URL_, { method: 'PUT', body: 'x', headers: { 'idempotency-key': 'k' } });
    await handler(put());
    expect((await handler(put())).headers.get('idempotent-replayed')).toBe('true');
    await handler(post('k'));
    expect(runs()).toBe(2);
  });

  it('passes a request without a key through, its body unread', async () => {
    const { handler, runs } = counted();
    const response = await handler(post(null, 'hello'));
    expect(await response.json()).toEqual({ run: 1, body: 'hello' });
    await handler(post(null, 'hello'));
    expect(runs()).toBe(2);
  });

  it('answers 400 for a missing key when the key is required', async () => {
    const { handler, runs } = counted({ required: true });
    await expectProblem(await handler(post(null)), 400, 'urn:edge-idempotency:key-missing');
    expect(runs()).toBe(0);
  });

  it('reads the key from a custom header name', async () => {
    const { handler, runs } = counted({ headerName: 'X-Request-Id' });
    const request = () => post(null, 'a', { headers: { 'x-request-id': 'r1' } });
    await handler(request());
    expect((await handler(request())).headers.get('idempotent-replayed')).toBe('true');
    expect(runs()).toBe(1);
  });

  it.each([
    ['empty quoted', '""'],
    ['too long', 'k'.repeat(256)],
    ['too long quoted', `"${'k'.repeat(256)}"`],
    ['not ASCII', 'cl\u00e9'],
    ['a control character', 'a\u0001b'],
    ['an unterminated quote', '"abc'],
    ['a stray quote', 'ab"c'],
    ['text after the closing quote', '"abc"def'],
    ['a bad escape', '"a\\bc"'],
    ['two keys (the header sent twice)', 'a, b'],
  ])('answers 400 for a key with %s, without running the handler', async (_, key) => {
    const { handler, runs } = counted();
    await expectProblem(await handler(post(key)), 400, 'urn:edge-idempotency:key-invalid');
    expect(runs()).toBe(0);
  });

  it('answers 400 for an empty key header', async () => {
    const { handler } = counted();
    const request = new Request(URL_, { method: 'POST', body: 'x', headers: [['idempotency-key', '']] });
    await expectProblem(await handler(request), 400, 'urn:edge-idempotency:key-invalid');
  });

  it('accepts 255 characters, and treats a token and its sf-string form as one key', async () => {
    const { handler, runs } = counted();
    const long = 'k'.repeat(255);
    expect((await handler(post(long))).status).toBe(201);
    expect((await handler(post(`"${long}"`))).headers.get('idempotent-replayed')).toBe('true');
    await handler(post('"with \\"quotes\\" and space"'));
    expect((await handler(post('"with \\"quotes\\" and space"'))).headers.get('idempotent-replayed')).toBe(
      'true',
    );
    expect(runs()).toBe(2);
  });
});

describe('request bodies', () => {
  it('answers 413 when the declared length is over maxBodyBytes, without reading the body', async () => {
    let pulls = 0;
    const stream = new ReadableStream({
      pull(controller) {
        pulls++;
        controller.enqueue(new Uint8Array(1024));
      },
    });
    const { handler, runs } = counted({ maxBodyBytes: 100 });
    const request = post('k', stream, {
      headers: { 'content-length': '5000' },
      duplex: 'half',
    } as RequestInit);
    await expectProblem(await handler(request), 413, 'urn:edge-idempotency:body-too-large');
    expect(runs()).toBe(0);
    expect(pulls).toBeLessThanOrEqual(2);
  });

  it('answers 413 for a streamed body that passes the limit, and stops reading it', async () => {
    let pulls = 0;
    const stream = new ReadableStream({
      pull(controller) {
        pulls++;
        if (pulls > 1000) controller.close();
        else controller.enqueue(new Uint8Array(1024));
      },
    });
    const { handler, runs } = counted({ maxBodyBytes: 4096 });
    const request = post('k', stream, { duplex: 'half' } as RequestInit);
    await expectProblem(await handler(request), 413, 'urn:edge-idempotency:body-too-large');
    expect(runs()).toBe(0);
    expect(pulls).toBeLessThan(10);
  });

  it('reads a body with a declared length in one go, and still enforces the limit on what arrives', async () => {
    const { handler, runs } = counted({ maxBodyBytes: 100 });
    const exact = post('k', 'x'.repeat(50), { headers: { 'content-length': '50' } });
    expect(await (await handler(exact)).json()).toMatchObject({ run: 1, body: 'x'.repeat(50) });
    const lying = post('k2', 'y'.repeat(5000), { headers: { 'content-length': '10' } });
    await expectProblem(await handler(lying), 413, 'urn:edge-idempotency:body-too-large');
    expect(runs()).toBe(1);
  });

  it('hands the handler a request with the same body, URL, method, headers and signal', async () => {
    const controller = new AbortController();
    const body = Uint8Array.from({ length: 300 }, (_, i) => i % 256);
    let seen: Request | undefined;
    let seenBody: Uint8Array | undefined;
    const handler = withIdempotency(
      async (request: Request) => {
        seen = request;
        seenBody = new Uint8Array(await request.arrayBuffer());
        return new Response('ok');
      },
      { store: new MemoryStore() },
    );
    await handler(post('k', body, { signal: controller.signal, headers: { 'x-custom': 'v' } }));
    expect(seen?.url).toBe(URL_);
    expect(seen?.method).toBe('POST');
    expect(seen?.headers.get('x-custom')).toBe('v');
    expect(seen?.headers.get('idempotency-key')).toBe('k');
    expect(seenBody).toEqual(body);
    expect(seen?.signal.aborted).toBe(false);
    controller.abort();
    expect(seen?.signal.aborted).toBe(true);
  });

  it('handles a guarded request with no body', async () => {
    const { handler, runs } = counted();
    await handler(post('k', null));
    expect((await handler(post('k', null))).headers.get('idempotent-replayed')).toBe('true');
    expect(runs()).toBe(1);
  });
});

describe('replay', () => {
  it('replays status, headers and a binary body byte for byte; only the replay is marked', async () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);
    const { handler, runs } = counted(
      {},
      () =>
        new Response(bytes, {
          status: 202,
          headers: { 'content-type': 'application/octet-stream', 'x-a': '1' },
        }),
    );
    const first = await handler(post('k'));
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(new Uint8Array(await first.arrayBuffer())).toEqual(bytes);

    const replay = await handler(post('k'));
    expect(replay.status).toBe(202);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.headers.get('x-a')).toBe('1');
    expect(replay.headers.get('content-type')).toBe('application/octet-stream');
    expect(new Uint8Array(await replay.arrayBuffer())).toEqual(bytes);
    expect(runs()).toBe(1);
  });

  it('does not store hop-by-hop headers, nor Set-Cookie unless asked to', async () => {
    const headers = () => {
      const h = new Headers({
        'x-kept': 'yes',
        'keep-alive': 'timeout=5',
        connection: 'x-conn-only',
        'x-conn-only': '1',
      });
      h.append('set-cookie', 'a=1');
      h.append('set-cookie', 'b=2');
      return h;
    };
    const plain = counted({}, () => new Response('ok', { headers: headers() }));
    await plain.handler(post('k'));
    const replay = await plain.handler(post('k'));
    expect(replay.headers.get('x-kept')).toBe('yes');
    for (const name of ['keep-alive', 'connection', 'x-conn-only', 'set-cookie'])
      expect(replay.headers.get(name)).toBeNull();

    const cookies = counted({ storeSetCookie: true }, () => new Response('ok', { headers: headers() }));
    await cookies.handler(post('k'));
    expect((await cookies.handler(post('k'))).headers.getSetCookie()).toEqual(['a=1', 'b=2']);
  });

  it('stores and replays 4xx responses and bodiless statuses', async () => {
    for (const status of [204, 400, 404, 301]) {
      const { handler, runs } = counted({}, () => new Response(status === 204 ? null : 'r', { status }));
      await handler(post('k'));
      const replay = await handler(post('k'));
      expect(replay.status).toBe(status);
      expect(await replay.text()).toBe(status === 204 ? '' : 'r');
      expect(runs()).toBe(1);
    }
  });

  it('answers 422 when the key comes back with another body, method, path, query or content type', async () => {
    const { handler, runs } = counted({ methods: ['POST', 'PATCH'] });
    await handler(post('k', 'one'));
    const variants = [
      post('k', 'two'),
      new Request(URL_, {
        method: 'PATCH',
        body: 'one',
        headers: { 'idempotency-key': 'k', 'content-type': 'application/json' },
      }),
      new Request('https://api.example.com/other?x=1', {
        method: 'POST',
        body: 'one',
        headers: { 'idempotency-key': 'k', 'content-type': 'application/json' },
      }),
      new Request('https://api.example.com/orders?x=2', {
        method: 'POST',
        body: 'one',
        headers: { 'idempotency-key': 'k', 'content-type': 'application/json' },
      }),
      post('k', 'one', { headers: { 'content-type': 'text/plain' } }),
    ];
    for (const request of variants) {
      await expectProblem(await handler(request), 422, 'urn:edge-idempotency:fingerprint-mismatch');
    }
    expect(runs()).toBe(1);
  });

  it('ignores headers that are not fingerprinted, and fingerprints the ones configured', async () => {
    const { handler } = counted({ fingerprintHeaders: ['content-type', 'x-tenant'] });
    await handler(post('k', 'b', { headers: { date: 'Mon', 'x-tenant': 't1' } }));
    expect((await handler(post('k', 'b', { headers: { date: 'Tue', 'x-tenant': 't1' } }))).status).toBe(201);
    expect((await handler(post('k', 'b', { headers: { 'x-tenant': 't2' } }))).status).toBe(422);
  });

  it('accepts a custom fingerprint', async () => {
    const { handler, runs } = counted({
      fingerprint: (_request, body) => new TextDecoder().decode(body ?? undefined).trim(),
    });
    await handler(post('k', 'same '));
    expect((await handler(post('k', ' same'))).headers.get('idempotent-replayed')).toBe('true');
    expect((await handler(post('k', 'other'))).status).toBe(422);
    expect(runs()).toBe(1);
  });
});

describe('a key still running', () => {
  function slow(options: Partial<IdempotencyOptions> = {}, ms = 150) {
    return counted(options, async (_request, run) => {
      await sleep(ms);
      return Response.json({ run });
    });
  }

  it('answers 409 with Retry-After by default', async () => {
    const { handler, runs } = slow({ leaseSeconds: 30 });
    const first = handler(post('k'));
    await sleep(20);
    const second = await handler(post('k'));
    const problem = await expectProblem(second, 409, 'urn:edge-idempotency:in-progress');
    expect(problem.status).toBe(409);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(29);
    expect((await first).status).toBe(200);
    expect(runs()).toBe(1);
  });

  it("waits and replays with onConflict: 'wait'", async () => {
    const { handler, runs } = slow({ onConflict: 'wait' });
    const [first, second] = await Promise.all([handler(post('k')), sleep(10).then(() => handler(post('k')))]);
    expect(await first.json()).toEqual({ run: 1 });
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await second.json()).toEqual({ run: 1 });
    expect(runs()).toBe(1);
  });

  it('answers 409 when waiting runs past waitTimeoutMs', async () => {
    const { handler } = slow({ onConflict: 'wait', waitTimeoutMs: 100 }, 600);
    const first = handler(post('k'));
    await sleep(10);
    const second = await handler(post('k'));
    await expectProblem(second, 409, 'urn:edge-idempotency:in-progress');
    expect(second.headers.get('retry-after')).not.toBeNull();
    await first;
  });

  it('runs the handler once for 200 concurrent identical requests, and all get the same body', async () => {
    const { handler, runs } = slow({ onConflict: 'wait' }, 50);
    const responses = await Promise.all(Array.from({ length: 200 }, () => handler(post('k'))));
    const bodies = await Promise.all(responses.map((r) => r.text()));
    expect(runs()).toBe(1);
    expect(new Set(bodies)).toEqual(new Set(['{"run":1}']));
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(199);
  });

  it('frees the key of a run that outlived its lease, and never lets the stale run overwrite', async () => {
    const events: IdempotencyEvent[] = [];
    const { handler, runs } = counted(
      { leaseSeconds: 0.2, onEvent: (e) => events.push(e) },
      async (_r, run) => {
        if (run === 1) await sleep(500);
        return Response.json({ run });
      },
    );
    const first = handler(post('k'));
    await sleep(300);
    expect(await (await handler(post('k'))).json()).toEqual({ run: 2 });
    expect(await (await first).json()).toEqual({ run: 1 });
    const replay = await handler(post('k'));
    expect(await replay.json()).toEqual({ run: 2 });
    expect(runs()).toBe(2);
    expect(events.map((e) => e.type)).toContain('lease_lost');
  });

  it('caps the lease at a deadline set by the runtime adapter', async () => {
    const spy = spyOnStore(new MemoryStore());
    const { handler } = counted({ store: spy.store, leaseSeconds: 60 });
    const request = post('k');
    setRequestDeadline(request, Date.now() + 3000);
    await handler(request);
    const [, [input]] = spy.calls.find(([name]) => name === 'begin') as [string, [{ leaseMs: number }]];
    expect(input.leaseMs).toBeGreaterThan(2000);
    expect(input.leaseMs).toBeLessThanOrEqual(3000);
  });
});

describe('when the handler fails', () => {
  it('releases the key and rethrows when the handler throws', async () => {
    const { handler, runs } = counted({}, (_r, run) => {
      if (run === 1) throw new Error('boom');
      return new Response('ok');
    });
    await expect(handler(post('k'))).rejects.toThrow('boom');
    expect(await (await handler(post('k'))).text()).toBe('ok');
    expect(runs()).toBe(2);
  });

  it('releases on 5xx without storing, unless shouldStore says otherwise', async () => {
    const failing = counted({}, (_r, run) => new Response(`run ${run}`, { status: 503 }));
    await failing.handler(post('k'));
    expect(await (await failing.handler(post('k'))).text()).toBe('run 2');

    const kept = counted(
      { shouldStore: () => true },
      (_r, run) => new Response(`run ${run}`, { status: 500 }),
    );
    await kept.handler(post('k'));
    expect(await (await kept.handler(post('k'))).text()).toBe('run 1');

    const picky = counted(
      { shouldStore: (r) => r.status === 201 },
      (_r, run) => new Response(`run ${run}`, { status: 200 }),
    );
    await picky.handler(post('k'));
    expect(await (await picky.handler(post('k'))).text()).toBe('run 2');
  });
});

describe('large responses', () => {
  it('completes without the body past maxResponseBytes: never re-run, the replay says so', async () => {
    const big = new Uint8Array(5000).fill(7);
    const { handler, runs } = counted(
      { maxResponseBytes: 1000 },
      () =>
        new Response(big, {
          status: 201,
          headers: { 'content-type': 'application/octet-stream', 'x-order': '9' },
        }),
    );
    const first = await handler(post('k'));
    expect(new Uint8Array(await first.arrayBuffer())).toEqual(big);

    const replay = await handler(post('k'));
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.headers.get('x-order')).toBe('9');
    const problem = await expectProblem(replay, 201, 'urn:edge-idempotency:response-not-retained');
    expect(problem.detail).toMatch(/not kept/);
    expect(runs()).toBe(1);
  });

  it('uses a declared response length, and never stores more than maxResponseBytes', async () => {
    const declared = (length: number, size: number) => () =>
      new Response('z'.repeat(size), { headers: { 'content-length': String(length) } });
    const fits = counted({ maxResponseBytes: 100 }, declared(60, 60));
    await fits.handler(post('k'));
    expect(await (await fits.handler(post('k'))).text()).toBe('z'.repeat(60));

    const lying = counted({ maxResponseBytes: 100 }, declared(60, 500));
    expect((await (await lying.handler(post('k'))).text()).length).toBe(500);
    const replay = await lying.handler(post('k'));
    await expectProblem(replay, 200, 'urn:edge-idempotency:response-not-retained');
    expect(lying.runs()).toBe(1);
  });

  it('streams a large response to the first caller chunk by chunk', async () => {
    let pulls = 0;
    const { handler } = counted(
      { maxResponseBytes: 100 },
      () =>
        new Response(
          new ReadableStream({
            pull(controller) {
              if (++pulls > 50) controller.close();
              else controller.enqueue(new Uint8Array(64).fill(pulls));
            },
          }),
        ),
    );
    const first = await handler(post('k'));
    expect(pulls).toBeLessThan(10);
    expect((await first.arrayBuffer()).byteLength).toBe(50 * 64);
  });
});

describe('the store', () => {
  function brokenStore(): IdempotencyStore {
    const store = new MemoryStore();
    store.close();
    return store;
  }

  it('answers 503 with Retry-After when the store fails (fail-closed), without running the handler', async () => {
    const events: IdempotencyEvent[] = [];
    const { handler, runs } = counted({ store: brokenStore(), onEvent: (e) => events.push(e) });
    const response = await handler(post('k'));
    await expectProblem(response, 503, 'urn:edge-idempotency:store-unavailable');
    expect(response.headers.get('retry-after')).toBe('1');
    expect(runs()).toBe(0);
    expect(events.map((e) => e.type)).toEqual(['store_error']);
  });

  it('runs the handler and reports the failure with fail-open', async () => {
    const events: IdempotencyEvent[] = [];
    const { handler, runs } = counted({
      store: brokenStore(),
      onStoreError: 'fail-open',
      onEvent: (e) => events.push(e),
    });
    expect((await handler(post('k'))).status).toBe(201);
    expect(runs()).toBe(1);
    expect(events[0]?.type).toBe('store_error');
  });

  it('still answers the handler response when storing it fails', async () => {
    const store = new MemoryStore();
    const events: IdempotencyEvent[] = [];
    const { handler } = counted({ store, onEvent: (e) => events.push(e) }, () => {
      store.close();
      return new Response('done', { status: 201 });
    });
    const response = await handler(post('k'));
    expect(await response.text()).toBe('done');
    expect(events.map((e) => e.type)).toEqual(['new', 'store_error']);
  });

  it('turns a corrupt record from a custom store into a store error, not a replay', async () => {
    const corrupt: IdempotencyStore = {
      ...new MemoryStore(),
      name: 'corrupt',
      begin: async () => ({
        acquired: false,
        record: { state: 'completed', fingerprint: 'nope', expiresAt: 0 },
      }),
    } as unknown as IdempotencyStore;
    const { handler, runs } = counted({ store: corrupt });
    await expectProblem(await handler(post('k')), 503, 'urn:edge-idempotency:store-unavailable');
    expect(runs()).toBe(0);
  });

  it('builds the store from the handler arguments, and passes them through', async () => {
    const env = { STORE: new MemoryStore() };
    const ctx = { waitUntil: vi.fn() };
    const seen: unknown[] = [];
    const handler = withIdempotency(
      async (_request: Request, e: typeof env, c: typeof ctx) => {
        seen.push(e, c);
        return new Response('ok');
      },
      { store: (_request, e) => e.STORE },
    );
    await handler(post('k'), env, ctx);
    expect(seen).toEqual([env, ctx]);
    expect((await handler(post('k'), env, ctx)).headers.get('idempotent-replayed')).toBe('true');
    expect(await env.STORE.getMany([])).toEqual([]);
    expect(env.STORE.size).toBe(1);
  });
});

describe('scope and privacy', () => {
  it('keeps the same key of two principals apart', async () => {
    const { handler, runs } = counted();
    const as = (who: string) => post('k', 'b', { headers: { authorization: `Bearer ${who}` } });
    expect(await (await handler(as('alice'))).json()).toMatchObject({ run: 1 });
    expect(await (await handler(as('bob'))).json()).toMatchObject({ run: 2 });
    expect(await (await handler(as('alice'))).json()).toMatchObject({ run: 1 });
    expect(runs()).toBe(2);
  });

  it('uses a custom scope with the handler arguments', async () => {
    const handler = withIdempotency(async (_r: Request, tenant: string) => new Response(tenant), {
      store: new MemoryStore(),
      scope: (_r, tenant) => tenant,
    });
    expect(await (await handler(post('k'), 't1')).text()).toBe('t1');
    expect(await (await handler(post('k'), 't2')).text()).toBe('t2');
    expect(await (await handler(post('k'), 't1')).text()).toBe('t1');
  });

  it('rejects with a configuration error, before touching the store, when a scope is not a string', async () => {
    const spy = spyOnStore(new MemoryStore());
    const handler = withIdempotency(async (_r: Request) => new Response('x'), {
      store: spy.store,
      scope: () => 42 as unknown as string,
    });
    await expect(handler(post('k'))).rejects.toThrow(/scope must return a string, got number/);
    await expect(handler(post('k'))).rejects.toBeInstanceOf(IdempotencyConfigurationError);
    expect(spy.calls).toEqual([]);
  });

  it('never passes the raw key, the Authorization header or the request body to the store', async () => {
    const spy = spyOnStore(new MemoryStore());
    const { handler } = counted({ store: spy.store }, () => new Response('response-body'));
    await handler(post('raw-key-123', 'secret-body-456', { headers: { authorization: 'Bearer token-789' } }));
    await handler(post('raw-key-123', 'secret-body-456', { headers: { authorization: 'Bearer token-789' } }));
    const seen = JSON.stringify(spy.calls, (_k, v) =>
      v instanceof Uint8Array ? new TextDecoder().decode(v) : v,
    );
    expect(seen).toContain('response-body');
    for (const secret of ['raw-key-123', 'secret-body-456', 'token-789']) expect(seen).not.toContain(secret);
  });

  it('prefixes storage keys', async () => {
    const spy = spyOnStore(new MemoryStore());
    const { handler } = counted({ store: spy.store, prefix: 'orders:' });
    await handler(post('k'));
    const [, [input]] = spy.calls[0] as [string, [{ key: string }]];
    expect(input.key).toMatch(/^orders:[0-9a-f]{64}$/);
  });
});

describe('events', () => {
  it('reports each decision with the hashed key and a duration', async () => {
    const events: IdempotencyEvent[] = [];
    const { handler } = counted({ onEvent: (e) => events.push(e) });
    await handler(post('k'));
    await handler(post('k'));
    await handler(post('k', 'other'));
    expect(events.map((e) => e.type)).toEqual(['new', 'stored', 'replay', 'mismatch']);
    for (const event of events) {
      expect(event.key).toMatch(/^[0-9a-f]{64}$/);
      expect(event.store).toBe('memory');
      expect(event.durationMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('ignores an event callback that throws', async () => {
    const { handler } = counted({
      onEvent: () => {
        throw new Error('metrics down');
      },
    });
    expect((await handler(post('k'))).status).toBe(201);
  });
});

describe('configuration', () => {
  it.each([
    [{ ttlSeconds: 0 }, /ttlSeconds must be a positive/],
    [{ leaseSeconds: -1 }, /leaseSeconds must be a positive/],
    [{ ttlSeconds: 10, leaseSeconds: 20 }, /cannot be longer than ttlSeconds/],
    [{ maxBodyBytes: -5 }, /maxBodyBytes/],
    [{ headerName: 'bad header' }, /not a valid header name/],
    [{ store: undefined }, /needs a `store`/],
  ])('rejects %o', (options, message) => {
    expect(() =>
      withIdempotency(() => new Response(), { store: new MemoryStore(), ...options } as IdempotencyOptions),
    ).toThrow(message);
    expect(() =>
      withIdempotency(() => new Response(), { store: new MemoryStore(), ...options } as IdempotencyOptions),
    ).toThrow(IdempotencyConfigurationError);
  });

  it("rejects a TTL over the store's maximum", () => {
    const store = Object.assign(new MemoryStore(), { maxTtlSeconds: 100 });
    expect(() => withIdempotency(() => new Response(), { store, ttlSeconds: 101 })).toThrow(
      /over the memory store's maximum/,
    );
  });
});
