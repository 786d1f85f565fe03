import { describe, expect, it } from 'vitest';
import { knownBody, MemoryStore, setKnownBody, withIdempotency } from '../../src/index.ts';

const bytes = new TextEncoder().encode('{"amount":1}');
function adapterRequest(body: Uint8Array<ArrayBuffer> = bytes): Request {
  const request = new Request('https://api.example.com/orders', {
    method: 'POST',
    body,
    headers: { 'idempotency-key': 'k', 'content-type': 'application/json' },
  });
  setKnownBody(request, body);
  return request;
}

describe('bodies an adapter hands over as bytes', () => {
  it('hands the handler the request unread, and fingerprints the same bytes as a read body', async () => {
    const store = new MemoryStore();
    const seen: Request[] = [];
    const handler = withIdempotency(
      async (request: Request) => {
        seen.push(request);
        return new Response(await request.text(), { status: 201 });
      },
      { store },
    );
    const request = adapterRequest();
    const first = await handler(request);
    expect(seen[0]).toBe(request);
    expect(await first.text()).toBe('{"amount":1}');
    // The same request built without known bytes is the same request: a replay, not a 422.
    const plain = new Request('https://api.example.com/orders', {
      method: 'POST',
      body: bytes,
      headers: { 'idempotency-key': 'k', 'content-type': 'application/json' },
    });
    const replay = await handler(plain);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(seen).toHaveLength(1);
  });

  it('still answers 413 for known bytes over maxBodyBytes', async () => {
    const handler = withIdempotency(async () => new Response('ran'), {
      store: new MemoryStore(),
      maxBodyBytes: 4,
    });
    expect((await handler(adapterRequest())).status).toBe(413);
  });

  it('marks first answers and replays with their bytes, until someone reads them', async () => {
    const handler = withIdempotency(async () => new Response('stored body', { status: 201 }), {
      store: new MemoryStore(),
    });
    const first = await handler(adapterRequest());
    expect(new TextDecoder().decode(knownBody(first))).toBe('stored body');
    const replay = await handler(adapterRequest());
    expect(new TextDecoder().decode(knownBody(replay))).toBe('stored body');
    await replay.text();
    expect(knownBody(replay)).toBeUndefined();
  });
});
