import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import app, { observed } from './hono-worker.ts';

// The Hono app is the Worker's fetch handler: called as workerd calls it, with the real env
// (its IDEMPOTENCY Durable Object binding) as `c.env`.
const call = (request: Request) => app.fetch(request, env);

function order(tenant: string, key: string, body: unknown): Request {
  return new Request(`https://shop.test/api/${tenant}/orders`, {
    method: 'POST',
    headers: { 'idempotency-key': key, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

function blob(key: string, body: Uint8Array | null, method = 'POST'): Request {
  return new Request('https://shop.test/api/t1/blobs', {
    method,
    headers: { 'idempotency-key': key },
    body: body?.slice() ?? null,
  });
}

async function snapshot(response: Response) {
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: new Uint8Array(await response.arrayBuffer()),
  };
}

const runsOf = (name: string) => observed.runs.filter((run) => run === name).length;
const fresh = (label: string) => `${label}-${crypto.randomUUID()}`;

describe('idempotency() in a Hono Worker with DurableObjectStore from c.env', () => {
  it('runs once, replays byte for byte with the later middleware header, and answers 422 for another body', async () => {
    const tenant = fresh('t');
    const key = fresh('k');
    const first = await snapshot(await call(order(tenant, key, { item: 'book' })));
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(first.headers['x-signature']).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(new TextDecoder().decode(first.body))).toMatchObject({ tenant, item: 'book' });

    const replay = await snapshot(await call(order(tenant, key, { item: 'book' })));
    expect(replay.body).toEqual(first.body);
    expect(replay.headers).toEqual({ ...first.headers, 'idempotent-replayed': 'true' });

    const other = await call(order(tenant, key, { item: 'lamp' }));
    expect(other.status).toBe(422);
    expect(other.headers.get('content-type')).toBe('application/problem+json');
    expect(runsOf(`order:${tenant}`)).toBe(1);
  });

  it('answers 409 while the first runs and runs 200 concurrent identical requests once', async () => {
    const tenant = fresh('t');
    const key = fresh('k');
    let open = () => {};
    observed.hold = new Promise<void>((resolve) => {
      open = resolve;
    });
    try {
      const all = Promise.all(Array.from({ length: 200 }, () => call(order(tenant, key, { item: 'piano' }))));
      await expect.poll(() => runsOf(`order:${tenant}`)).toBe(1);
      const conflict = await call(order(tenant, key, { item: 'piano' }));
      expect(conflict.status).toBe(409);
      expect(conflict.headers.get('retry-after')).toMatch(/^\d+$/);
      open();
      const responses = await all;
      for (const response of responses) expect([201, 409]).toContain(response.status);
      const created = responses.filter((response) => response.status === 201);
      expect(created.filter((response) => !response.headers.has('idempotent-replayed'))).toHaveLength(1);
      expect(new Set(await Promise.all(created.map((response) => response.text()))).size).toBe(1);
      await Promise.all(responses.filter((r) => !r.bodyUsed).map((r) => r.body?.cancel()));
    } finally {
      open();
      observed.hold = Promise.resolve();
    }
    expect(runsOf(`order:${tenant}`)).toBe(1);
  });

  it('hands downstream the binary body (c.req.arrayBuffer) and replays a binary response byte for byte', async () => {
    const body = Uint8Array.from({ length: 1024 }, (_, i) => (i * 13) % 256);
    const key = fresh('b');
    const before = runsOf('blob:POST');
    const first = new Uint8Array(await (await call(blob(key, body))).arrayBuffer());
    expect(first).toEqual(body.slice().reverse());
    const replay = await call(blob(key, body));
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(new Uint8Array(await replay.arrayBuffer())).toEqual(first);
    // Bytes that are not UTF-8 count: 0xFE instead of 0xFF is another body.
    const changed = body.slice();
    changed[1] = changed[1] === 0xff ? 0xfe : 0xff;
    expect((await call(blob(key, changed))).status).toBe(422);
    expect(runsOf('blob:POST')).toBe(before + 1);
  });

  it("releases the key when the handler throws, and Hono's onError sees the error", async () => {
    const tenant = fresh('t');
    const key = fresh('k');
    const errorsBefore = observed.errors.length;
    for (let i = 0; i < 2; i++) {
      const response = await call(order(tenant, key, { item: 'x', fail: true }));
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ error: 'warehouse unreachable' });
    }
    expect(runsOf(`order:${tenant}`)).toBe(2);
    expect(observed.errors.slice(errorsBefore).map((error) => (error as Error).message)).toEqual([
      'warehouse unreachable',
      'warehouse unreachable',
    ]);
  });

  it('lets GET pass through with a key', async () => {
    const key = fresh('g');
    const before = runsOf('blob:GET');
    for (let i = 0; i < 2; i++) {
      const response = await call(blob(key, null, 'GET'));
      expect(response.headers.get('idempotent-replayed')).toBeNull();
    }
    expect(runsOf('blob:GET')).toBe(before + 2);
  });
});
