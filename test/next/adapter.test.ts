import { NextRequest } from 'next/server';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { withIdempotency } from '../../adapters/next.ts';
import { MemoryStore } from '../../src/index.ts';

// The adapter on its own, with Next's own NextRequest; the full app is in next-app.test.ts.
type OrderContext = { params: Promise<{ tenant: string }> };

const stores: MemoryStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

function newStore(): MemoryStore {
  const store = new MemoryStore();
  stores.push(store);
  return store;
}

function orderRequest(
  tenant: string,
  init: { method?: string; key?: string; body?: string } = {},
): NextRequest {
  const headers = new Headers({ cookie: 'session=s1', 'content-type': 'text/plain' });
  if (init.key) headers.set('idempotency-key', init.key);
  return new NextRequest(`https://shop.example/api/${tenant}/orders?source=app`, {
    method: init.method ?? 'POST',
    headers,
    body: init.method === 'GET' ? null : (init.body ?? 'one book'),
  });
}

const contextOf = (tenant: string): OrderContext => ({ params: Promise.resolve({ tenant }) });

describe('withIdempotency from edge-idempotency/next', () => {
  it("keeps the handler's exact type, context included", () => {
    const handler = async (_request: NextRequest, _context: OrderContext) => new Response('ok');
    expectTypeOf(withIdempotency(handler, { store: newStore() })).toEqualTypeOf<typeof handler>();
    const bare = (request: Request) => new Response(request.url);
    expectTypeOf(withIdempotency(bare, { store: newStore() })).toEqualTypeOf<typeof bare>();
    // Options that see the handler's arguments get the context's own type.
    withIdempotency(handler, {
      store: newStore(),
      scope: async (_request, context) => {
        expectTypeOf(context).toEqualTypeOf<OrderContext>();
        return (await context.params).tenant;
      },
    });
  });

  it('hands a guarded handler a NextRequest with nextUrl, cookies and the body, and the same context', async () => {
    const calls: Array<{ request: NextRequest; context: OrderContext; body: string }> = [];
    const POST = withIdempotency(
      async (request: NextRequest, context: OrderContext) => {
        calls.push({ request, context, body: await request.text() });
        return Response.json({ tenant: (await context.params).tenant }, { status: 201 });
      },
      { store: newStore() },
    );
    const context = contextOf('acme');
    const response = await POST(orderRequest('acme', { key: 'k1' }), context);
    expect(response.status).toBe(201);

    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call?.request).toBeInstanceOf(NextRequest);
    expect(call?.request.nextUrl.pathname).toBe('/api/acme/orders');
    expect(call?.request.nextUrl.searchParams.get('source')).toBe('app');
    expect(call?.request.cookies.get('session')?.value).toBe('s1');
    expect(call?.body).toBe('one book');
    expect(call?.context).toBe(context);

    const replay = await POST(orderRequest('acme', { key: 'k1' }), context);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(calls).toHaveLength(1);
  });

  it('passes an unguarded request through as the very NextRequest Next built', async () => {
    const seen: NextRequest[] = [];
    const GET = withIdempotency(
      (request: NextRequest) => {
        seen.push(request);
        return new Response('list');
      },
      { store: newStore() },
    );
    const request = orderRequest('acme', { method: 'GET', key: 'k1' });
    expect(await (await GET(request)).text()).toBe('list');
    expect(seen).toEqual([request]);
    expect(seen[0]).toBe(request);
  });

  it('lets scope read the route params, so equal keys of two tenants never meet', async () => {
    let runs = 0;
    const POST = withIdempotency(
      async (_request: NextRequest, context: OrderContext) => {
        runs++;
        return Response.json({ tenant: (await context.params).tenant, run: runs }, { status: 201 });
      },
      { store: newStore(), scope: async (_request, context) => (await context.params).tenant },
    );
    const acme = await POST(orderRequest('acme', { key: 'same' }), contextOf('acme'));
    const globex = await POST(orderRequest('globex', { key: 'same' }), contextOf('globex'));
    expect(await acme.json()).toEqual({ tenant: 'acme', run: 1 });
    expect(await globex.json()).toEqual({ tenant: 'globex', run: 2 });
    expect(globex.headers.get('idempotent-replayed')).toBeNull();
  });
});
