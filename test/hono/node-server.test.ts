import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gate, orderRequest, ordersApp } from './orders-app.ts';

// The same app behind a real socket with @hono/node-server, whose `c.req.raw` is its own
// lazily built Request: the middleware must rebuild and read it like any other.
const { app, runs, hold, store } = ordersApp();
let server: ServerType;
let origin = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      origin = `http://127.0.0.1:${info.port}`;
      resolve();
    });
  });
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  store.close();
});

/** A request of the orders app, sent over the socket. */
const overSocket = async (request: Request) => {
  const url = new URL(request.url);
  const body = await request.arrayBuffer();
  return fetch(`${origin}${url.pathname}${url.search}`, {
    method: request.method,
    headers: request.headers,
    body,
  });
};

describe('idempotency() behind @hono/node-server', () => {
  it('runs once and replays status, headers and binary body byte for byte over HTTP', async () => {
    const body = Uint8Array.from({ length: 4096 }, (_, i) => (i * 31) % 256);
    const send = () =>
      fetch(`${origin}/api/v1/blobs`, {
        method: 'POST',
        headers: { 'idempotency-key': 'socket-b1', authorization: 'Bearer token-alice' },
        body,
      });
    const first = await send();
    const firstBytes = new Uint8Array(await first.arrayBuffer());
    expect(firstBytes).toEqual(body.slice().reverse());
    const replay = await send();
    expect(replay.status).toBe(first.status);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.headers.get('content-type')).toBe('application/octet-stream');
    expect(new Uint8Array(await replay.arrayBuffer())).toEqual(firstBytes);
    expect(runs.filter((run) => run === 'blob')).toHaveLength(1);
  });

  it('runs 100 concurrent identical requests once, the signed response replayed to all that came after', async () => {
    const slow = gate();
    hold.until = slow.opened;
    const before = runs.length;
    const all = Promise.all(
      Array.from({ length: 100 }, () => overSocket(orderRequest({ key: 'socket-many' }))),
    );
    await expect.poll(() => runs.length).toBe(before + 1);
    slow.open();
    const responses = await all;
    for (const response of responses) expect([201, 409]).toContain(response.status);
    const created = responses.filter((response) => response.status === 201);
    expect(created.filter((response) => !response.headers.has('idempotent-replayed'))).toHaveLength(1);

    const later = await overSocket(orderRequest({ key: 'socket-many' }));
    expect(later.headers.get('idempotent-replayed')).toBe('true');
    expect(later.headers.get('x-signature')).toBe(created[0]?.headers.get('x-signature'));
    expect(runs.length).toBe(before + 1);
    await Promise.all(responses.map((response) => response.body?.cancel()));
  });
});
