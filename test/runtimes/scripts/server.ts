/**
 * A fetch handler behind `withIdempotency`, served by Deno.serve or Bun.serve. Prints
 * `listening <port> <runtime>` once it accepts requests. Argument: the store (see store.ts).
 *
 * - `POST /orders` (guarded): answers the request body reversed, as binary, with the number
 *   of this run in `x-run`. With `x-hold: 1` it waits for `GET /release?key=...` first.
 * - `GET /runs?key=...`: how many times the handler ran for that Idempotency-Key.
 * - `GET /release?key=...`: lets a held run finish.
 */
import { withIdempotency } from '../../../src/index.ts';
import { runtimeName, scriptArguments, serve } from './runtime.ts';
import { storeFrom } from './store.ts';

const runs = new Map<string, number>();
const held = new Map<string, () => void>();

const orders = withIdempotency(
  async (request: Request) => {
    const key = request.headers.get('idempotency-key') ?? '';
    const run = (runs.get(key) ?? 0) + 1;
    runs.set(key, run);
    if (request.headers.get('x-hold') === '1') await new Promise<void>((resolve) => held.set(key, resolve));
    const body = new Uint8Array(await request.arrayBuffer()).reverse();
    return new Response(body, {
      status: 201,
      headers: { 'content-type': 'application/octet-stream', 'x-run': String(run) },
    });
  },
  { store: storeFrom(scriptArguments()[0] ?? 'memory') },
);

const port = await serve(async (request) => {
  const url = new URL(request.url);
  const key = url.searchParams.get('key') ?? '';
  if (url.pathname === '/orders') return orders(request);
  if (url.pathname === '/runs') return Response.json(runs.get(key) ?? 0);
  if (url.pathname === '/release') {
    held.get(key)?.();
    return new Response(held.delete(key) ? 'released' : 'nothing held');
  }
  return new Response('not found', { status: 404 });
});
console.log(`listening ${port} ${runtimeName()}`);
