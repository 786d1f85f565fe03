/**
 * What the DynamoDB store needs from its runtime, with Web-standard APIs only: the version for
 * workerd, Vercel Edge, Deno, Bun and browsers. Node gets `runtime.node.ts` through the `node`
 * condition of the package's `#dynamodb-runtime` import (no `node:` import reaches a Worker's
 * bundle): there Web Crypto costs about 50 µs a call and CompressionStream about 500 µs for
 * 5 KiB, against a few µs and about 60 µs for `node:crypto` and `node:zlib`.
 */

/** A DynamoDB answer: its HTTP status and its body. */
export interface HttpAnswer {
  status: number;
  text: string;
}

/**
 * POST `body` to `url` with `fetch` (connection reuse is the runtime's) and read the answer;
 * rejects with an error named `TimeoutError` when that takes more than `timeoutMs`.
 */
export async function post(
  url: URL,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<HttpAnswer> {
  // Its reason, what fetch and text() reject with once it fires, is a TimeoutError.
  const signal = AbortSignal.timeout(timeoutMs);
  const answer = await fetch(url, { method: 'POST', headers, body, signal });
  return { status: answer.status, text: await answer.text() };
}

const utf8 = new TextEncoder();

/**
 * A key ready for {@link hmacSha256}. Imported once: importing costs as much as signing, and
 * the day's signing key signs every request.
 */
export type HmacKey = CryptoKey;

/** Import `secret` (a string is UTF-8) as an HMAC-SHA256 key. */
export function hmacKey(secret: Uint8Array | string): Promise<HmacKey> {
  const raw = typeof secret === 'string' ? utf8.encode(secret) : secret;
  return crypto.subtle.importKey(
    'raw',
    raw as Uint8Array<ArrayBuffer>,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
}

/** HMAC-SHA256 of `data` (UTF-8) under `key`. */
export async function hmacSha256(key: HmacKey, data: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8.encode(data)));
}

/** gzip `bytes`. */
export function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  return transform(bytes, new CompressionStream('gzip'));
}

/** Undo {@link gzip}; rejects on bytes that are not gzip. */
export function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  return transform(bytes, new DecompressionStream('gzip'));
}

async function transform(bytes: Uint8Array, stream: CompressionStream | DecompressionStream) {
  // A copy with its own ArrayBuffer: Blob wants plain buffers, not views of shared ones.
  const source = new Blob([bytes.slice()]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(source).arrayBuffer());
}

/** DynamoDB's JSON form of a Binary attribute is standard base64. */
export { decodeBase64 as fromBase64, encodeBase64 as toBase64 } from '../../base64.ts';
