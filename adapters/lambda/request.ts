import { decodeBase64 } from '../../src/base64.ts';
import { setKnownBody } from '../../src/known-body.ts';
import { isHeaderName } from '../../src/replayable.ts';
import { HeaderList } from './header-list.ts';

/** The event claims a known source but cannot be turned into a Request; answered with a 400. */
export class MalformedEventError extends Error {
  override name = 'MalformedEventError';
}

/** The parts every source extracts from its event. */
export interface RequestParts {
  method: string;
  /** The path, with or without percent-encoding (`URL` encodes what needs it). */
  path: string;
  /** Already encoded, without the leading `?`. */
  query: string;
  headers: HeaderList;
  body: string | null | undefined;
  isBase64Encoded: boolean;
  /** Used when the event carries no Host header (API Gateway's `requestContext.domainName`). */
  fallbackHost?: string | undefined;
}

/** An event as a request, checked as `new Request` checks it, without building one. */
export interface EventRequest {
  method: string;
  url: URL;
  headers: HeaderList;
  /** `null` for no body, and always for GET and HEAD. */
  body: Uint8Array | null;
}

// `new Request` refuses these methods (fetch's forbidden methods).
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

/**
 * The request an event makes; throws `MalformedEventError` for anything `new Request` would
 * reject, so the path that never builds a Request refuses exactly what the one that does refuses.
 */
export function eventRequest(parts: RequestParts): EventRequest {
  if (typeof parts.method !== 'string' || parts.method === '') {
    throw new MalformedEventError('the event has no HTTP method');
  }
  if (typeof parts.path !== 'string') throw new MalformedEventError('the event has no path');
  const method = parts.method.toUpperCase();
  if (!isHeaderName(method) || FORBIDDEN_METHODS.has(method)) {
    throw new MalformedEventError(`the method ${JSON.stringify(parts.method)} is not a valid request method`);
  }
  const url = buildUrl(parts);
  let body: Uint8Array | null = null;
  // fetch forbids a body on GET and HEAD; a proxy may still hand one over, and dropping it is
  // what a server behind a real proxy would see.
  if (method !== 'GET' && method !== 'HEAD' && parts.body != null) {
    if (typeof parts.body !== 'string') throw new MalformedEventError('the event body is not a string');
    // Always bytes: given a string, fetch invents `Content-Type: text/plain;charset=UTF-8`,
    // which the same bytes sent base64-encoded do not get, and a retry in the other encoding
    // would fingerprint differently (a 422 for a legitimate retry).
    body = parts.isBase64Encoded ? decodeBody(parts.body) : textBytes(parts.body);
  }
  return { method, url, headers: parts.headers, body };
}

/** The Web Request of an event's request; throws `MalformedEventError` if fetch rejects it. */
export function webRequest({ method, url, headers, body }: EventRequest): Request {
  try {
    const request = new Request(url, { method, headers: [...headers], body: body as BodyInit | null });
    // The wrapper takes these bytes as they are, instead of reading the stream and cloning.
    if (body) setKnownBody(request, body);
    return request;
  } catch (error) {
    throw new MalformedEventError(`the event does not make a valid request: ${describe(error)}`, {
      cause: error,
    });
  }
}

function buildUrl(parts: RequestParts): URL {
  const host = parts.headers.get('host') || parts.fallbackHost || 'localhost';
  // Behind API Gateway, Function URLs and ALB the client spoke HTTPS unless the proxy says not.
  const forwarded = parts.headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  const protocol = forwarded === 'http' ? 'http' : 'https';
  let url: URL;
  try {
    url = new URL(`${protocol}://${host}`);
  } catch (error) {
    throw new MalformedEventError(`the Host header ${JSON.stringify(host)} is not a valid host`, {
      cause: error,
    });
  }
  // A Host of `user:pass@host` parses, and `new Request` refuses a URL with credentials.
  if (url.username !== '' || url.password !== '') {
    throw new MalformedEventError(`the Host header ${JSON.stringify(host)} is not a valid host`);
  }
  // Set through the URL properties so a decoded `?` or `#` in the path stays part of the path.
  url.pathname = wellFormed(parts.path.startsWith('/') ? parts.path : `/${parts.path}`, 'the path');
  url.search = wellFormed(parts.query, 'the query string');
  return url;
}

// A lone surrogate cannot be sent as UTF-8, so it only arrives from a broken integration. URL
// setters would turn it into U+FFFD (two different events, one request) and encodeURIComponent
// throws a URIError on it: refused with a 400 instead.
const LONE_SURROGATE = /\p{Surrogate}/u;

function wellFormed(text: string, what: string): string {
  if (LONE_SURROGATE.test(text))
    throw new MalformedEventError(`${what} holds a lone surrogate (not valid Unicode)`);
  return text;
}

function textBytes(text: string): Uint8Array {
  return new TextEncoder().encode(wellFormed(text, 'the body'));
}

function decodeBody(text: string): Uint8Array {
  try {
    return decodeBase64(text);
  } catch (error) {
    throw new MalformedEventError('isBase64Encoded is true but the body is not valid base64', {
      cause: error,
    });
  }
}

/** Headers from a single-value map and a multi-value one; multi-value wins for a name in both. */
export function headersFrom(
  single: Record<string, string | undefined> | null | undefined,
  multi: Record<string, string[] | undefined> | null | undefined,
): HeaderList {
  const headers = new HeaderList();
  try {
    if (multi && typeof multi === 'object') {
      for (const [name, values] of Object.entries(multi)) {
        for (const value of asArray(values)) headers.append(name, String(value));
      }
    }
    if (single && typeof single === 'object') {
      for (const [name, value] of Object.entries(single)) {
        if (value != null && !headers.has(name)) headers.append(name, String(value));
      }
    }
  } catch (error) {
    throw new MalformedEventError(`the event headers are invalid: ${describe(error)}`, { cause: error });
  }
  return headers;
}

/**
 * A query string from parameter maps. `encode` is true for API Gateway v1 (it hands over decoded
 * values) and false for ALB (it hands over values exactly as the client sent them).
 */
export function queryFrom(
  single: Record<string, string | undefined> | null | undefined,
  multi: Record<string, string[] | undefined> | null | undefined,
  encode: boolean,
): string {
  const pairs: string[] = [];
  const add = (name: string, value: string) => {
    wellFormed(name, 'a query parameter name');
    wellFormed(value, 'a query parameter value');
    pairs.push(encode ? `${encodeURIComponent(name)}=${encodeURIComponent(value)}` : `${name}=${value}`);
  };
  if (multi && typeof multi === 'object') {
    for (const [name, values] of Object.entries(multi))
      for (const value of asArray(values)) add(name, String(value));
  } else if (single && typeof single === 'object') {
    for (const [name, value] of Object.entries(single)) if (value != null) add(name, String(value));
  }
  return pairs.join('&');
}

// A malformed event may hold a string where a list belongs; iterating it would split characters.
function asArray(values: unknown): unknown[] {
  return Array.isArray(values) ? values : [];
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
