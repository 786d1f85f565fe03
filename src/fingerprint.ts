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
  headerNames: readonly string[] = ['content-type'],
): Promise<string> {
  const [pathname, search] = pathAndSearch(request.url);
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
 * `URL#pathname` and `URL#search` of a Request's URL. A Request's `url` is already parsed and
 * serialized, and in a serialized http(s) URL the path starts at the first `/` after `://`
 * (userinfo and host never hold a `/`, `?` or `#`), the query at the next `?`, the fragment at
 * the next `#`: read off the string, they skip a URL parse per request. Other URLs are parsed.
 */
export function pathAndSearch(href: string): [pathname: string, search: string] {
  const path = /^https?:\/\//.test(href) ? href.indexOf('/', href.indexOf(':') + 3) : -1;
  if (path < 0) {
    const url = new URL(href);
    return [url.pathname, url.search];
  }
  let end = href.indexOf('#', path);
  if (end < 0) end = href.length;
  const query = href.indexOf('?', path);
  if (query < 0 || query > end) return [href.slice(path, end), ''];
  // An empty query is no query to URL#search.
  return [href.slice(path, query), query + 1 === end ? '' : href.slice(query, end)];
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
