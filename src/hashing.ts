import { sha256Hex } from '#sha256';
import { joinedInRoom } from './headroom.ts';

const utf8 = new TextEncoder();
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Set in a length to mark a string hashed as UTF-16 code units instead of UTF-8. */
const UTF16_PART = 2 ** 27;

/**
 * Encode parts, each preceded by its byte length, so no two different lists of parts encode to
 * the same bytes ("ab" + "c" never collides with "a" + "bc"). Answers chunks for `sha256Hex`:
 * strings are packed into one string, byte parts (bodies) are passed through uncopied.
 *
 * Injective over every JS string: UTF-8 would turn a lone surrogate into U+FFFD, so
 * `"acme\uD800"` and `"acme\uFFFD"` would share a record. A string with a lone surrogate is
 * hashed as its UTF-16 code units under a length marked {@link UTF16_PART}, which no
 * well-formed string or byte part carries. Well-formed strings hash as before.
 */
export function lengthPrefixed(parts: ReadonlyArray<string | Uint8Array>): Array<string | Uint8Array> {
  const chunks: Array<string | Uint8Array> = [];
  let text = '';
  for (const part of parts) {
    if (typeof part !== 'string') {
      chunks.push(text + lengthOf(part.byteLength), part);
      text = '';
    } else if (isAscii(part)) {
      text += lengthOf(part.length) + part;
    } else if (!LONE_SURROGATE.test(part)) {
      text += lengthOf(utf8.encode(part).byteLength) + part;
    } else {
      const units = utf16Units(part);
      chunks.push(text + lengthOf(units.byteLength, UTF16_PART), units);
      text = '';
    }
  }
  if (text) chunks.push(text);
  return chunks;
}

/** A length as four characters that UTF-8 encodes to four bytes (base 128, big endian). */
function lengthOf(n: number, marker = 0): string {
  if (n >= UTF16_PART) throw new RangeError('a hashed part can be at most 128 MiB');
  const value = n + marker;
  return String.fromCharCode(
    (value >>> 21) & 0x7f,
    (value >>> 14) & 0x7f,
    (value >>> 7) & 0x7f,
    value & 0x7f,
  );
}

// ASCII (every key, method and path we hash in practice) is one byte per character.
function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

function utf16Units(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    bytes[2 * i] = unit >>> 8;
    bytes[2 * i + 1] = unit & 0xff;
  }
  return bytes;
}

/** Hex SHA-256 of the length-prefixed parts. */
export function hashParts(parts: ReadonlyArray<string | Uint8Array>): Promise<string> {
  const chunks = lengthPrefixed(parts);
  const joined = joinedInRoom(chunks);
  return sha256Hex(joined ? [joined] : chunks);
}

/**
 * The key a record is stored under: the prefix plus a hash of the scope and the client's key,
 * so one principal never reaches another's record and neither the key nor the scope (by
 * default the `Authorization` header) is ever written to a store.
 */
export function storageKey(prefix: string, scope: string, idempotencyKey: string): Promise<string> {
  return hashParts(['edge-idempotency/key/v1', scope, idempotencyKey]).then((hash) => prefix + hash);
}

/** The storage key of a call to `idempotent(fn)`: the function's name and the call's key. */
export async function functionKey(prefix: string, name: string, key: string): Promise<string> {
  return prefix + (await hashParts(['edge-idempotency/fn/v2', name, key]));
}
