import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { idempotency } from '../../adapters/hono/index.ts';
import { type IdempotencyEvent, MemoryStore, PROBLEM_TYPES } from '../../src/index.ts';
import { gate, orderRequest, ordersApp, snapshot } from './orders-app.ts';

// Through a real Hono app (basePath, route params, middleware before and after), driven by
// `app.fetch`, the same entry point every runtime calls.
describe('idempotency() from edge-idempotency/hono', () => {
  it('runs a new request once and replays the response Hono sent, later middleware headers included', async () => {
    const { app, runs, store } = ordersApp();
    const first = await app.fetch(orderRequest({ key: 'k1', body: { item: 'book' } }));
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const sent = await snapshot(first);
    // Set by the middleware after idempotency(), after next(): part of what Hono sent.
    expect(sent.headers['x-signature']).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(new TextDecoder().decode(sent.body))).toMatchObject({
      item: 'book',
      account: 'acc-1',
      user: 'alice',
    });

    const replay = await snapshot(await app.fetch(orderRequest({ key: 'k1', body: { item: 'book' } })));
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(sent.body);
    expect(replay.headers).toEqual({ ...sent.headers, 'idempotent-replayed': 'true' });
    expect(runs).toEqual(['POST']);
    store.close();
  });

  it('answers 422 for the same key with another body, another query or another route param', async () => {
    const { app, runs, store } = ordersApp();
    expect((await app.fetch(orderRequest({ key: 'k1', body: { item: 'book' } }))).status).toBe(201);
    for (const other of [
      orderRequest({ key: 'k1', body: { item: 'lamp' } }),
      orderRequest({ key: 'k1', body: { item: 'book' }, query: '?express=1' }),
      orderRequest({ key: 'k1', body: { item: 'book' }, account: 'acc-2' }),
    ]) {
      const response = await app.fetch(other);
      expect(response.status).toBe(422);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(((await response.json()) as { type: string }).type).toBe(PROBLEM_TYPES.mismatch);
    }
    expect(runs).toEqual(['POST']);
    store.close();
  });

  it('answers 409 with Retry-After while the first request runs, then replays it', async () => {
    const { app, runs, hold, store } = ordersApp();
    const slow = gate();
    hold.until = slow.opened;
    const first = app.fetch(orderRequest({ key: 'k1' }));
    await expect.poll(() => runs.length).toBe(1);

    const conflict = await app.fetch(orderRequest({ key: 'k1' }));
    expect(conflict.status).toBe(409);
    expect(conflict.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await conflict.json()) as { type: string }).type).toBe(PROBLEM_TYPES.inProgress);

    slow.open();
    expect((await first).status).toBe(201);
    const replay = await app.fetch(orderRequest({ key: 'k1' }));
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(runs).toEqual(['POST']);
    store.close();
  });

  it('runs 200 concurrent identical requests exactly once', async () => {
    const { app, runs, hold, store } = ordersApp();
    const slow = gate();
    hold.until = slow.opened;
    const all = Promise.all(Array.from({ length: 200 }, () => app.fetch(orderRequest({ key: 'k-many' }))));
    await expect.poll(() => runs.length).toBe(1);
    slow.open();
    const responses = await all;

    expect(runs).toHaveLength(1);
    // Those that arrived while it ran got 409; any that arrived after it finished, its replay.
    for (const response of responses) expect([201, 409]).toContain(response.status);
    const created = responses.filter((r) => r.status === 201);
    expect(created.filter((r) => r.headers.get('idempotent-replayed') === null)).toHaveLength(1);
    const bodies = await Promise.all(created.map((r) => r.text()));
    expect(new Set(bodies).size).toBe(1);
    const after = await app.fetch(orderRequest({ key: 'k-many' }));
    expect(after.headers.get('idempotent-replayed')).toBe('true');
    expect(runs).toHaveLength(1);
    store.close();
  });

  it('lets middleware before it decorate every answer: a replay carries CORS headers for its own origin', async () => {
    const store = new MemoryStore();
    const app = new Hono();
    let runs = 0;
    app.use(cors({ origin: ['https://a.test', 'https://b.test'] }));
    app.post('/orders', idempotency({ store }), (c) => c.json({ run: ++runs }, 201));
    const post = (origin: string) =>
      app.request('/orders', { method: 'POST', headers: { 'idempotency-key': 'k1', origin }, body: '{}' });
    expect((await post('https://a.test')).headers.get('access-control-allow-origin')).toBe('https://a.test');
    const replay = await post('https://b.test');
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.headers.get('access-control-allow-origin')).toBe('https://b.test');
    expect(await replay.json()).toEqual({ run: 1 });
    store.close();
  });

  it('lets other methods, and requests without a key, pass through every time', async () => {
    const { app, runs, store } = ordersApp();
    for (const method of ['GET', 'PUT', 'GET', 'PUT']) {
      const response = await app.fetch(orderRequest({ key: 'k1', method }));
      expect(response.headers.get('idempotent-replayed')).toBeNull();
    }
    await app.fetch(orderRequest({}));
    await app.fetch(orderRequest({}));
    expect(runs).toEqual(['GET', 'PUT', 'GET', 'PUT', 'POST', 'POST']);
    store.close();
  });

  it('types scope from the Variables it is given, and accepts an app without types, as Hono middlewares do', () => {
    type Verified = { Variables: { user: { id: string } } };
    const store = new MemoryStore();
    idempotency<Verified>({
      store,
      scope: (c) => {
        expectTypeOf(c.get('user')).toEqualTypeOf<{ id: string }>();
        return c.get('user').id;
      },
    });
    new Hono().post('/untyped', idempotency({ store, scope: (c) => String(c.get('user')) }), (c) =>
      c.text('ok'),
    );
    store.close();
  });

  it("under app.use, stores Hono's 404 for a path no route serves, like any 4xx (docs/hono.md)", async () => {
    const store = new MemoryStore();
    const events: IdempotencyEvent['type'][] = [];
    const app = new Hono();
    app.use('/api/*', idempotency({ store, onEvent: (event) => events.push(event.type) }));
    app.post('/api/orders', (c) => c.text('created', 201));
    const post = () => app.request('/api/ordres', { method: 'POST', headers: { 'idempotency-key': 'k404' } });
    expect((await post()).status).toBe(404);
    const again = await post();
    expect(again.status).toBe(404);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(events).toEqual(['new', 'stored', 'replay']);
    store.close();
  });

  it('scopes keys to the user the auth middleware set (scope from the Context)', async () => {
    const { app, runs, store } = ordersApp();
    const alice = await (await app.fetch(orderRequest({ key: 'shared', user: 'alice' }))).json();
    const bob = await (await app.fetch(orderRequest({ key: 'shared', user: 'bob' }))).json();
    expect(alice).toMatchObject({ user: 'alice' });
    expect(bob).toMatchObject({ user: 'bob' });
    const aliceAgain = await app.fetch(orderRequest({ key: 'shared', user: 'alice' }));
    expect(await aliceAgain.json()).toEqual(alice);
    expect(runs).toEqual(['POST', 'POST']);
    store.close();
  });

  it("passes the wrapper's own options through (required, methods, maxBodyBytes, onEvent)", async () => {
    const events: IdempotencyEvent['type'][] = [];
    const { app, runs, store } = ordersApp({
      required: true,
      methods: ['POST', 'PUT'],
      maxBodyBytes: 64,
      onEvent: (event) => events.push(event.type),
    });
    const missing = await app.fetch(orderRequest({}));
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { type: string }).type).toBe(PROBLEM_TYPES.keyMissing);
    const tooLarge = await app.fetch(orderRequest({ key: 'k1', body: { item: 'x'.repeat(100) } }));
    expect(tooLarge.status).toBe(413);
    await app.fetch(orderRequest({ key: 'k2', method: 'PUT' }));
    await app.fetch(orderRequest({ key: 'k2', method: 'PUT' }));
    expect(runs).toEqual(['PUT']);
    expect(events).toEqual(['new', 'stored', 'replay']);
    store.close();
  });

  it('passes renderProblem, problemBaseUrl and skip through unchanged', async () => {
    const rendered: string[] = [];
    const { app, runs, store } = ordersApp({
      // A Stripe-style envelope: the real stripe client raises only on an `error` member.
      renderProblem: (problem, request) => {
        rendered.push(`${problem.name} ${new URL(request.url).pathname}`);
        return Response.json({ error: { type: 'idempotency_error', message: problem.detail } });
      },
      problemBaseUrl: 'https://docs.shop.test/errors/',
      skip: (request) => new URL(request.url).searchParams.has('unguarded'),
    });
    expect((await app.fetch(orderRequest({ key: 'k1', body: { item: 'book' } }))).status).toBe(201);
    const mismatch = await app.fetch(orderRequest({ key: 'k1', body: { item: 'lamp' } }));
    expect(mismatch.status).toBe(422);
    expect(await mismatch.json()).toMatchObject({ error: { type: 'idempotency_error' } });
    expect(rendered).toEqual(['mismatch /api/v1/accounts/acc-1/orders']);

    const unrendered = ordersApp({ problemBaseUrl: 'https://docs.shop.test/errors/', store });
    await unrendered.app.fetch(orderRequest({ key: 'k2', body: { item: 'book' } }));
    const linked = await unrendered.app.fetch(orderRequest({ key: 'k2', body: { item: 'lamp' } }));
    expect(((await linked.json()) as { type: string }).type).toMatch(/^https:\/\/docs\.shop\.test\/errors\//);
    expect(linked.headers.get('link')).toMatch(/rel="describedby"/);

    for (let i = 0; i < 2; i++) {
      const skipped = await app.fetch(
        orderRequest({ key: 'k1', body: { item: 'book' }, query: '?unguarded' }),
      );
      expect(skipped.headers.get('idempotent-replayed')).toBeNull();
    }
    expect(runs).toEqual(['POST', 'POST', 'POST']);
    store.close();
    unrendered.store.close();
  });

  it('takes the store from c.env, typed by the Bindings of the app', async () => {
    type Bindings = { IDEMPOTENCY_STORE: MemoryStore; REGION: string };
    const app = new Hono<{ Bindings: Bindings }>();
    let runs = 0;
    app.post(
      '/charges',
      idempotency<{ Bindings: Bindings }>({
        store: (c) => {
          expectTypeOf(c.env.IDEMPOTENCY_STORE).toEqualTypeOf<MemoryStore>();
          // @ts-expect-error: not a binding of this app (checked by `npm run typecheck`)
          void c.env.IDEMPOTENCY_STOR;
          return c.env.IDEMPOTENCY_STORE;
        },
        prefix: 'charges:',
      }),
      (c) => c.json({ run: ++runs, region: c.env.REGION }),
    );
    const env: Bindings = { IDEMPOTENCY_STORE: new MemoryStore(), REGION: 'eu' };
    const post = () =>
      app.request('/charges', { method: 'POST', headers: { 'idempotency-key': 'c1' }, body: '{}' }, env);
    expect(await (await post()).json()).toEqual({ run: 1, region: 'eu' });
    expect(await (await post()).json()).toEqual({ run: 1, region: 'eu' });
    expect(runs).toBe(1);
    env.IDEMPOTENCY_STORE.close();
  });
});
