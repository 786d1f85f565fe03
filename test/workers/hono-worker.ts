/**
 * A Hono app as a Worker: orders under `/api/:tenant`, guarded per route by `idempotency()`
 * with the records in Durable Objects reached through `c.env.IDEMPOTENCY`. The IdempotencyObject
 * class is the one the test Worker (wrangler.toml's main) exports.
 */
import { Hono } from 'hono';
import { idempotency } from '../../adapters/hono/index.ts';
import type { IdempotencyObject } from '../../src/stores/cloudflare/index.ts';
import { DurableObjectStore } from '../../src/stores/cloudflare/index.ts';

type AppEnv = { Bindings: { IDEMPOTENCY: DurableObjectNamespace<IdempotencyObject> } };

/** What the tests observe: handler runs, errors onError saw, and a hold on the order handler. */
export const observed = { runs: [] as string[], errors: [] as unknown[], hold: Promise.resolve() };

const guard = idempotency<AppEnv>({
  store: (c) => new DurableObjectStore({ namespace: c.env.IDEMPOTENCY }),
});

const app = new Hono<AppEnv>().basePath('/api/:tenant');
app.onError((error, c) => {
  observed.errors.push(error);
  return c.json({ error: error.message }, 500);
});

app.post(
  '/orders',
  guard,
  async (c, next) => {
    await next();
    // Set after the handler, by a middleware after idempotency(): part of the stored response.
    c.header('x-signature', crypto.randomUUID());
  },
  async (c) => {
    observed.runs.push(`order:${c.req.param('tenant')}`);
    await observed.hold;
    const input = await c.req.json<{ item: string; fail?: boolean }>();
    if (input.fail) throw new Error('warehouse unreachable');
    return c.json({ id: crypto.randomUUID(), tenant: c.req.param('tenant'), ...input }, 201);
  },
);

app.on(['GET', 'POST'], '/blobs', guard, async (c) => {
  observed.runs.push(`blob:${c.req.method}`);
  const bytes = c.req.method === 'GET' ? new Uint8Array() : new Uint8Array(await c.req.arrayBuffer());
  return c.body(bytes.reverse(), 200, { 'content-type': 'application/octet-stream' });
});

export default app;
