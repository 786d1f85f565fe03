import { Hono } from 'hono';
import { validator } from 'hono/validator';
import { describe, expect, it } from 'vitest';
import { idempotency } from '../../adapters/hono/index.ts';
import {
  IdempotencyConfigurationError,
  MemoryStore,
  setRequestDeadline,
  setVerifiedPrincipal,
} from '../../src/index.ts';
import { gate, ordersApp } from './orders-app.ts';

/** Every byte value, with sequences that are not UTF-8: a text round trip would change them. */
const binary = Uint8Array.from({ length: 512 }, (_, i) => (i * 7) % 256);

const blobRequest = (key: string, body: Uint8Array) =>
  new Request('http://shop.test/api/v1/blobs', {
    method: 'POST',
    headers: { 'idempotency-key': key, authorization: 'Bearer token-alice' },
    body: body.slice(),
  });

describe('the request body under idempotency()', () => {
  it('reaches downstream as bytes (c.req.arrayBuffer), and a binary response replays byte for byte', async () => {
    const { app, runs, store } = ordersApp();
    const first = await app.fetch(blobRequest('b1', binary));
    const firstBytes = new Uint8Array(await first.arrayBuffer());
    expect(firstBytes).toEqual(binary.slice().reverse());
    const replay = await app.fetch(blobRequest('b1', binary));
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(new Uint8Array(await replay.arrayBuffer())).toEqual(firstBytes);
    expect(runs).toEqual(['blob']);
    store.close();
  });

  it('tells apart two bodies that differ only in bytes that are not UTF-8', async () => {
    // Decoded as text, 0xFF and 0xFE both become U+FFFD: a text fingerprint would replay.
    const { app, runs, store } = ordersApp();
    expect((await app.fetch(blobRequest('b2', Uint8Array.of(0x61, 0xff)))).status).toBe(200);
    expect((await app.fetch(blobRequest('b2', Uint8Array.of(0x61, 0xfe)))).status).toBe(422);
    expect(runs).toEqual(['blob']);
    store.close();
  });

  it('reaches downstream through c.req.json(), c.req.text(), c.req.parseBody() and c.req.raw alike', async () => {
    const store = new MemoryStore();
    const app = new Hono();
    const read: Record<string, unknown> = {};
    app.post('/echo/:how', idempotency({ store }), async (c) => {
      const how = c.req.param('how');
      if (how === 'json') read[how] = await c.req.json();
      if (how === 'text') read[how] = await c.req.text();
      if (how === 'form') read[how] = await c.req.parseBody();
      if (how === 'raw') read[how] = await c.req.raw.text();
      return c.text('ok');
    });
    const body = '{"item":"book","note":"ünïcode"}';
    for (const how of ['json', 'text', 'raw']) {
      const response = await app.request(`/echo/${how}`, {
        method: 'POST',
        headers: { 'idempotency-key': how },
        body,
      });
      expect(response.status).toBe(200);
    }
    const form = await app.request('/echo/form', {
      method: 'POST',
      headers: { 'idempotency-key': 'form' },
      body: new URLSearchParams({ item: 'book' }),
    });
    expect(form.status).toBe(200);
    expect(read).toEqual({ json: JSON.parse(body), text: body, raw: body, form: { item: 'book' } });
    store.close();
  });

  it('fingerprints the exact body when a middleware before it already read it (validator, parseBody)', async () => {
    const store = new MemoryStore();
    const app = new Hono();
    let runs = 0;
    app.post(
      '/json',
      validator('json', (value) => value as { item: string }),
      idempotency({ store }),
      async (c) => c.json({ run: ++runs, item: c.req.valid('json').item, again: (await c.req.json()).item }),
    );
    app.post(
      '/form',
      async (c, next) => {
        await c.req.parseBody();
        await next();
      },
      idempotency({ store }),
      async (c) => c.json({ run: ++runs, name: (await c.req.parseBody()).name }),
    );
    const json = (item: string) =>
      app.request('/json', {
        method: 'POST',
        headers: { 'idempotency-key': 'j1', 'content-type': 'application/json' },
        body: JSON.stringify({ item }),
      });
    expect(await (await json('book')).json()).toEqual({ run: 1, item: 'book', again: 'book' });
    expect((await json('book')).headers.get('idempotent-replayed')).toBe('true');
    expect((await json('lamp')).status).toBe(422);

    // One multipart body sent twice, boundary included, as a client retrying it would.
    const data = new FormData();
    data.set('name', 'ada');
    const multipart = new Request('http://x/form', { method: 'POST', body: data });
    const formType = multipart.headers.get('content-type') ?? '';
    const formBytes = new Uint8Array(await multipart.arrayBuffer());
    const form = (_name: string) =>
      app.request('/form', {
        method: 'POST',
        headers: { 'idempotency-key': 'f1', 'content-type': formType },
        body: formBytes.slice(),
      });
    const sent = await form('ada');
    expect(await sent.json()).toEqual({ run: 2, name: 'ada' });
    expect((await form('ada')).headers.get('idempotent-replayed')).toBe('true');
    expect(runs).toBe(2);
    store.close();
  });

  it('refuses to guess when the body was read straight from c.req.raw before it: the handler does not run', async () => {
    const store = new MemoryStore();
    const app = new Hono();
    const errors: unknown[] = [];
    let runs = 0;
    app.onError((error, c) => {
      errors.push(error);
      return c.text('misconfigured', 500);
    });
    app.post(
      '/raw',
      async (c, next) => {
        await c.req.raw.text();
        await next();
      },
      idempotency({ store }),
      (c) => c.text(String(++runs)),
    );
    const response = await app.request('/raw', {
      method: 'POST',
      headers: { 'idempotency-key': 'r1' },
      body: 'x',
    });
    expect(response.status).toBe(500);
    expect(errors[0]).toBeInstanceOf(IdempotencyConfigurationError);
    expect(runs).toBe(0);
    store.close();
  });

  it("keeps a runtime adapter's deadline when it rebuilds the request: the lease ends with the invocation", async () => {
    const store = new MemoryStore();
    const app = new Hono();
    const slow = gate();
    let runs = 0;
    app.post(
      '/slow',
      validator('json', (value) => value),
      idempotency({ store }),
      async (c) => {
        runs++;
        await slow.opened;
        return c.text('done');
      },
    );
    const withDeadline = () => {
      const request = new Request('http://x/slow', {
        method: 'POST',
        headers: { 'idempotency-key': 'd1', 'content-type': 'application/json' },
        body: '{}',
      });
      // What edge-idempotency/lambda does with the invocation's remaining time (here 3 s).
      setRequestDeadline(request, Date.now() + 3_000);
      return app.fetch(request);
    };
    const first = withDeadline();
    await expect.poll(() => runs).toBe(1);
    const conflict = await withDeadline();
    expect(conflict.status).toBe(409);
    // Retry-After is the lease left: capped by the deadline, not the default 60 s lease.
    expect(Number(conflict.headers.get('retry-after'))).toBeLessThanOrEqual(3);
    slow.open();
    await (await first).text();
    store.close();
  });

  it('keeps the principal a runtime adapter verified when it rebuilds the request', async () => {
    // Two callers, each verified by the platform, same Authorization header (none): a scope lost
    // in the rebuilt request would make them share records.
    const store = new MemoryStore();
    const app = new Hono();
    app.post(
      '/who',
      validator('json', (value) => value),
      idempotency({ store }),
      async (c) => c.text(`${(await c.req.json()).caller}:${crypto.randomUUID()}`),
    );
    const asCaller = (caller: string) => {
      const request = new Request('http://x/who', {
        method: 'POST',
        headers: { 'idempotency-key': 'same', 'content-type': 'application/json' },
        body: JSON.stringify({ caller: 'one' }),
      });
      setVerifiedPrincipal(request, caller);
      return app.fetch(request);
    };
    const first = await (await asCaller('arn:aws:iam::1:user/a')).text();
    const second = await (await asCaller('arn:aws:iam::1:user/b')).text();
    expect(second).not.toBe(first);
    expect(await (await asCaller('arn:aws:iam::1:user/a')).text()).toBe(first);
    store.close();
  });
});
