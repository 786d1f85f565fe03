/**
 * SHA-256 with Web Crypto: the implementation for workerd, Vercel Edge, Deno, Bun and browsers.
 * Node gets `sha256.node.ts` through the `node` condition of the `#sha256` import, because Web
 * Crypto's `digest` costs about 50 µs per call on Node against a few for `node:crypto`.
 * The message comes in chunks (strings are hashed as UTF-8) so Node can hash a body uncopied.
 */
const utf8 = new TextEncoder();

/** Lower-case hex SHA-256 of the chunks, concatenated. */
export async function sha256Hex(chunks: ReadonlyArray<string | Uint8Array>): Promise<string> {
  const bytes = chunks.map((chunk) => (typeof chunk === 'string' ? utf8.encode(chunk) : chunk));
  let message = bytes[0] ?? new Uint8Array(0);
  if (bytes.length > 1) {
    message = new Uint8Array(bytes.reduce((size, chunk) => size + chunk.byteLength, 0));
    let at = 0;
    for (const chunk of bytes) {
      message.set(chunk, at);
      at += chunk.byteLength;
    }
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', message as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const byte of digest) hex += (byte < 16 ? '0' : '') + byte.toString(16);
  return hex;
}
