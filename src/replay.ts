import { asBodyInit } from './body.ts';
import { setKnownBody } from './known-body.ts';
import {
  NULL_BODY_STATUSES,
  type ProblemHeaders,
  type ProblemStyle,
  problemOf,
  problemResponse,
} from './problem.ts';
import type { StoredResponse } from './types.ts';

const REPLAYED = 'idempotent-replayed';

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

/** Headers as the wrapper reads them: a `Headers`, or anything that reads back the same way. */
export interface HeaderEntries extends Iterable<[string, string]> {
  get(name: string): string | null;
}

/** Response headers worth replaying: no hop-by-hop ones, no `Set-Cookie` unless asked. */
export function headersToStore(headers: HeaderEntries, keepSetCookie: boolean): Array<[string, string]> {
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

/**
 * The headers of a replay whose body was not retained: the stored ones less those that describe
 * the body it no longer has, with the `notRetained` problem's on top (its `Set-Cookie`s added,
 * the others set). One rule for the fetch path and `withLambdaIdempotency`.
 */
export function notRetainedHeaders<H extends ProblemHeaders & { delete(name: string): void }>(
  headers: H,
  problemHeaders: Iterable<[string, string]>,
): H {
  for (const name of ['content-length', 'content-encoding', 'content-type', 'etag']) headers.delete(name);
  for (const [name, value] of problemHeaders) {
    if (name === 'set-cookie') headers.append(name, value);
    else headers.set(name, value);
  }
  return headers;
}

const HEADERS = Symbol();

/**
 * The headers of a replay, built once per stored response and kept on it (not enumerable): a
 * store that keeps records in memory answers the same object on every replay, and a Response
 * copies a Headers far more cheaply than it reads a list of pairs (in workerd about 3 µs
 * against 7 per replay).
 */
function replayHeaders(stored: StoredResponse & { [HEADERS]?: Headers }): Headers {
  let headers = stored[HEADERS];
  if (headers) return headers;
  headers = markedHeaders(stored);
  try {
    Object.defineProperty(stored, HEADERS, { value: headers });
  } catch {
    // A frozen record: build the headers again next time.
  }
  return headers;
}

/**
 * Rebuild a stored response, marked `Idempotent-Replayed: true`. A response whose body was
 * not retained keeps its original status (the operation did happen: a client must not retry it
 * under a new key) and its headers, with the `notRetained` problem as its body.
 */
export function replayResponse(
  stored: StoredResponse,
  request: Request,
  style: ProblemStyle,
): Response | Promise<Response> {
  if (stored.body !== null) {
    const body = NULL_BODY_STATUSES.has(stored.status) ? null : asBodyInit(stored.body);
    const replay = new Response(body, { status: stored.status, headers: replayHeaders(stored) });
    if (body) setKnownBody(replay, body);
    return replay;
  }
  return notRetainedReplay(stored, request, style);
}

/** The stored headers with `Idempotent-Replayed: true`, replacing any stored marker. */
function markedHeaders(stored: StoredResponse): Headers {
  const headers = new Headers(stored.headers);
  headers.set(REPLAYED, 'true');
  return headers;
}

async function notRetainedReplay(stored: StoredResponse, request: Request, style: ProblemStyle) {
  const headers = markedHeaders(stored);
  const problem = await problemResponse(problemOf('notRetained', style, stored.status), request, style);
  return new Response(problem.body, {
    status: stored.status,
    headers: notRetainedHeaders(headers, problem.headers),
  });
}
