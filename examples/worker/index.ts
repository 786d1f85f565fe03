/**
 * The Workers demo behind `npm start`: `POST /orders` runs at most once per Idempotency-Key,
 * with the records in Durable Objects. See docs/cloudflare.md for the curl walk-through.
 */
// In your Worker: from 'edge-idempotency/cloudflare' and 'edge-idempotency'.
import { DurableObjectStore, IdempotencyObject } from '../../src/stores/cloudflare/index.ts';
import { withIdempotency } from '../../src/with-idempotency.ts';

// The Durable Object class must be exported by the Worker that binds it.
export { IdempotencyObject };

export interface Env {
  IDEMPOTENCY: DurableObjectNamespace<IdempotencyObject>;
}

const MAX_DELAY_MS = 10_000;

/**
 * Creates an order: the side effect a retry must not repeat. `?delayMs=` makes it slow (a
 * payment provider taking its time) so a concurrent duplicate can be seen getting a 409.
 */
async function createOrder(request: Request, _env: Env, _ctx: ExecutionContext): Promise<Response> {
  const delayMs = Math.min(Number(new URL(request.url).searchParams.get('delayMs')) || 0, MAX_DELAY_MS);
  const input = await request.json().catch(() => null);
  if (typeof input !== 'object' || input === null) {
    return Response.json({ error: 'body must be a JSON object' }, { status: 400 });
  }
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  const order = { id: crypto.randomUUID(), createdAt: new Date().toISOString(), ...input };
  return Response.json(order, { status: 201, headers: { location: `/orders/${order.id}` } });
}

const postOrder = withIdempotency(createOrder, {
  store: (_request, env) => new DurableObjectStore({ namespace: env.IDEMPOTENCY }),
});

const usage = `edge-idempotency Workers demo

POST /orders with an Idempotency-Key header and a JSON body creates an order once per key:
  curl -i -X POST http://localhost:8787/orders -H 'Idempotency-Key: order-1' \\
    -H 'content-type: application/json' -d '{"item":"book","quantity":1}'
Repeat it: same order, plus "Idempotent-Replayed: true".
Same key, other body: 422. Same key while the first still runs (?delayMs=5000): 409.
`;

export default {
  fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    if (pathname === '/orders') {
      if (request.method === 'POST') return postOrder(request, env, ctx);
      return new Response('Method Not Allowed', { status: 405, headers: { allow: 'POST' } });
    }
    if (pathname === '/' && request.method === 'GET') return new Response(usage);
    return new Response('Not Found', { status: 404 });
  },
} satisfies ExportedHandler<Env>;
