import { setRequestDeadline, setVerifiedPrincipal } from '../../src/index.ts';
import { alb } from './alb.ts';
import { apiGatewayV1 } from './api-gateway-v1.ts';
import { apiGatewayV2 } from './api-gateway-v2.ts';
import { MalformedEventError } from './request.ts';
import type {
  EventSource,
  LambdaContextLike,
  LambdaFetchHandler,
  LambdaHandlerOptions,
  LambdaHttpEvent,
  LambdaHttpResult,
} from './types.ts';

/** The `type` of the problem answered for an event that cannot become a request. */
export const MALFORMED_EVENT_PROBLEM_TYPE = 'urn:edge-idempotency:malformed-lambda-event';

// Order matters: ALB events also have `httpMethod`, which is how v1 is recognised.
const SOURCES: ReadonlyArray<EventSource<never, LambdaHttpResult>> = [apiGatewayV2, alb, apiGatewayV1];

/** A Lambda handler that serves HTTP events with a fetch handler. */
export type LambdaHttpHandler<C extends LambdaContextLike = LambdaContextLike> = (
  event: LambdaHttpEvent,
  context: C,
) => Promise<LambdaHttpResult>;

/**
 * Turn a fetch handler (usually a `withIdempotency` one) into a Lambda handler for API Gateway
 * REST (v1) and HTTP API (v2) events, Function URLs and ALB targets.
 *
 * The event becomes a Web `Request` (URL from the Host and X-Forwarded-Proto headers, base64
 * bodies decoded); the handler gets it plus the Lambda context as its extra argument; its
 * `Response` becomes the result shape of the source that sent the event (binary bodies as
 * base64, `Set-Cookie` in `cookies` or `multiValueHeaders`). The request carries the
 * invocation's deadline (`setRequestDeadline`), so `withIdempotency` caps its lease at the time
 * Lambda has left: a timed-out invocation frees its key. It also carries the caller AWS verified
 * (`setVerifiedPrincipal`): the IAM ARN of a SigV4 caller, a Cognito identity, a JWT
 * authorizer's issuer and subject, a Lambda authorizer's `principalId`, and, with
 * `trustAlbOidcHeaders`, the user an ALB authenticate action signed in. The default scope of
 * `withIdempotency` is then that principal, so a re-signed or refreshed credential replays
 * instead of running again; without one it stays the `Authorization` header.
 *
 * An event that is not one of these, or cannot make a valid request, gets a 400
 * `application/problem+json` result rather than a thrown error. Errors thrown by the handler
 * propagate, so Lambda records them as function errors.
 *
 * @example
 * export const handler = toLambdaHandler(withIdempotency(app, { store }));
 */
export function toLambdaHandler<C extends LambdaContextLike>(
  fetchHandler: LambdaFetchHandler<C>,
  options: LambdaHandlerOptions = {},
): LambdaHttpHandler<C> {
  return async (event, context) => {
    const fields =
      typeof event === 'object' && event !== null ? (event as unknown as Record<string, unknown>) : {};
    const source = SOURCES.find((candidate) => candidate.matches(fields)) as
      | EventSource<LambdaHttpEvent, LambdaHttpResult>
      | undefined;
    if (!source) {
      return unknownEventResult(
        'The event is not an API Gateway (REST or HTTP API), Function URL or Application Load Balancer event.',
      );
    }
    let request: Request;
    try {
      request = source.toRequest(event);
    } catch (error) {
      if (!(error instanceof MalformedEventError)) throw error;
      return source.toResult(
        malformedEventResponse(`Malformed ${source.name} event: ${error.message}.`),
        event,
      );
    }
    const principal = source.principal(event, request, options);
    if (principal !== undefined) setVerifiedPrincipal(request, principal);
    if (typeof context?.getRemainingTimeInMillis === 'function') {
      setRequestDeadline(request, Date.now() + context.getRemainingTimeInMillis());
    }
    return source.toResult(await fetchHandler(request, context), event);
  };
}

function malformedEventResponse(detail: string): Response {
  return new Response(problemBody(detail), {
    status: 400,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store' },
  });
}

// For an event of no known source: the fields every HTTP source reads, nothing more.
function unknownEventResult(detail: string): LambdaHttpResult {
  return {
    statusCode: 400,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store' },
    body: problemBody(detail),
    isBase64Encoded: false,
  };
}

function problemBody(detail: string): string {
  return JSON.stringify({
    type: MALFORMED_EVENT_PROBLEM_TYPE,
    title: 'Malformed Lambda event',
    status: 400,
    detail,
  });
}
