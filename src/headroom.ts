/**
 * Bytes left free in front of a request body the wrapper reads. Web Crypto digests one buffer,
 * so a fingerprint (its header parts, then the body) would otherwise copy the body into a new
 * message; with room in front, the parts are written there and the body is hashed in place.
 * The copy is an allocation the size of the body: in workerd, without it, a 100 KB request
 * takes 1.02x the floor's time instead of 1.18x (new) and 1.05-1.09x instead of 1.25-1.35x
 * (replay).
 */
export const HEADROOM_BYTES = 512;

const utf8 = new TextEncoder();

// A property under a private symbol on the buffer, as known-body.ts marks messages.
const ROOM = Symbol();
type Marked = { [ROOM]?: true };

/** `length` bytes from {@link HEADROOM_BYTES} into a buffer of ours: the room in front is free. */
export function withHeadroom(buffer: ArrayBufferLike, length: number): Uint8Array {
  (buffer as Marked)[ROOM] = true;
  return new Uint8Array(buffer, HEADROOM_BYTES, length);
}

/**
 * The chunks as one message, when they are a string and then a body read with room in front
 * (exactly where it was put: a view further in has body bytes in front) that the string's UTF-8
 * fits in: the string is written into the room, just before the body.
 */
export function joinedInRoom(chunks: ReadonlyArray<string | Uint8Array>): Uint8Array | undefined {
  if (chunks.length !== 2) return undefined;
  const text = chunks[0];
  const body = chunks[1];
  if (typeof text !== 'string' || !(body instanceof Uint8Array)) return undefined;
  if (!(body.buffer as Marked)[ROOM] || body.byteOffset !== HEADROOM_BYTES) return undefined;
  const room = new Uint8Array(body.buffer, 0, HEADROOM_BYTES);
  const { read, written } = utf8.encodeInto(text, room);
  if (read !== text.length) return undefined;
  room.copyWithin(HEADROOM_BYTES - written, 0, written);
  return new Uint8Array(body.buffer, HEADROOM_BYTES - written, written + body.byteLength);
}
