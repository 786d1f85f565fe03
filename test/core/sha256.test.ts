import { createHash } from 'node:crypto';
import { expect, it, vi } from 'vitest';
import { readRequestBody } from '../../src/body.ts';
import { hashParts, lengthPrefixed } from '../../src/hashing.ts';
import { HEADROOM_BYTES, joinedInRoom } from '../../src/headroom.ts';
import { hex } from '../../src/hex.ts';
import { sha256Hex as nodeSha256 } from '../../src/sha256.node.ts';
import { sha256Hex as webSha256 } from '../../src/sha256.ts';

// A Worker (Web Crypto) and a Node service (node:crypto) sharing one store must derive the same
// storage keys and fingerprints, so both implementations must agree on every input.
it('hashes the same chunks to the same digest with Web Crypto and node:crypto', async () => {
  const inputs: Array<Array<string | Uint8Array>> = [
    [],
    [''],
    ['abc'],
    ['caf\u00e9 \u2713 \u{1f600}', '\u0000\u007f'],
    [new Uint8Array(0)],
    ['head', Uint8Array.from({ length: 300 }, (_, i) => i % 256), 'tail'],
    [crypto.getRandomValues(new Uint8Array(4096))],
  ];
  for (const chunks of inputs) {
    const expected = createHash('sha256');
    for (const chunk of chunks) expected.update(chunk);
    const hex = expected.digest('hex');
    expect(await nodeSha256(chunks)).toBe(hex);
    expect(await webSha256(chunks)).toBe(hex);
  }
});

// A body the wrapper read has room in front of it, where the parts hashed before it are written
// so the two are digested in place: the digest must be the one of the parts joined, with either
// SHA-256, and the body itself must come out untouched.
it('hashes parts ending in a body read with room in front in place, to the same digest, leaving the body as it was', async () => {
  const sent = crypto.getRandomValues(new Uint8Array(20_000));
  const body = await readAsTheWrapperDoes(sent);
  const digestOf = (parts: Array<string | Uint8Array>) => {
    const hash = createHash('sha256');
    for (const chunk of lengthPrefixed(parts)) hash.update(chunk);
    return hash.digest('hex');
  };
  // The last two are too long for the room: they are joined in a copy instead.
  const texts: Array<[string, boolean]> = [
    ['', true],
    ['head', true],
    ['caf\u00e9 \u2713 \u{1f600}', true],
    ['x'.repeat(HEADROOM_BYTES - 8), false],
    ['y'.repeat(600), false],
  ];
  for (const [text, fits] of texts) {
    const parts = ['edge-idempotency/fingerprint/v1', text, body];
    const expected = digestOf(['edge-idempotency/fingerprint/v1', text, sent]);
    expect(joinedInRoom(lengthPrefixed(parts)) !== undefined).toBe(fits);
    expect(await hashParts(parts)).toBe(expected);
    expect(await webSha256(lengthPrefixed(parts))).toBe(expected);
    expect(body).toEqual(sent);
  }
  // A view further into the same buffer has no room of ours in front: its bytes before are body.
  const inner = body.subarray(10);
  expect(joinedInRoom(['head', inner])).toBeUndefined();
  expect(await hashParts(['head', inner])).toBe(digestOf(['head', sent.subarray(10)]));
  expect(body).toEqual(sent);
});

// In place means the digest reads the body's own buffer: a copy into a new message would be an
// allocation the size of the body on every request.
it('gives Web Crypto a body read with room in front, and the parts written there, without copying it', async () => {
  const sent = crypto.getRandomValues(new Uint8Array(20_000));
  const body = await readAsTheWrapperDoes(sent);
  const digest = vi.spyOn(crypto.subtle, 'digest');
  try {
    const chunks = lengthPrefixed(['edge-idempotency/fingerprint/v1', 'POST', body]);
    const joined = joinedInRoom(chunks);
    expect(joined?.buffer).toBe(body.buffer);
    const expected = createHash('sha256');
    for (const chunk of chunks) expected.update(chunk);
    expect(await webSha256([joined as Uint8Array])).toBe(expected.digest('hex'));
    expect(await webSha256([body])).toBe(createHash('sha256').update(sent).digest('hex'));
    const given = digest.mock.calls.map(([, data]) => (data as Uint8Array).buffer);
    expect(given).toEqual([body.buffer, body.buffer]);
  } finally {
    digest.mockRestore();
  }
});

/**
 * A request body read back as the wrapper reads it. Bodies past 8 KiB are read on Node too the
 * way workerd reads them all: into a buffer with room in front.
 */
async function readAsTheWrapperDoes(sent: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const request = new Request('https://api.example.com/orders', {
    method: 'POST',
    body: sent,
    headers: { 'content-length': String(sent.byteLength) },
  });
  const body = await readRequestBody(request, 1 << 20);
  if (!(body instanceof Uint8Array)) throw new Error('no body read');
  return body;
}

// `hex` writes a digest's digits into one shared buffer: every byte value must come out as
// Node's hex does, at and past the buffer's size, and one answer must not change with the next.
it('writes hex as Node does for every byte value, at any length, each answer its own', () => {
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  for (const length of [0, 1, 31, 32, 33, 64, 256]) {
    const part = bytes.subarray(256 - length);
    expect(hex(part)).toBe(Buffer.from(part).toString('hex'));
  }
  const first = hex(new Uint8Array(32).fill(0xab));
  hex(new Uint8Array(32).fill(0x01));
  expect(first).toBe('ab'.repeat(32));
});
