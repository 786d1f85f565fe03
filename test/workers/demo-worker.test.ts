import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';

interface Order {
  id: string;
  item: string;
}

/** A POST /orders through the demo Worker's own fetch handler, body read in full. */
async function postOrder(key: string, body: unknown, query = '') {
  const response = await exports.default.fetch(`http://demo.test/orders${query}`, {
    method: 'POST',
    headers: { 'idempotency-key': key, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    replayed: response.headers.get('idempotent-replayed'),
    contentType: response.headers.get('content-type'),
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as Order & { title?: string },
  };
}

describe('demo Worker', () => {
  it('runs 200 concurrent identical requests once', async () => {
    const key = `order-${crypto.randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 200 }, () => postOrder(key, { item: 'book' })));

    const created = results.filter((r) => r.status === 201);
    const executions = created.filter((r) => r.replayed === null);
    expect(executions).toHaveLength(1);
    expect(new Set(created.map((r) => r.body.id))).toEqual(new Set([executions[0]?.body.id]));
    // The others arrived while the first ran (409) or after it finished (its replay).
    for (const r of results) expect(r.status === 201 || r.status === 409).toBe(true);

    const later = await postOrder(key, { item: 'book' });
    expect(later).toMatchObject({ status: 201, replayed: 'true', body: { id: executions[0]?.body.id } });
  });

  it('answers what docs/cloudflare.md shows: new, replay, 422 and 409', async () => {
    const key = `order-${crypto.randomUUID()}`;
    const first = await postOrder(key, { item: 'book', quantity: 1 });
    expect(first).toMatchObject({ status: 201, replayed: null, body: { item: 'book' } });

    const replay = await postOrder(key, { item: 'book', quantity: 1 });
    expect(replay).toMatchObject({ status: 201, replayed: 'true', body: first.body });

    const mismatch = await postOrder(key, { item: 'lamp', quantity: 1 });
    expect(mismatch).toMatchObject({ status: 422, contentType: 'application/problem+json' });

    // Two identical slow requests at once: whichever takes the key first runs, the other gets a
    // 409 (the same URL, query included: another URL would be another request, a 422).
    const slowKey = `order-${crypto.randomUUID()}`;
    const pair = await Promise.all([
      postOrder(slowKey, { item: 'piano' }, '?delayMs=1000'),
      new Promise((resolve) => setTimeout(resolve, 100)).then(() =>
        postOrder(slowKey, { item: 'piano' }, '?delayMs=1000'),
      ),
    ]);
    expect(pair.map((r) => r.status).sort()).toEqual([201, 409]);
    const conflict = pair.find((r) => r.status === 409);
    expect(conflict?.retryAfter).toMatch(/^\d+$/);
    expect(conflict?.contentType).toBe('application/problem+json');
  });

  it('serves its usage page and leaves requests without a key unguarded', async () => {
    const page = await exports.default.fetch('http://demo.test/');
    expect(await page.text()).toContain('POST /orders');
    const [a, b] = await Promise.all([
      exports.default.fetch('http://demo.test/orders', { method: 'POST', body: '{}' }),
      exports.default.fetch('http://demo.test/orders', { method: 'POST', body: '{}' }),
    ]);
    const [orderA, orderB] = (await Promise.all([a.json(), b.json()])) as Order[];
    expect(orderA?.id).not.toBe(orderB?.id);
  });
});
