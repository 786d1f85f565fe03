import { Redis } from '@upstash/redis';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { idempotency } from '../../adapters/hono/index.ts';
import { type IdempotencyEvent, MemoryStore, PROBLEM_TYPES } from '../../src/index.ts';
import { UpstashStore } from '../../src/stores/upstash/index.ts';
import { freePort } from '../helpers/free-port.ts';
import { spyOnStore } from '../helpers/spy-store.ts';
import { gate } from './orders-app.ts';

describe('idempotency() when the store is down, and when a duplicate waits', () => {
  it('answers 503 with Retry-After through Hono when the store cannot be reached, without running the handler', async () => {
    // A real client against a port nobody listens on: connection refused.
    const store = new UpstashStore({
      redis: new Redis({
        url: `http://127.0.0.1:${await freePort()}`,
        token: 't',
        enableTelemetry: false,
        retry: false,
      }),
      timeoutMs: 5_000,
    });
    const events: IdempotencyEvent['type'][] = [];
    const app = new Hono();
    let runs = 0;
    app.post('/orders', idempotency({ store, onEvent: (event) => events.push(event.type) }), (c) =>
      c.text(String(++runs), 201),
    );
    const response = await app.request('/orders', {
      method: 'POST',
      headers: { 'idempotency-key': 'down-1' },
      body: '{}',
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(((await response.json()) as { type: string }).type).toBe(PROBLEM_TYPES.storeUnavailable);
    expect(runs).toBe(0);
    expect(events).toEqual(['store_error']);
  });

  it("with onConflict: 'wait', a duplicate that arrives mid-run waits and gets the replay", async () => {
    const memory = new MemoryStore();
    const { store, calls } = spyOnStore(memory);
    const app = new Hono();
    const slow = gate();
    let runs = 0;
    app.post('/orders', idempotency({ store, onConflict: 'wait', waitTimeoutMs: 30_000 }), async (c) => {
      runs++;
      await slow.opened;
      return c.json({ order: crypto.randomUUID() }, 201);
    });
    const post = () =>
      app.request('/orders', { method: 'POST', headers: { 'idempotency-key': 'wait-1' }, body: '{}' });
    const first = post();
    await expect.poll(() => runs).toBe(1);
    const second = post();
    // The duplicate has found the key held and is polling (a second begin) before the first ends.
    await expect.poll(() => calls.filter(([method]) => method === 'begin').length).toBeGreaterThanOrEqual(3);
    slow.open();
    const [a, b] = await Promise.all([first, second]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect(await b.json()).toEqual(await a.json());
    expect(runs).toBe(1);
    memory.close();
  });
});
