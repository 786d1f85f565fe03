/// <reference types="node" />
/**
 * `runtime.ts` for Node (and Deno and Bun, which resolve the `node` condition): a keep-alive
 * `node:http(s)` agent, `node:crypto` HMAC, `node:zlib` gzip, `Buffer` base64. Same contract.
 */
import { createHmac } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { text } from 'node:stream/consumers';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { HttpAnswer } from './runtime.ts';

export type { HttpAnswer };

// One connection pool per process: a warm Lambda reuses its socket to DynamoDB.
const http = new HttpAgent({ keepAlive: true });
const https = new HttpsAgent({ keepAlive: true });

/** POST `body` to `url` over a kept-alive connection. */
export function post(
  url: URL,
  headers: Record<string, string>,
  body: string,
  signal: AbortSignal,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const request = (secure ? httpsRequest : httpRequest)(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        agent: secure ? https : http,
        signal,
      },
      // The body is read by `text()`: a failure or the signal while reading rejects that.
      (answer) => resolve({ status: answer.statusCode ?? 0, text: () => text(answer) }),
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** `node:crypto` takes the secret as it is: nothing to import. */
export type HmacKey = Uint8Array | string;

/** Same contract as `runtime.ts`. */
export async function hmacKey(secret: Uint8Array | string): Promise<HmacKey> {
  return secret;
}

/** HMAC-SHA256 of `data` (UTF-8) under `key`. */
export async function hmacSha256(key: HmacKey, data: string): Promise<Uint8Array> {
  return asBytes(createHmac('sha256', key).update(data).digest());
}

// Synchronous: for the bodies a record holds (at most ~400 KB gzipped) a trip to the thread
// pool costs more than the work.
/** gzip `bytes`. */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  return asBytes(gzipSync(bytes));
}

/** Undo {@link gzip}; rejects on bytes that are not gzip. */
export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  return asBytes(gunzipSync(bytes));
}

/** Standard base64 of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Bytes of standard base64 text. */
export function fromBase64(text: string): Uint8Array {
  return asBytes(Buffer.from(text, 'base64'));
}

// A plain Uint8Array view: a Buffer would serialize as `{type, data}` in JSON, and callers
// compare with Uint8Array.
function asBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
