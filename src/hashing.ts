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
 * Concatenate parts, each preceded by its byte length, so no two different lists of parts
 * encode to the same bytes ("ab" + "c" never collides with "a" + "bc").
 */
export function lengthPrefixed(parts: ReadonlyArray<string | Uint8Array>): Uint8Array {
  const encoded = parts.map((part) => (typeof part === 'string' ? utf8.encode(part) : part));
  const out = new Uint8Array(encoded.reduce((size, part) => size + 4 + part.byteLength, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const part of encoded) {
    view.setUint32(at, part.byteLength);
    out.set(part, at + 4);
    at += 4 + part.byteLength;
  }
  return out;
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
