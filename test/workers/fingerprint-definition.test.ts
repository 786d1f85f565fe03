import { expect, it } from 'vitest';
import { lengthPrefixed } from '../../src/hashing.ts';
import { hex } from '../../src/hex.ts';
import { MemoryStore } from '../../src/stores/memory.ts';
import type { BeginInput, BeginResult } from '../../src/types.ts';
import { withIdempotency } from '../../src/with-idempotency.ts';

/** A MemoryStore that keeps the fingerprint of every `begin`. */
class RecordingStore extends MemoryStore {
  readonly fingerprints: string[] = [];
  override begin(input: BeginInput): Promise<BeginResult> {
    this.fingerprints.push(input.fingerprint);
    return super.begin(input);
  }
}

/** The fingerprint as its definition gives it: SHA-256 of the parts, length-prefixed, joined. */
async function expectedFingerprint(parts: Array<string | Uint8Array>): Promise<string> {
  const utf8 = new TextEncoder();
  const chunks = lengthPrefixed(parts).map((chunk) =>
    typeof chunk === 'string' ? utf8.encode(chunk) : chunk,
  );
  const message = new Uint8Array(chunks.reduce((size, chunk) => size + chunk.byteLength, 0));
  let at = 0;
  for (const chunk of chunks) {
    message.set(chunk, at);
    at += chunk.byteLength;
  }
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', message)));
}

// A Worker and a Node service sharing a store must fingerprint a request alike: in workerd (its
// one-read body, the path and query read off the URL, Web Crypto) the fingerprint is the one of
// its definition, whatever the body's size or the length of a hashed header, and the handler
// gets the body as sent.
it('fingerprints a request as the definition gives it and hands the body on as sent', async () => {
  const store = new RecordingStore();
  const received: Uint8Array[] = [];
  const guarded = withIdempotency(
    async (request: Request) => {
      received.push(new Uint8Array(await request.arrayBuffer()));
      return new Response('ok', { status: 201 });
    },
    { store },
  );
  const cases = [
    { size: 1024, contentType: 'application/json' },
    { size: 20_000, contentType: 'application/json' },
    { size: 1024, contentType: `application/x-${'a'.repeat(700)}` },
  ];
  for (const [i, { size, contentType }] of cases.entries()) {
    const sent = crypto.getRandomValues(new Uint8Array(size));
    const response = await guarded(
      new Request('https://api.example.com/orders?page=2', {
        method: 'POST',
        body: sent,
        headers: {
          'idempotency-key': `key-${i}`,
          'content-type': contentType,
          'content-length': String(size),
        },
      }),
    );
    expect(response.status).toBe(201);
    expect(received[i]).toEqual(sent);
    expect(store.fingerprints[i]).toBe(
      await expectedFingerprint([
        'edge-idempotency/fingerprint/v1',
        'POST',
        '/orders',
        '?page=2',
        'content-type',
        `1${contentType}`,
        sent,
      ]),
    );
  }
});
