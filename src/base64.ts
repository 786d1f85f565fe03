// Standard base64 over atob/btoa, which work on "binary strings" (one char per byte): no Buffer,
// so it runs wherever Web APIs exist. One copy for Lambda bodies, Upstash records and DynamoDB
// Binary attributes.

const CHUNK = 0x8000;

/** The base64 text of some bytes. */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = '';
  // Chunks keep String.fromCharCode under the argument limit; `apply`, not a spread: spreading
  // a typed array goes through its iterator, 4x slower on a body of several MB.
  for (let at = 0; at < bytes.byteLength; at += CHUNK) {
    binary += String.fromCharCode.apply(null, bytes.subarray(at, at + CHUNK) as unknown as number[]);
  }
  return btoa(binary);
}

/** The bytes of a base64 text; throws a `DOMException` when the text is not base64. */
export function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
