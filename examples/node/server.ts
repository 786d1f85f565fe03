/**
 * The library on a plain Node server: `node examples/node/server.ts` (Node 22.18+, after
 * `npm run build`). One process, so MemoryStore is enough here; several processes need a shared
 * store. Try it with the curl lines in the README.
 */
import { createServer } from 'node:http';
import { Readable } from 'node:stream';
import { MemoryStore, withIdempotency } from 'edge-idempotency';

let orders = 0;

const handler = withIdempotency(
  async (request: Request) => {
    const url = new URL(request.url);
    if (url.pathname !== '/orders') return new Response('not found', { status: 404 });
    const order = { id: `ord_${++orders}`, received: await request.json().catch(() => null) };
    // Slow enough to see a 409 when two requests with one key overlap.
    await new Promise((resolve) => setTimeout(resolve, Number(url.searchParams.get('delay') ?? 0)));
    return Response.json(order, { status: 201 });
  },
  { store: new MemoryStore(), required: true },
);

const port = Number(process.env.PORT ?? 8787);
createServer(async (req, res) => {
  const request = new Request(`http://${req.headers.host ?? 'localhost'}${req.url}`, {
    method: req.method,
    headers: Object.entries(req.headers).flatMap(([name, value]) =>
      value === undefined
        ? []
        : (Array.isArray(value) ? value : [value]).map((v): [string, string] => [name, v]),
    ),
    body: req.method === 'GET' || req.method === 'HEAD' ? null : (Readable.toWeb(req) as ReadableStream),
    duplex: 'half',
  } as RequestInit);
  const response = await handler(request);
  res.writeHead(response.status, [...response.headers].flat());
  res.end(Buffer.from(await response.arrayBuffer()));
}).listen(port, () =>
  console.log(`orders demo on http://localhost:${port} (POST /orders with an Idempotency-Key)`),
);
