import type { StoredResponse } from './types.ts';

/** Thrown for a stored response that `new Response` would refuse to rebuild. */
export class UnreplayableResponseError extends Error {
  override name = 'UnreplayableResponseError';
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// What Headers refuses in a value: NUL, CR, LF, and anything past Latin-1 (not a ByteString).
const BAD_HEADER_VALUE = /[\0\r\n\u0100-\uffff]/;

/**
 * The one check of what can be replayed, applied when a response is stored (one that fails is
 * passed through, not stored) and when a record is read (one that fails is a corrupt record:
 * 503, never a thrown error or a second run). It accepts exactly what `new Response(body,
 * { status, headers })` accepts: a status of 200 to 599 and valid header names and values.
 */
export function assertReplayable(response: StoredResponse): void {
  const { status, headers } = response;
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new UnreplayableResponseError(`status ${String(status)} cannot be replayed`);
  }
  for (const [name, value] of headers) {
    if (!HEADER_NAME.test(name))
      throw new UnreplayableResponseError(`header name ${JSON.stringify(name)} is invalid`);
    if (BAD_HEADER_VALUE.test(value)) {
      throw new UnreplayableResponseError(`the value of header ${name} cannot be sent`);
    }
  }
}

/** Whether `name` is a valid HTTP header name (an RFC 9110 token). */
export const isHeaderName = (name: string): boolean => HEADER_NAME.test(name);
