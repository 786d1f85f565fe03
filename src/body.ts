import { HEADROOM_BYTES, withHeadroom } from './headroom.ts';

/** Marks a body that went past its limit. */
export const TOO_LARGE = Symbol('too large');

/**
 * Read a request body once, up to `maxBytes`. Answers `null` for a request without a body and
 * {@link TOO_LARGE} as soon as the declared or streamed size passes the limit: never more than
 * `maxBytes` plus one chunk is read or held, whatever `Content-Length` claims (a body built
 * in-process can be longer than its header).
 */
export function readRequestBody(
  request: Request,
  maxBytes: number,
): Promise<Uint8Array | null | typeof TOO_LARGE> {
  // Not an async function: every guarded request with a body comes through here, and the
  // reads below are async frames of their own.
  if (request.body === null) return Promise.resolve(null);
  const declared = declaredLength(request.headers);
  if (declared !== undefined && declared > maxBytes) {
    return request.body
      .cancel()
      .catch(() => {})
      .then(() => TOO_LARGE);
  }
  // A small body is one chunk either way, and in Node a default reader is the cheaper one to
  // set up: about 4 µs instead of 12 for 1 KB. BYOB pays off past that (workerd, 100 KB: 355 µs
  // per request instead of 693), and in workerd at any size, where `readAtLeast` saves a read.
  const byob =
    declared !== undefined && declared <= SMALL_BODY_BYTES && !READS_AT_LEAST
      ? undefined
      : byobReader(request.body);
  if (byob) return readIntoBuffer(byob, maxBytes, declared);
  return readChunks(request.body.getReader(), maxBytes);
}

/** Up to this declared length a body is read with a default reader, not a BYOB one. */
const SMALL_BODY_BYTES = 8 * 1024;
const READS_AT_LEAST = /* @__PURE__ */ (() =>
  typeof ReadableStreamBYOBReader === 'function' && 'readAtLeast' in ReadableStreamBYOBReader.prototype)();

function byobReader(body: ReadableStream<Uint8Array>): ReadableStreamBYOBReader | undefined {
  try {
    return body.getReader({ mode: 'byob' });
  } catch {
    return undefined; // not a byte stream: read it chunk by chunk
  }
}

/** workerd's BYOB reader: `readAtLeast` resolves with fewer than `minBytes` only at the end. */
interface AtLeastReader {
  readAtLeast<T extends ArrayBufferView>(minBytes: number, view: T): Promise<ReadableStreamReadResult<T>>;
}

/**
 * Read a byte stream into one buffer sized from the declared length (plus one byte, to see a
 * body longer than it claims), growing it only up to `maxBytes + 1`. A body whose length is
 * declared takes one read and one more for the end, where a default reader takes one per
 * chunk (in workerd, about 70 µs per 1 KB request and far more for 100 KB). Where the reader
 * has workerd's `readAtLeast`, asking for the whole free space makes a short answer the end
 * itself: a body as long as it says is read in one step, without the read that finds the end
 * (in workerd each read costs a turn of the event loop, about 10 µs).
 */
async function readIntoBuffer(
  reader: ReadableStreamBYOBReader,
  maxBytes: number,
  declared: number | undefined,
): Promise<Uint8Array | typeof TOO_LARGE> {
  // The body goes after HEADROOM_BYTES of room, for the fingerprint to hash it in place.
  let buffer = new ArrayBuffer(HEADROOM_BYTES + Math.min(declared ?? 16 * 1024, maxBytes) + 1);
  let size = 0;
  for (;;) {
    if (HEADROOM_BYTES + size === buffer.byteLength) {
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        return TOO_LARGE;
      }
      const grown = new Uint8Array(HEADROOM_BYTES + Math.min(size * 2, maxBytes + 1));
      grown.set(new Uint8Array(buffer, HEADROOM_BYTES, size), HEADROOM_BYTES);
      buffer = grown.buffer;
    }
    const free = buffer.byteLength - HEADROOM_BYTES - size;
    const view = new Uint8Array(buffer, HEADROOM_BYTES + size, free);
    const { done, value } = READS_AT_LEAST
      ? await (reader as unknown as AtLeastReader).readAtLeast(free, view)
      : await reader.read(view);
    // A BYOB read transfers the buffer it fills: the end comes back on a view of it.
    if (done) return withHeadroom((value as Uint8Array | undefined)?.buffer ?? buffer, size);
    buffer = value.buffer;
    size += value.byteLength;
    if (READS_AT_LEAST && value.byteLength < free) return withHeadroom(buffer, size);
  }
}

/** Read chunk by chunk, stopping (and cancelling) at the first chunk that passes `maxBytes`. */
async function readChunks(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  maxBytes: number,
): Promise<Uint8Array | typeof TOO_LARGE> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return concatBytes(chunks, size);
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return TOO_LARGE;
    }
    chunks.push(value);
  }
}

/** The chunks as one array of `size` bytes (the only chunk itself, uncopied). */
export function concatBytes(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

function declaredLength(headers: Headers): number | undefined {
  const value = headers.get('content-length');
  if (value === null || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/**
 * TypeScript 5.7+ types bytes over a possibly shared buffer as not-a-BodyInit; ours always sit
 * on a plain ArrayBuffer.
 */
export const asBodyInit = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => bytes as Uint8Array<ArrayBuffer>;
