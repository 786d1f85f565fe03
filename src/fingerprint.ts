import { hashParts } from './hashing.ts';

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
  const url = new URL(request.url);
  const parts: Array<string | Uint8Array> = [
    'edge-idempotency/fingerprint/v1',
    request.method,
    url.pathname,
    url.search,
  ];
  for (const name of headerNames) {
    const value = request.headers.get(name);
    parts.push(name.toLowerCase(), value === null ? '0' : `1${value}`);
  }
  parts.push(body ?? new Uint8Array(0));
  return hashParts(parts);
}
