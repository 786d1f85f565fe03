import { decodeBase64, encodeBase64 } from '../../base64.ts';
import {
  assertRecord,
  CorruptRecordError,
  decodeStoredResponse,
  encodeStoredResponse,
  isFingerprint,
} from '../../record-codec.ts';
import type { IdempotencyRecord, StoredResponse } from '../../types.ts';

/**
 * The string a record is kept as in Redis. ASCII only, and always starting with an upper-case
 * letter, because `@upstash/redis` by default decodes every string it receives as UTF-8 (binary
 * bytes would be mangled) and then tries `JSON.parse` on it (`123` would become a number):
 * text in this form passes through both untouched, with either setting of the client.
 *
 * - `P|expiresAt|fingerprint|token`: in progress (the begin script answers it without token);
 * - `C|expiresAt|fingerprint|base64(encodeStoredResponse(response))`: completed.
 */

/** The value written by `begin`. */
export function inProgressValue(fingerprint: string, token: string, expiresAt: number): string {
  // Checked here, not only on read: a `|` in the fingerprint would shift every later field.
  if (!isFingerprint(fingerprint)) {
    throw new CorruptRecordError('fingerprint must be a lower-case hex SHA-256 digest');
  }
  return `P|${expiresAt}|${fingerprint}|${token}`;
}

/** The response part of a completed value (the complete script adds the rest). */
export function responseValue(response: StoredResponse): string {
  return encodeBase64(encodeStoredResponse(response));
}

/** Parse and validate a value read from Redis; throws {@link CorruptRecordError}. */
export function parseRecordValue(value: unknown): IdempotencyRecord {
  if (typeof value !== 'string') {
    throw new CorruptRecordError(`expected a record string, got ${value === null ? 'null' : typeof value}`);
  }
  const [state, expiresAt, fingerprint, payload] = splitFields(value);
  if (!/^\d{1,16}$/.test(expiresAt ?? '')) throw new CorruptRecordError('record expiry is not a number');
  let record: IdempotencyRecord;
  if (state === 'P') {
    record = { state: 'in_progress', fingerprint: fingerprint ?? '', expiresAt: Number(expiresAt) };
  } else if (state === 'C') {
    if (payload === undefined) throw new CorruptRecordError('completed record has no response');
    record = {
      state: 'completed',
      fingerprint: fingerprint ?? '',
      expiresAt: Number(expiresAt),
      response: decodeStoredResponse(base64ToBytes(payload)),
    };
  } else {
    throw new CorruptRecordError('value is not a record this library wrote');
  }
  assertRecord(record);
  return record;
}

/** The first three `|`-separated fields and the rest (which may itself contain `|`). */
function splitFields(value: string): [string, string | undefined, string | undefined, string | undefined] {
  const fields: string[] = [];
  let at = 0;
  for (let i = 0; i < 3; i++) {
    const bar = value.indexOf('|', at);
    if (bar < 0) break;
    fields.push(value.slice(at, bar));
    at = bar + 1;
  }
  fields.push(value.slice(at));
  return [fields[0] ?? '', fields[1], fields[2], fields[3]];
}

function base64ToBytes(base64: string): Uint8Array {
  try {
    return decodeBase64(base64);
  } catch (error) {
    throw new CorruptRecordError('stored response is not base64', { cause: error });
  }
}
