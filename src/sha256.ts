/**
 * SHA-256 with Web Crypto: the implementation for workerd, Vercel Edge, Deno, Bun and browsers.
 * Node gets `sha256.node.ts` through the `node` condition of the `#sha256` import, because Web
 * Crypto's `digest` costs about 50 µs per call on Node against a few for `node:crypto`.
 * The message comes in chunks (strings are hashed as UTF-8) so Node can hash a body uncopied.
 */
import { hex } from './hex.ts';

const utf8 = new TextEncoder();

/** Lower-case hex SHA-256 of the chunks, concatenated. */
export function sha256Hex(chunks: ReadonlyArray<string | Uint8Array>): Promise<string> {
  const only = chunks.length === 1 ? chunks[0] : undefined;
  // One chunk of bytes (a body, or parts joined in the room in front of it) is digested where
  // it lies: a copy would be an allocation the size of the body. Bytes we hash never sit on a
  // SharedArrayBuffer: they are bodies read and strings encoded.
  const message = typeof only === 'string' ? utf8.encode(only) : (only ?? joined(chunks));
  return crypto.subtle.digest('SHA-256', message as Uint8Array<ArrayBuffer>).then(hexOfDigest);
}

// A callback, not an async function: two of these run on every guarded request.
const hexOfDigest = (digest: ArrayBuffer): string => hex(new Uint8Array(digest));

/**
 * The chunks in one buffer, strings encoded straight into it: in workerd an allocation of bytes
 * costs about as much as the digest of a kilobyte. UTF-8 takes at most 3 bytes per UTF-16 unit.
 */
function joined(chunks: ReadonlyArray<string | Uint8Array>): Uint8Array {
  let size = 0;
  for (const chunk of chunks) size += typeof chunk === 'string' ? chunk.length * 3 : chunk.byteLength;
  const message = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    if (typeof chunk === 'string') {
      at += utf8.encodeInto(chunk, message.subarray(at)).written;
    } else {
      message.set(chunk, at);
      at += chunk.byteLength;
    }
  }
  return message.subarray(0, at);
}
