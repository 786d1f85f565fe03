import { decodeStoredResponse, encodeStoredResponse } from '../../record-codec.ts';
import type { StoredResponse } from '../../types.ts';
import { gunzip, gzip } from './compression.ts';

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
 * and gzip helps; when even that does not fit the item, the body is dropped (kept as "not
 * retained"), so the request still completes instead of running again on every retry.
 */
export async function encodeResponseAttribute(
  response: StoredResponse,
  compressAboveBytes: number,
): Promise<ResponseAttribute> {
  const encoded = encodeStoredResponse(response);
  let best: ResponseAttribute = { bytes: encoded, compressed: false };
  if (encoded.byteLength > compressAboveBytes) {
    const compressed = await gzip(encoded);
    if (compressed.byteLength < encoded.byteLength) best = { bytes: compressed, compressed: true };
  }
  if (best.bytes.byteLength <= MAX_RESPONSE_ATTRIBUTE_BYTES || response.body === null) return best;
  return { bytes: encodeStoredResponse({ ...response, body: null }), compressed: false };
}

/** Decode what {@link encodeResponseAttribute} wrote. */
export async function decodeResponseAttribute(attribute: ResponseAttribute): Promise<StoredResponse> {
  return decodeStoredResponse(attribute.compressed ? await gunzip(attribute.bytes) : attribute.bytes);
}
