import { Hono, type MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { type HonoIdempotencyOptions, idempotency } from '../../adapters/hono/index.ts';
import { MemoryStore } from '../../src/index.ts';

/** A promise the test resolves by hand: holds a handler in flight without timers. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

type AppEnv = { Variables: { user: string } };

/**
 * The Hono app the Node tests drive: an orders API under `/api/v1` (basePath and a route
 * param), guarded per route, with a middleware after `idempotency()` that signs the response
 * (a header set after `next()`, different on every run), an auth middleware before it that
 * sets the verified user, and an onError that records what it saw.
 */
export function ordersApp(options: Partial<HonoIdempotencyOptions<AppEnv>> = {}) {
  const store = new MemoryStore();
  const runs: string[] = [];
  const errorsSeen: unknown[] = [];
  const hold = { until: Promise.resolve() };

  const guard = idempotency<AppEnv>({ store, scope: (c) => c.get('user'), ...options });
  const signed: MiddlewareHandler<AppEnv> = async (c, next) => {
    await next();
    c.header('x-signature', crypto.randomUUID());
  };

  const app = new Hono<AppEnv>().basePath('/api/v1');
  app.use(async (c, next) => {
    // Stands in for a real auth middleware: the token is looked up, never trusted as sent.
    const users: Record<string, string> = { 'Bearer token-alice': 'alice', 'Bearer token-bob': 'bob' };
    const user = users[c.req.header('authorization') ?? ''];
    if (!user) return c.json({ error: 'unauthorized' }, 401);
    c.set('user', user);
    await next();
  });
  app.onError((error, c) => {
    errorsSeen.push(error);
    if (error instanceof HTTPException) return error.getResponse();
    return c.json({ error: error.message }, 500);
  });

  app.on(['POST', 'PATCH', 'PUT', 'GET'], '/accounts/:account/orders', guard, signed, async (c) => {
    runs.push(c.req.method);
    await hold.until;
    const input = c.req.method === 'GET' ? {} : await c.req.json();
    if (input.fail === 'throw') throw new Error('payment provider exploded');
    if (input.fail === 'http-400') throw new HTTPException(400, { message: 'card declined' });
    if (input.fail === '503') return c.json({ error: 'try later' }, 503);
    const order = { id: crypto.randomUUID(), account: c.req.param('account'), user: c.get('user'), ...input };
    return c.json(order, 201, { location: `/api/v1/accounts/${order.account}/orders/${order.id}` });
  });

  app.post('/blobs', guard, async (c) => {
    runs.push('blob');
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    // Answers the bytes reversed: binary in, binary out.
    return c.body(bytes.reverse(), 200, { 'content-type': 'application/octet-stream' });
  });

  return { app, store, runs, errorsSeen, hold };
}

/** A request to the orders app, as a client would send it. */
export function orderRequest(
  init: {
    key?: string;
    body?: unknown;
    user?: string;
    method?: string;
    account?: string;
    query?: string;
  } = {},
): Request {
  const headers = new Headers({ 'content-type': 'application/json' });
  headers.set('authorization', `Bearer token-${init.user ?? 'alice'}`);
  if (init.key) headers.set('idempotency-key', init.key);
  const method = init.method ?? 'POST';
  return new Request(
    `http://shop.test/api/v1/accounts/${init.account ?? 'acc-1'}/orders${init.query ?? ''}`,
    {
      method,
      headers,
      body: method === 'GET' ? null : JSON.stringify(init.body ?? { item: 'book' }),
    },
  );
}

/** Status, headers and body bytes of a response, for byte-for-byte comparison. */
export async function snapshot(response: Response) {
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: new Uint8Array(await response.arrayBuffer()),
  };
}
