// Lambda carries binary bodies as base64 text. atob/btoa work on "binary strings" (one char per
// byte), so bytes are moved through those in chunks: no Buffer, so the adapter bundles small
// and runs wherever Web APIs exist.

const CHUNK = 0x8000;

/** The bytes of a base64 text; throws a `DOMException` when the text is not base64. */
export function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The base64 text of some bytes. */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = '';
  // Chunked because String.fromCharCode(...bytes) overflows the call stack on large bodies.
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}
