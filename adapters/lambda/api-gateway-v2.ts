import { apiGatewayPrincipal, field } from './principal.ts';
import { headersFrom } from './request.ts';
import { encodeBody, singleValueHeaders } from './response.ts';
import type { ApiGatewayV2Event, ApiGatewayV2Result, EventSource } from './types.ts';

/**
 * API Gateway HTTP APIs on payload format 2.0, and Lambda Function URLs (same shape). The query
 * is taken raw from `rawQueryString`; cookies travel in their own `cookies` field both ways.
 */
export const apiGatewayV2: EventSource<ApiGatewayV2Event, ApiGatewayV2Result> = {
  name: 'API Gateway HTTP API (v2) / Function URL',

  matches: (event) => event.version === '2.0',

  toParts(event) {
    // Cookies go through headersFrom like any header, so a value fetch rejects is a 400 too.
    const cookies = Array.isArray(event.cookies) && event.cookies.length > 0 ? event.cookies : undefined;
    const headers = headersFrom(event.headers, cookies && { cookie: [cookies.join('; ')] });
    return {
      method: event.requestContext?.http?.method,
      path: event.rawPath,
      query: typeof event.rawQueryString === 'string' ? event.rawQueryString : '',
      headers,
      body: event.body,
      isBase64Encoded: event.isBase64Encoded === true,
      fallbackHost: event.requestContext?.domainName,
    };
  },

  // IAM auth (HTTP API routes, Function URLs with AWS_IAM): `authorizer.iam`; a JWT authorizer:
  // `authorizer.jwt.claims`; a Lambda authorizer: the `principalId` of the context it returned
  // (`authorizer.lambda`), the one field name that names its principal (as in REST APIs).
  principal(event) {
    const authorizer = field(event.requestContext, 'authorizer');
    const iam = field(authorizer, 'iam');
    const cognito = field(iam, 'cognitoIdentity');
    return apiGatewayPrincipal({
      cognitoIdentityPoolId: field(cognito, 'identityPoolId'),
      cognitoIdentityId: field(cognito, 'identityId'),
      userArn: field(iam, 'userArn'),
      jwtClaims: field(field(authorizer, 'jwt'), 'claims'),
      authorizerPrincipalId: field(field(authorizer, 'lambda'), 'principalId'),
    });
  },

  toResult(response) {
    const cookies = response.headers.getSetCookie();
    return {
      statusCode: response.status,
      headers: singleValueHeaders(response.headers),
      ...(cookies.length > 0 ? { cookies } : {}),
      ...encodeBody(response),
    };
  },

  reading: () => 'api-gateway-v2',
};
