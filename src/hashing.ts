import { sha256Hex } from '#sha256';

const utf8 = new TextEncoder();
/**
 * Encode parts, each preceded by its byte length, so no two different lists of parts encode to
 * the same bytes ("ab" + "c" never collides with "a" + "bc"). Answers chunks for `sha256Hex`:
 * strings are packed into one string, byte parts (bodies) are passed through uncopied.
 */
export function lengthPrefixed(parts: ReadonlyArray<string | Uint8Array>): Array<string | Uint8Array> {
  const chunks: Array<string | Uint8Array> = [];
  let text = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      text += lengthOf(utf8ByteLength(part)) + part;
    } else {
      chunks.push(text + lengthOf(part.byteLength), part);
      text = '';
    }
  }
  if (text) chunks.push(text);
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
  return sha256Hex(lengthPrefixed(parts));
}

/**
 * The key a record is stored under: the prefix plus a hash of the scope and the client's key,
 * so one principal never reaches another's record and neither the key nor the scope (by
 * default the `Authorization` header) is ever written to a store.
 */
export async function storageKey(prefix: string, scope: string, idempotencyKey: string): Promise<string> {
  return prefix + (await hashParts(['edge-idempotency/key/v1', scope, idempotencyKey]));
}
