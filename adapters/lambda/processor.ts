import { setRequestDeadline, setVerifiedPrincipal } from '../../src/index.ts';
import { invocationDeadline, malformedEventResult, readEvent } from './event.ts';
import { MalformedEventError, webRequest } from './request.ts';
import { responseParts } from './response.ts';
import type {
  LambdaContextLike,
  LambdaFetchHandler,
  LambdaHandlerOptions,
  LambdaHttpEvent,
  LambdaHttpResult,
} from './types.ts';

export { MALFORMED_EVENT_PROBLEM_TYPE } from './event.ts';

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
 * For handlers written against Lambda's own event and result, `withLambdaIdempotency`
 * guards them the same way without building a `Request` at all.
 *
 * @example
 * export const handler = toLambdaHandler(withIdempotency(app, { store }));
 */
export function toLambdaHandler<C extends LambdaContextLike>(
  fetchHandler: LambdaFetchHandler<C>,
  options: LambdaHandlerOptions = {},
): LambdaHttpHandler<C> {
  return async (event, context) => {
    const read = readEvent(event, options);
    if (!read.ok) return read.result;
    let request: Request;
    try {
      request = webRequest(read.request);
    } catch (error) {
      if (!(error instanceof MalformedEventError)) throw error;
      return malformedEventResult(read.source, event, error);
    }
    if (read.principal !== undefined) setVerifiedPrincipal(request, read.principal);
    const deadline = invocationDeadline(context);
    if (deadline !== undefined) setRequestDeadline(request, deadline);
    return read.source.toResult(await responseParts(await fetchHandler(request, context)), event);
  };
}
