import { isAlbEvent } from './alb.ts';
import { apiGatewayPrincipal, field } from './principal.ts';
import { headersFrom, queryFrom } from './request.ts';
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
  matches: (event) => typeof event.httpMethod === 'string' && !isAlbEvent(event),

  toParts: (event) => ({
    method: event.httpMethod,
    path: event.path,
    query: queryFrom(event.queryStringParameters, event.multiValueQueryStringParameters, true),
    headers: headersFrom(event.headers, event.multiValueHeaders),
    body: event.body,
    isBase64Encoded: event.isBase64Encoded === true,
    fallbackHost: event.requestContext?.domainName,
  }),

  // A REST method has one authorization type, so one of these is usually there: IAM
  // (`identity.userArn`, plus the Cognito identity when the credentials came from an identity
  // pool), a Cognito user pool or HTTP API 1.0 JWT authorizer (`authorizer.claims`), or a Lambda
  // authorizer (`authorizer.principalId`). When several are, all of them make the principal.
  principal(event) {
    const identity = field(event.requestContext, 'identity');
    const authorizer = field(event.requestContext, 'authorizer');
    return apiGatewayPrincipal({
      cognitoIdentityPoolId: field(identity, 'cognitoIdentityPoolId'),
      cognitoIdentityId: field(identity, 'cognitoIdentityId'),
      userArn: field(identity, 'userArn'),
      jwtClaims: field(authorizer, 'claims'),
      authorizerPrincipalId: field(authorizer, 'principalId'),
    });
  },

  toResult(response) {
    return {
      statusCode: response.status,
      multiValueHeaders: multiValueHeaders(response.headers),
      ...encodeBody(response),
    };
  },

  reading: () => 'api-gateway-v1',
};
