import { gunzip, gzip } from '#dynamodb-runtime';
import { decodeStoredResponse, encodeStoredResponse } from '../../record-codec.ts';
import type { StoredResponse } from '../../types.ts';

/**
 * Largest encoded response kept in one item. DynamoDB refuses items over 400 KB (names and
 * values together); 10 KB stays free for the key, the other attributes and their names.
 */
export const MAX_RESPONSE_ATTRIBUTE_BYTES = 390 * 1024;

/** A response as the bytes of the Binary attribute, and whether they are gzipped. */
export interface ResponseAttribute {
  bytes: Uint8Array;
  compressed: boolean;
}

/**
 * Encode a response for its Binary attribute: gzipped when larger than `compressAboveBytes`
 * and gzip helps. Answers `undefined` when even that does not fit the item: the caller then
 * refuses the record as too large (the wrapper completes it without its body).
 */
export async function encodeResponseAttribute(
  response: StoredResponse,
  compressAboveBytes: number,
): Promise<ResponseAttribute | undefined> {
  const encoded = encodeStoredResponse(response);
  let best: ResponseAttribute = { bytes: encoded, compressed: false };
  if (encoded.byteLength > compressAboveBytes) {
    const compressed = await gzip(encoded);
    if (compressed.byteLength < encoded.byteLength) best = { bytes: compressed, compressed: true };
  }
  return best.bytes.byteLength <= MAX_RESPONSE_ATTRIBUTE_BYTES ? best : undefined;
}

/** Decode what {@link encodeResponseAttribute} wrote. */
export async function decodeResponseAttribute(
  bytes: Uint8Array,
  compressed: boolean,
): Promise<StoredResponse> {
  return decodeStoredResponse(compressed ? await gunzip(bytes) : bytes);
}
