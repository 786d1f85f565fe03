import { encodeBase64 } from '../../src/base64.ts';
import { knownBody } from '../../src/known-body.ts';
import type { HeaderReader } from './header-list.ts';

/** A response as the event sources turn it into a Lambda result: from a `Response` or from a record. */
export interface ResponseParts {
  status: number;
  /** `''` when there is none (ALB then gets the standard reason phrase). */
  statusText: string;
  headers: HeaderReader;
  body: Uint8Array;
}

/** The parts of a `Response`, its body read (unless the wrapper built it from bytes it holds). */
export async function responseParts(response: Response): Promise<ResponseParts> {
  const body = knownBody(response) ?? new Uint8Array(await response.arrayBuffer());
  return { status: response.status, statusText: response.statusText, headers: response.headers, body };
}

/** A response body as Lambda carries it. */
export interface EncodedBody {
  body: string;
  isBase64Encoded: boolean;
}

// Media types whose bodies are UTF-8 text: sent as-is, so they stay readable in logs and the
// 6 MB payload limit is not eaten by base64's 33 %.
const TEXT_TYPES =
  /^(?:text\/[^;]+|application\/(?:[\w.+-]+\+)?(?:json|xml)|application\/(?:javascript|ecmascript|x-www-form-urlencoded|graphql|x-ndjson)|image\/svg\+xml)$/;

/**
 * The body of `response`: plain text for UTF-8 text media types, base64 otherwise. A body that
 * claims to be text but is not valid UTF-8, uses another charset or is content-encoded (gzip,
 * br) is sent as base64 too, so the client gets the exact bytes.
 */
export function encodeBody({ body: bytes, headers }: ResponseParts): EncodedBody {
  if (bytes.length === 0) return { body: '', isBase64Encoded: false };
  if (isUtf8Text(headers)) {
    try {
      return {
        body: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes),
        isBase64Encoded: false,
      };
    } catch {
      // Not UTF-8 after all: fall through to base64.
    }
  }
  return { body: encodeBase64(bytes), isBase64Encoded: true };
}

function isUtf8Text(headers: HeaderReader): boolean {
  const encoding = headers.get('content-encoding');
  if (encoding && encoding.toLowerCase() !== 'identity') return false;
  const contentType = headers.get('content-type');
  if (!contentType) return false;
  const [mediaType = '', ...params] = contentType.toLowerCase().split(';');
  const charset = params
    .map((param) => param.trim())
    .find((param) => param.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  if (charset && charset !== 'utf-8' && charset !== 'utf8') return false;
  return TEXT_TYPES.test(mediaType.trim());
}

/** Every header as name -> values; each `Set-Cookie` stays a value of its own. */
export function multiValueHeaders(headers: HeaderReader): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const [name, value] of headers) {
    if (name === 'set-cookie') continue;
    result[name] = [value];
  }
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) result['set-cookie'] = cookies;
  return result;
}

/** Every header but `Set-Cookie` as name -> value (repeated headers joined by `, `). */
export function singleValueHeaders(headers: HeaderReader): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of headers) {
    if (name !== 'set-cookie') result[name] = value;
  }
  return result;
}

const REASONS: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** ALB's `statusDescription`, e.g. `200 OK`. */
export function statusDescription(response: ResponseParts): string {
  const reason = response.statusText || REASONS[response.status];
  return reason ? `${response.status} ${reason}` : String(response.status);
}
