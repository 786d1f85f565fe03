import { asBodyInit } from './body.ts';
import { PROBLEM_TYPES } from './problem.ts';
import type { StoredResponse } from './types.ts';

/** Headers meaningful for one connection only (RFC 9110 §7.6.1), never stored. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Statuses whose responses cannot carry a body. */
const NULL_BODY_STATUSES = new Set([204, 205, 304]);

/** Response headers worth replaying: no hop-by-hop ones, no `Set-Cookie` unless asked. */
export function headersToStore(headers: Headers, keepSetCookie: boolean): Array<[string, string]> {
  const connectionTokens = (headers.get('connection') ?? '')
    .split(',')
    .map((token) => token.trim().toLowerCase());
  const out: Array<[string, string]> = [];
  for (const [name, value] of headers) {
    if (HOP_BY_HOP.has(name) || connectionTokens.includes(name)) continue;
    if (name === 'set-cookie' && !keepSetCookie) continue;
    out.push([name, value]);
  }
  return out;
}

/** Rebuild a stored response, marked `Idempotent-Replayed: true`. */
export function replayResponse(stored: StoredResponse): Response {
  const headers: Array<[string, string]> = [...stored.headers, ['idempotent-replayed', 'true']];
  if (stored.body === null) return notRetainedResponse(stored.status, new Headers(headers));
  const body = NULL_BODY_STATUSES.has(stored.status) ? null : asBodyInit(stored.body);
  return new Response(body, { status: stored.status, headers });
}

/**
 * The replay of a request whose response body was too large to keep. It keeps the original
 * status (the operation did happen: a client must not retry it under a new key) and says in a
 * problem document that the body is gone.
 */
function notRetainedResponse(status: number, headers: Headers): Response {
  for (const name of ['content-length', 'content-encoding', 'content-type', 'etag']) headers.delete(name);
  headers.set('content-type', 'application/problem+json');
  const problem = {
    type: PROBLEM_TYPES.notRetained,
    title: 'Response not retained',
    status,
    detail:
      'This request was already processed, but its response body was larger than the limit for stored responses and was not kept.',
  };
  return new Response(NULL_BODY_STATUSES.has(status) ? null : JSON.stringify(problem), { status, headers });
}
