import { InvalidIdempotencyKeyError } from './errors.ts';

/** Longest key accepted, in characters. */
export const MAX_KEY_LENGTH = 255;

/**
 * Parse an `Idempotency-Key` header value: a plain token (`abc-123`) or an RFC 8941 Item whose
 * value is a String (`"abc-123"`, with `\"` and `\\` escapes, parameters such as `;v=1`
 * parsed and ignored, as the draft defines the field); both forms of the same text are the same
 * key. Throws {@link InvalidIdempotencyKeyError} for an empty, too long, non-printable-ASCII or
 * badly quoted value, and for a comma anywhere: that is what two field lines look like once
 * combined (`"a` and `b"` arrive as `"a, b"`), and only one key may be sent.
 */
export function parseIdempotencyKey(headerValue: string): string {
  const value = headerValue.replace(/^[ \t]+|[ \t]+$/g, '');
  if (value.includes(',')) throw sentTwice();
  const key = value.startsWith('"') ? parseSfItem(value) : parsePlainToken(value);
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
    // A quote in a plain token is broken quoting.
    if (code === 0x22) throw new InvalidIdempotencyKeyError('the idempotency key is badly quoted');
  }
  return value;
}

function parseSfItem(value: string): string {
  const { text, end } = parseSfString(value, 0);
  parseParameters(value, end);
  return text;
}

/** An sf-string starting at `start` (a quote): its text and the index after its closing quote. */
function parseSfString(value: string, start: number): { text: string; end: number } {
  let key = '';
  for (let i = start + 1; i < value.length; i++) {
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
      return { text: key, end: i + 1 };
    } else if (code < 0x20 || code > 0x7e) {
      throw notPrintable(i);
    } else {
      key += char;
    }
  }
  throw new InvalidIdempotencyKeyError('the quoted idempotency key has no closing quote');
}

const PARAM_KEY = /^[a-z*][a-z0-9_.*-]*/;
const BARE_TOKEN = /^[A-Za-z*][!#$%&'*+.^_`|~0-9A-Za-z:/-]*/;
const BARE_NUMBER = /^-?[0-9]{1,15}(\.[0-9]{1,3})?/;
const BARE_BYTES = /^:[A-Za-z0-9+/=]*:/;

/**
 * RFC 8941 parameters after the item (`;v=1;final`): checked for syntax, then ignored. Text
 * that is neither a parameter nor the end is broken quoting.
 */
function parseParameters(value: string, start: number): void {
  let i = start;
  while (i < value.length) {
    if (value[i] !== ';') {
      throw new InvalidIdempotencyKeyError('the quoted idempotency key has text after its closing quote');
    }
    i++;
    while (value[i] === ' ') i++;
    const name = PARAM_KEY.exec(value.slice(i));
    if (!name) throw badParameter();
    i += name[0].length;
    if (value[i] !== '=') continue;
    i++;
    if (value[i] === '"') {
      i = parseSfString(value, i).end;
      continue;
    }
    const rest = value.slice(i);
    const bare =
      BARE_NUMBER.exec(rest) ?? BARE_TOKEN.exec(rest) ?? BARE_BYTES.exec(rest) ?? /^\?[01]/.exec(rest);
    if (!bare) throw badParameter();
    i += bare[0].length;
  }
}

const badParameter = () =>
  new InvalidIdempotencyKeyError('the idempotency key has a parameter that is not RFC 8941 syntax');

const sentTwice = () =>
  new InvalidIdempotencyKeyError('the idempotency key holds a comma: send one key, once');

function notPrintable(index: number): InvalidIdempotencyKeyError {
  return new InvalidIdempotencyKeyError(
    `the idempotency key has a character that is not printable ASCII at position ${index + 1}`,
  );
}
