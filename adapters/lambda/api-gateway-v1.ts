import { buildRequest, headersFrom, queryFrom } from './request.ts';
import { encodeBody, multiValueHeaders } from './response.ts';
import type { ApiGatewayV1Event, ApiGatewayV1Result, EventSource } from './types.ts';

/**
 * API Gateway REST APIs, and HTTP APIs on payload format 1.0. Query values arrive decoded and
 * are re-encoded; the result puts every header in `multiValueHeaders`, so repeated headers and
 * each `Set-Cookie` reach the client.
 */
export const apiGatewayV1: EventSource<ApiGatewayV1Event, ApiGatewayV1Result> = {
  name: 'API Gateway REST (payload 1.0)',

  // ALB events also carry `httpMethod`; theirs have `requestContext.elb`.
  matches: (event) => typeof event.httpMethod === 'string' && !isAlbContext(event.requestContext),

  toRequest: (event) =>
    buildRequest({
      method: event.httpMethod,
      path: event.path,
      query: queryFrom(event.queryStringParameters, event.multiValueQueryStringParameters, true),
      headers: headersFrom(event.headers, event.multiValueHeaders),
      body: event.body,
      isBase64Encoded: event.isBase64Encoded === true,
      fallbackHost: event.requestContext?.domainName,
    }),

  async toResult(response) {
    return {
      statusCode: response.status,
      multiValueHeaders: multiValueHeaders(response.headers),
      ...(await encodeBody(response)),
    };
  },
};

function isAlbContext(context: unknown): boolean {
  return typeof context === 'object' && context !== null && 'elb' in context;
}
