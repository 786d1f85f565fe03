import type { HonoRequest } from 'hono';
import {
  IdempotencyConfigurationError,
  requestDeadline,
  setKnownBody,
  setRequestDeadline,
  setVerifiedPrincipal,
  verifiedPrincipal,
} from '../../src/index.ts';

/**
 * The request as the client sent it, body unread, for the wrapper to fingerprint. Usually
 * `c.req.raw` itself. When a middleware before ours already read the body through Hono
 * (`c.req.json()`, a validator), the raw stream is spent but Hono keeps what it read: rebuild
 * the request around those bytes. Only caches that hold the bytes qualify (`arrayBuffer`,
 * `text`, `blob`); parsed form data cannot give back the exact body, and a fingerprint over
 * anything else would turn every retry into a 422, so that case is a configuration error.
 */
export async function receivedRequest(req: HonoRequest): Promise<Request> {
  const raw = req.raw;
  if (!raw.bodyUsed) return raw;
  // Hono's cache holds promises of the read body, whatever its type says.
  const cache = req.bodyCache as {
    arrayBuffer?: Promise<ArrayBuffer>;
    text?: Promise<string>;
    blob?: Promise<Blob>;
  };
  const read = cache.arrayBuffer
    ? await cache.arrayBuffer
    : cache.text
      ? new TextEncoder().encode(await cache.text)
      : cache.blob
        ? await (await cache.blob).arrayBuffer()
        : undefined;
  if (read === undefined) {
    throw new IdempotencyConfigurationError(
      'idempotency(): the request body was already read as form data, or straight from c.req.raw, before this middleware; register idempotency() before the middleware that reads it',
    );
  }
  const bytes = new Uint8Array(read);
  const rebuilt = new Request(raw, { body: bytes });
  // We hold its bytes: the wrapper fingerprints them without reading the copy back.
  setKnownBody(rebuilt, bytes);
  return sameCaller(raw, rebuilt);
}

/**
 * Carry what runtime adapters attached to the original request (the verified principal that
 * the default scope uses, the deadline that caps the lease) over to a copy of it: without them
 * a rebuilt request would land in another scope, and a retry could run again.
 */
export function sameCaller(from: Request, to: Request): Request {
  if (from === to) return to;
  const principal = verifiedPrincipal(from);
  if (principal !== undefined) setVerifiedPrincipal(to, principal);
  const deadline = requestDeadline(from);
  if (deadline !== undefined) setRequestDeadline(to, deadline);
  return to;
}
