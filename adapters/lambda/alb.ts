import { albOidcFact, encodePrincipal } from './principal.ts';
import { headersFrom, queryFrom } from './request.ts';
import { encodeBody, multiValueHeaders, singleValueHeaders, statusDescription } from './response.ts';
import type { AlbEvent, AlbResult, EventSource } from './types.ts';

/**
 * Application Load Balancer targets. The event's mode decides the result's: with multi-value
 * headers enabled on the target group, ALB sends and reads only `multiValueHeaders`; without,
 * only `headers`, which cannot hold two `Set-Cookie` (the last one is kept: enable multi-value
 * headers on the target group when a handler sets several cookies).
 */
export const alb: EventSource<AlbEvent, AlbResult> = {
  name: 'Application Load Balancer',

  matches: isAlbEvent,

  toParts: (event) => ({
    method: event.httpMethod,
    path: event.path,
    // ALB passes query parameters through exactly as the client encoded them.
    query: queryFrom(event.queryStringParameters, event.multiValueQueryStringParameters, false),
    headers: headersFrom(event.headers, event.multiValueHeaders),
    body: event.body,
    isBase64Encoded: event.isBase64Encoded === true,
  }),

  // Only on the user's word that ALB authenticates every request it forwards here (see
  // `trustAlbOidcHeaders`): the event carries nothing that tells ALB's headers from a client's.
  // `x-amzn-oidc-data` must be there too, as an authenticate action always sends both; it is
  // not decoded, since only a checked signature would make its content trustworthy.
  principal(_event, headers, options) {
    if (options.trustAlbOidcHeaders !== true || !headers.has('x-amzn-oidc-data')) return undefined;
    return encodePrincipal([albOidcFact(headers.get('x-amzn-oidc-identity'))]);
  },

  toResult(response, event) {
    const base = {
      statusCode: response.status,
      statusDescription: statusDescription(response),
      ...encodeBody(response),
    };
    if (event.multiValueHeaders) return { ...base, multiValueHeaders: multiValueHeaders(response.headers) };
    const headers = singleValueHeaders(response.headers);
    const cookies = response.headers.getSetCookie();
    const lastCookie = cookies[cookies.length - 1];
    if (lastCookie !== undefined) headers['set-cookie'] = lastCookie;
    return { ...base, headers };
  },

  reading: (event) => (event.multiValueHeaders ? 'alb-multi' : 'alb-single'),
};

/** Whether an event comes from ALB: only theirs have `requestContext.elb` (v1 events also have `httpMethod`). */
export function isAlbEvent(event: Record<string, unknown>): boolean {
  const context = event.requestContext;
  return typeof context === 'object' && context !== null && 'elb' in context;
}
