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
  const url = new URL(request.url);
  return fingerprintOf(
    {
      method: request.method,
      pathname: url.pathname,
      search: url.search,
      header: (name) => request.headers.get(name),
      body,
    },
    headerNames,
  );
}

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
