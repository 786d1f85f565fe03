import { assertReplayable } from './replayable.ts';
import type { IdempotencyRecord, StoredResponse } from './types.ts';

/**
 * A compact binary form of {@link StoredResponse} for stores whose backend keeps bytes or
 * strings (Redis, DynamoDB, SQLite). One format for every store means binary bodies and
 * repeated headers survive the same way everywhere, and a corrupted value is caught here.
 *
 * Layout (big endian): u8 version, u8 flags (bit 0: body retained), u16 status, u16 header
 * count, then per header u16 name length, name, u32 value length, value (UTF-8), then the body
 * bytes to the end.
 */
const VERSION = 1;
const BODY_RETAINED = 1;
// Pure, so a bundle that takes only the record checks (the core) drops them.
const utf8 = /* @__PURE__ */ new TextEncoder();
const utf8Strict = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Thrown by the decoder for bytes that are not a response this library wrote. */
export class CorruptRecordError extends Error {
  override name = 'CorruptRecordError';
}

/**
 * Whether a store failed because a record could not be read: by class, or by name for one
 * that crossed an RPC boundary (a Durable Object decodes its records on its own side).
 */
export function isCorruptRecordError(error: unknown): boolean {
  return error instanceof CorruptRecordError || (error as Error | undefined)?.name === 'CorruptRecordError';
}

/** Encode a response for storage. */
export function encodeStoredResponse(response: StoredResponse): Uint8Array {
  const headers = response.headers.map(([name, value]) => [utf8.encode(name), utf8.encode(value)] as const);
  if (headers.length > 0xffff) throw new RangeError('a stored response can have at most 65535 headers');
  let size = 6 + (response.body?.byteLength ?? 0);
  for (const [name, value] of headers) {
    if (name.byteLength > 0xffff) throw new RangeError('a stored header name can be at most 65535 bytes');
    size += 6 + name.byteLength + value.byteLength;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint8(0, VERSION);
  view.setUint8(1, response.body ? BODY_RETAINED : 0);
  view.setUint16(2, response.status);
  view.setUint16(4, headers.length);
  let at = 6;
  for (const [name, value] of headers) {
    view.setUint16(at, name.byteLength);
    out.set(name, at + 2);
    at += 2 + name.byteLength;
    view.setUint32(at, value.byteLength);
    out.set(value, at + 4);
    at += 4 + value.byteLength;
  }
  if (response.body) out.set(response.body, at);
  return out;
}

/** Decode bytes written by {@link encodeStoredResponse}; throws {@link CorruptRecordError}. */
export function decodeStoredResponse(bytes: Uint8Array): StoredResponse {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (at: number, n: number) => {
    if (at + n > bytes.byteLength) throw new CorruptRecordError('stored response is truncated');
  };
  need(0, 6);
  if (view.getUint8(0) !== VERSION) {
    throw new CorruptRecordError(`unknown stored response version ${view.getUint8(0)}`);
  }
  const flags = view.getUint8(1);
  const status = view.getUint16(2);
  const count = view.getUint16(4);
  const headers: Array<[string, string]> = [];
  let at = 6;
  try {
    for (let i = 0; i < count; i++) {
      need(at, 2);
      const nameLength = view.getUint16(at);
      need(at + 2, nameLength + 4);
      const name = utf8Strict.decode(bytes.subarray(at + 2, at + 2 + nameLength));
      at += 2 + nameLength;
      const valueLength = view.getUint32(at);
      need(at + 4, valueLength);
      const value = utf8Strict.decode(bytes.subarray(at + 4, at + 4 + valueLength));
      at += 4 + valueLength;
      headers.push([name, value]);
    }
  } catch (error) {
    if (error instanceof CorruptRecordError) throw error;
    throw new CorruptRecordError('stored response has a header that is not UTF-8');
  }
  const response = {
    status,
    headers,
    body: flags & BODY_RETAINED ? bytes.slice(at) : null,
  };
  assertStoredResponse(response);
  return response;
}

const FINGERPRINT = /^[0-9a-f]{64}$/;

/** Whether `value` is a fingerprint as the wrapper writes it (hex SHA-256); for store decoders. */
export const isFingerprint = (value: string): boolean => FINGERPRINT.test(value);

/**
 * Check that a value read from a store is a record this library could have written, so a
 * corrupted or foreign value becomes a store error instead of a crash or a garbage replay.
 */
export function assertRecord(record: unknown): asserts record is IdempotencyRecord {
  const r = record as IdempotencyRecord | null;
  if (typeof r !== 'object' || r === null) throw new CorruptRecordError('record is not an object');
  if (r.state !== 'in_progress' && r.state !== 'completed') {
    throw new CorruptRecordError(`record has unknown state ${String(r.state)}`);
  }
  if (typeof r.fingerprint !== 'string' || !isFingerprint(r.fingerprint)) {
    throw new CorruptRecordError('record fingerprint is not a SHA-256 hex digest');
  }
  if (typeof r.expiresAt !== 'number' || !Number.isFinite(r.expiresAt)) {
    throw new CorruptRecordError('record expiry is not a number');
  }
  if (r.state === 'completed') assertStoredResponse(r.response);
}

function assertStoredResponse(response: unknown): asserts response is StoredResponse {
  const r = response as StoredResponse | undefined;
  if (typeof r !== 'object' || r === null) {
    throw new CorruptRecordError('completed record has no response');
  }
  if (!Array.isArray(r.headers)) throw new CorruptRecordError('stored headers are not a list');
  for (const pair of r.headers) {
    if (!Array.isArray(pair) || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      throw new CorruptRecordError('stored header is not a name/value pair');
    }
  }
  if (r.body !== null && !(ArrayBuffer.isView(r.body) && r.body.BYTES_PER_ELEMENT === 1)) {
    throw new CorruptRecordError('stored body is not bytes');
  }
  try {
    assertReplayable(r);
  } catch (error) {
    throw new CorruptRecordError(`stored response cannot be replayed: ${(error as Error).message}`);
  }
}
