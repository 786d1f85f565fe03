import { hashParts } from './hashing.ts';

/** What a fingerprint is taken of, however the request arrived (a Web Request, a Lambda event). */
export interface FingerprintedParts {
  method: string;
  /** As `URL#pathname` gives it. */
  pathname: string;
  /** As `URL#search` gives it: `''` or starting with `?`. */
  search: string;
  /** A header's value as `Headers#get` answers it (`null` when absent). */
  header: (name: string) => string | null;
  body: Uint8Array | null;
}

/**
 * Hex SHA-256 of what makes two requests "the same": method, path, query string, the given
 * headers (absent and empty are different) and the body bytes. Keep volatile headers (Date,
 * tracing ids, signatures with timestamps) out of `headerNames`, or every retry mismatches.
 */
export function fingerprintRequest(
  request: Request,
  body: Uint8Array | null,
  /** Default `['content-type']`, as {@link fingerprintOf}'s. */
  headerNames?: readonly string[],
): Promise<string> {
  const { pathname, search } = pathAndQuery(request.url);
  return fingerprintOf(
    {
      method: request.method,
      pathname,
      search,
      header: (name) => request.headers.get(name),
      body,
    },
    headerNames,
  );
}

/**
 * `URL#pathname` and `URL#search` of a URL as `Request#url` serializes it. An http(s) one is read
 * off the string: parsing it again cost a replay on Node a tenth of its time. In a serialized
 * http(s) URL the authority holds no `/`, `?` or `#` (a host cannot, userinfo has them
 * percent-encoded), the path starts at the first `/` after it and runs to `?` or `#`, and an
 * empty query reads as `''`, as in `URL#search`. Any other URL is parsed.
 */
export function pathAndQuery(href: string): { pathname: string; search: string } {
  const parts = SERIALIZED_HTTP.exec(href);
  if (!parts) return new URL(href);
  const query = parts[2] ?? '';
  return { pathname: parts[1] as string, search: query.length > 1 ? query : '' };
}

const SERIALIZED_HTTP = /^https?:\/\/[^/?#]*(\/[^?#]*)(\?[^#]*)?/;

/** {@link fingerprintRequest} of parts: every entry point fingerprints through this one rule. */
export function fingerprintOf(
  parts: FingerprintedParts,
  headerNames: readonly string[] = ['content-type'],
): Promise<string> {
  const hashed: Array<string | Uint8Array> = [
    'edge-idempotency/fingerprint/v1',
    parts.method,
    parts.pathname,
    parts.search,
  ];
  for (const name of headerNames) {
    const value = parts.header(name);
    hashed.push(name.toLowerCase(), value === null ? '0' : `1${value}`);
  }
  hashed.push(parts.body ?? new Uint8Array(0));
  return hashParts(hashed);
}
