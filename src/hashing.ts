import { sha256 } from '#sha256';

const utf8 = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex of some bytes. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += HEX[byte];
  return out;
}

/**
 * Encode parts, each preceded by its byte length, so no two different lists of parts encode to
 * the same bytes ("ab" + "c" never collides with "a" + "bc"). Answers chunks: strings are
 * packed together, byte parts (bodies) are passed through uncopied.
 */
export function lengthPrefixed(parts: ReadonlyArray<string | Uint8Array>): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let text = '';
  const flush = () => {
    if (text) chunks.push(utf8.encode(text));
    text = '';
  };
  for (const part of parts) {
    if (typeof part === 'string') {
      text += lengthOf(utf8ByteLength(part)) + part;
    } else {
      text += lengthOf(part.byteLength);
      flush();
      chunks.push(part);
    }
  }
  flush();
  return chunks;
}

/** A length as four characters that UTF-8 encodes to four bytes (base 128, big endian). */
function lengthOf(n: number): string {
  if (n >= 2 ** 28) throw new RangeError('a hashed part can be at most 256 MiB');
  return String.fromCharCode((n >>> 21) & 0x7f, (n >>> 14) & 0x7f, (n >>> 7) & 0x7f, n & 0x7f);
}

function utf8ByteLength(text: string): number {
  // ASCII (every key, method and path we hash in practice) is one byte per character.
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return utf8.encode(text).byteLength;
  return text.length;
}

/** Hex SHA-256 of the length-prefixed parts. */
export async function hashParts(parts: ReadonlyArray<string | Uint8Array>): Promise<string> {
  return toHex(await sha256(lengthPrefixed(parts)));
}

/**
 * The key a record is stored under: the prefix plus a hash of the scope and the client's key,
 * so one principal never reaches another's record and neither the key nor the scope (by
 * default the `Authorization` header) is ever written to a store.
 */
export async function storageKey(prefix: string, scope: string, idempotencyKey: string): Promise<string> {
  return prefix + (await hashParts(['edge-idempotency/key/v1', scope, idempotencyKey]));
}
