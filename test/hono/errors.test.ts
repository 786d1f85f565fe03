import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { idempotency } from '../../adapters/hono/index.ts';
import { type IdempotencyEvent, MemoryStore } from '../../src/index.ts';
import { orderRequest, ordersApp } from './orders-app.ts';

describe('downstream failures under idempotency()', () => {
  it("releases the key when the handler throws, and Hono's onError sees that error once", async () => {
    const { app, runs, errorsSeen, store } = ordersApp();
    const first = await app.fetch(orderRequest({ key: 'k1', body: { fail: 'throw' } }));
    expect(first.status).toBe(500);
    expect(await first.json()).toEqual({ error: 'payment provider exploded' });
    expect(errorsSeen).toHaveLength(1);
    expect((errorsSeen[0] as Error).message).toBe('payment provider exploded');

    // Released: the retry runs the handler again instead of replaying the 500 or answering 409.
    const retry = await app.fetch(orderRequest({ key: 'k1', body: { fail: 'throw' } }));
    expect(retry.status).toBe(500);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(runs).toEqual(['POST', 'POST']);
    expect(errorsSeen).toHaveLength(2);
    store.close();
  });

  it('releases the key when onError turns the throw into a 4xx: a thrown error is never stored', async () => {
    const events: IdempotencyEvent['type'][] = [];
    const { app, runs, store } = ordersApp({ onEvent: (event) => events.push(event.type) });
    for (let i = 0; i < 2; i++) {
      const response = await app.fetch(orderRequest({ key: 'k1', body: { fail: 'http-400' } }));
      expect(response.status).toBe(400);
      expect(await response.text()).toBe('card declined');
    }
    expect(runs).toEqual(['POST', 'POST']);
    expect(events).toEqual(['new', 'released', 'new', 'released']);
    store.close();
  });

  it('releases the key on a 5xx answer (the default shouldStore)', async () => {
    const { app, runs, store } = ordersApp();
    expect((await app.fetch(orderRequest({ key: 'k5', body: { fail: '503' } }))).status).toBe(503);
    expect((await app.fetch(orderRequest({ key: 'k5', body: { fail: '503' } }))).status).toBe(503);
    expect(runs).toEqual(['POST', 'POST']);
    store.close();
  });

  it('releases the key when a non-Error is thrown (Hono rethrows it past onError)', async () => {
    const store = new MemoryStore();
    const app = new Hono();
    let runs = 0;
    app.post('/odd', idempotency({ store }), () => {
      runs++;
      throw 'not an Error';
    });
    const post = () =>
      app.request('/odd', { method: 'POST', headers: { 'idempotency-key': 'o1' }, body: 'x' });
    await expect(post()).rejects.toBe('not an Error');
    await expect(post()).rejects.toBe('not an Error');
    expect(runs).toBe(2);
    store.close();
  });

  it("releases the key under a sub-app's own onError (app.route)", async () => {
    const store = new MemoryStore();
    const seen: string[] = [];
    let runs = 0;
    const payments = new Hono();
    payments.onError((error, c) => {
      seen.push(error.message);
      return c.json({ sub: error.message }, 502);
    });
    payments.post('/:id/capture', idempotency({ store }), (c) => {
      runs++;
      throw new Error(`capture ${c.req.param('id')} failed`);
    });
    const app = new Hono().route('/payments', payments);
    const post = () =>
      app.request('/payments/p7/capture', { method: 'POST', headers: { 'idempotency-key': 'c1' }, body: '' });
    expect(await (await post()).json()).toEqual({ sub: 'capture p7 failed' });
    expect((await post()).status).toBe(502);
    expect(runs).toBe(2);
    expect(seen).toEqual(['capture p7 failed', 'capture p7 failed']);
    store.close();
  });

  it('stores nothing when the chain after it returns no Response, and says why', async () => {
    const store = new MemoryStore();
    const app = new Hono();
    const errors: string[] = [];
    app.onError((error, c) => {
      errors.push(error.message);
      return c.text('oops', 500);
    });
    // A middleware that forgets to call next() and returns nothing.
    app.post('/void', idempotency({ store }), async () => {});
    const post = () =>
      app.request('/void', { method: 'POST', headers: { 'idempotency-key': 'v1' }, body: '' });
    expect((await post()).status).toBe(500);
    expect((await post()).status).toBe(500);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/not finalized/);
    store.close();
  });
});
