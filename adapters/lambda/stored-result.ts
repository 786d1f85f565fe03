import { decodeBase64 } from '../../src/base64.ts';
import {
  addProblemHeaders,
  NULL_BODY_STATUSES,
  type Problem,
  type ProblemStyle,
  problemDocument,
  problemOf,
} from '../../src/problem.ts';
import { headersToStore, notRetainedHeaders } from '../../src/replay.ts';
import type { StoredResponse } from '../../src/types.ts';
import { HeaderList } from './header-list.ts';
import type { ResponseParts } from './response.ts';

/**
 * A result a Lambda HTTP handler may return: the fields API Gateway and ALB read. Header values
 * may be numbers or booleans, as the services accept them.
 */
export interface LambdaResultLike {
  statusCode: number;
  statusDescription?: string;
  headers?: Record<string, string | number | boolean | undefined>;
  multiValueHeaders?: Record<string, ReadonlyArray<string | number | boolean> | undefined>;
  cookies?: readonly string[];
  body?: string;
  isBase64Encoded?: boolean;
}

/** How the service that sent the event reads a result (each reads its own fields). */
export type ResultReading = 'api-gateway-v1' | 'api-gateway-v2' | 'alb-single' | 'alb-multi';

const utf8 = new TextEncoder();

/** The parts of a result, its headers still open to the wrapper's additions. */
export type ResultParts = ResponseParts & { headers: HeaderList };

/**
 * The result as the service reads it. HTTP API payload 2.0 and Function URLs take a result
 * without a `statusCode` as a 200 JSON response (a string is the body, anything else is
 * serialised), so such a result is stored, and shown to `shouldStore`, as that.
 */
export function shapedResult(result: unknown, reading: ResultReading): unknown {
  return reading === 'api-gateway-v2' ? shorthandResult(result) : result;
}

/**
 * What the client receives for a {@link shapedResult}, as the service that sent the event reads
 * it: the status, the headers (in `Headers` order) and the body bytes. `undefined` when the
 * result is not one the service would send as it is (no status code, a header it refuses, a
 * body that is not valid base64): such a result is answered as returned, and never stored.
 */
export function resultResponse(shaped: unknown, reading: ResultReading): ResultParts | undefined {
  if (typeof shaped !== 'object' || shaped === null) return undefined;
  const { statusCode, body, isBase64Encoded } = shaped as Partial<LambdaResultLike>;
  if (typeof statusCode !== 'number') return undefined;
  const headers = resultHeaders(shaped as LambdaResultLike, reading);
  if (!headers || (body != null && typeof body !== 'string')) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = !body ? new Uint8Array(0) : isBase64Encoded === true ? decodeBase64(body) : utf8.encode(body);
  } catch {
    return undefined;
  }
  return { status: statusCode, statusText: '', headers, body: bytes };
}

function shorthandResult(result: unknown): unknown {
  if (
    typeof result === 'object' &&
    result !== null &&
    typeof (result as LambdaResultLike).statusCode === 'number'
  )
    return result;
  if (result === undefined) return undefined;
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: typeof result === 'string' ? result : JSON.stringify(result),
  };
}

// API Gateway REST and payload 1.0 merge `headers` into `multiValueHeaders`; ALB reads the one
// its target group's mode names; HTTP API 2.0 reads `headers` and `cookies`.
function resultHeaders(result: LambdaResultLike, reading: ResultReading): HeaderList | undefined {
  const headers = new HeaderList();
  try {
    if (reading === 'api-gateway-v1' || reading === 'alb-multi') {
      for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
        for (const value of values ?? []) headers.append(name, String(value));
      }
    }
    if (reading !== 'alb-multi') {
      for (const [name, value] of Object.entries(result.headers ?? {})) {
        if (value !== undefined && !headers.has(name)) headers.append(name, String(value));
      }
    }
    if (reading === 'api-gateway-v2')
      for (const cookie of result.cookies ?? []) headers.append('set-cookie', cookie);
  } catch {
    return undefined;
  }
  return headers;
}

/** The record of a response: what the wrapper stores of it, under the same rules as a `Response`'s. */
export function storedResponse(
  response: ResponseParts,
  options: { storeSetCookie: boolean; maxResponseBytes: number },
): StoredResponse {
  return {
    status: response.status,
    headers: headersToStore(response.headers, options.storeSetCookie),
    body: response.body.byteLength > options.maxResponseBytes ? null : response.body,
  };
}

/**
 * A problem's headers and body: those of the user's rendering where there is one (its status
 * gives way to the problem's), else `application/problem+json`; the problem headers added
 * either way, as `problemResponse` adds them.
 */
export function problemParts(
  problem: Problem,
  style: ProblemStyle,
  rendered: ResultParts | undefined,
  retryAfterSeconds?: number,
): { headers: HeaderList; body: Uint8Array } {
  const headers = addProblemHeaders(rendered?.headers ?? new HeaderList(), problem, style, {
    rendered: rendered !== undefined,
    retryAfterSeconds,
  });
  return { headers, body: rendered?.body ?? utf8.encode(problemDocument(problem)) };
}

/**
 * A stored response as replayed, `Idempotent-Replayed: true` added; one stored without its body
 * keeps its status and headers and carries the `notRetained` problem (`rendered`, where the user
 * renders problems), as `replayResponse` does.
 */
export function replayedResponse(
  stored: StoredResponse,
  style: ProblemStyle,
  rendered?: ResultParts,
): ResponseParts {
  const headers = new HeaderList();
  for (const [name, value] of stored.headers) headers.append(name, value);
  headers.set('idempotent-replayed', 'true');
  let body = NULL_BODY_STATUSES.has(stored.status) ? null : stored.body;
  if (stored.body === null) {
    const problem = problemParts(problemOf('notRetained', style, stored.status), style, rendered);
    notRetainedHeaders(headers, problem.headers);
    body = NULL_BODY_STATUSES.has(stored.status) ? null : problem.body;
  }
  return { status: stored.status, statusText: '', headers, body: body ?? new Uint8Array(0) };
}
