import { InvalidIdempotencyKeyError } from './errors.ts';

/** Longest key accepted, in characters. */
export const MAX_KEY_LENGTH = 255;

/**
 * Parse an `Idempotency-Key` header value: a plain token (`abc-123`) or an RFC 8941 sf-string
 * (`"abc-123"`, with `\"` and `\\` escapes); both forms of the same text are the same key.
 * Throws {@link InvalidIdempotencyKeyError} for an empty, too long, non-printable-ASCII or
 * badly quoted value.
 */
export function parseIdempotencyKey(headerValue: string): string {
  const value = headerValue.replace(/^[ \t]+|[ \t]+$/g, '');
  const key = value.startsWith('"') ? parseSfString(value) : parsePlainToken(value);
  if (key.length === 0) throw new InvalidIdempotencyKeyError('the idempotency key is empty');
  if (key.length > MAX_KEY_LENGTH) {
    throw new InvalidIdempotencyKeyError(
      `the idempotency key is ${key.length} characters long; at most ${MAX_KEY_LENGTH} are allowed`,
    );
  }
  return key;
}

function parsePlainToken(value: string): string {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) throw notPrintable(i);
    // A comma is what a header sent twice looks like once combined; a quote is broken quoting.
    if (code === 0x2c) {
      throw new InvalidIdempotencyKeyError('the idempotency key holds a comma: send one key, once');
    }
    if (code === 0x22) throw new InvalidIdempotencyKeyError('the idempotency key is badly quoted');
  }
  return value;
}

function parseSfString(value: string): string {
  let key = '';
  for (let i = 1; i < value.length; i++) {
    const char = value[i];
    const code = value.charCodeAt(i);
    if (char === '\\') {
      const next = value[i + 1];
      if (next !== '"' && next !== '\\') {
        throw new InvalidIdempotencyKeyError('the quoted idempotency key has an invalid escape');
      }
      key += next;
      i++;
    } else if (char === '"') {
      if (i !== value.length - 1) {
        throw new InvalidIdempotencyKeyError('the quoted idempotency key has text after its closing quote');
      }
      return key;
    } else if (code < 0x20 || code > 0x7e) {
      throw notPrintable(i);
    } else {
      key += char;
    }
  }
  throw new InvalidIdempotencyKeyError('the quoted idempotency key has no closing quote');
}

function notPrintable(index: number): InvalidIdempotencyKeyError {
  return new InvalidIdempotencyKeyError(
    `the idempotency key has a character that is not printable ASCII at position ${index + 1}`,
  );
}
