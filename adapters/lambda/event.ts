import { isDeadline } from '../../src/deadline.ts';
import { alb } from './alb.ts';
import { apiGatewayV1 } from './api-gateway-v1.ts';
import { apiGatewayV2 } from './api-gateway-v2.ts';
import { HeaderList } from './header-list.ts';
import { type EventRequest, eventRequest, MalformedEventError } from './request.ts';
import type {
  EventSource,
  LambdaContextLike,
  LambdaHandlerOptions,
  LambdaHttpEvent,
  LambdaHttpResult,
} from './types.ts';

/** The `type` of the problem answered for an event that cannot become a request. */
export const MALFORMED_EVENT_PROBLEM_TYPE = 'urn:edge-idempotency:malformed-lambda-event';

// Order matters: ALB events also have `httpMethod`, which is how v1 is recognised.
const SOURCES: ReadonlyArray<EventSource<never, LambdaHttpResult>> = [apiGatewayV2, alb, apiGatewayV1];

/** Any source, as the handlers use it: the event and result types are the source's own. */
export type AnySource = EventSource<LambdaHttpEvent, LambdaHttpResult>;

/** An HTTP event read: its source, its request and the caller AWS verified, or the 400 to answer. */
export type ReadEvent =
  | { ok: true; source: AnySource; request: EventRequest; principal: string | undefined }
  | { ok: false; result: LambdaHttpResult };

/**
 * Recognise the event's source and read its request, as both Lambda entry points do: an event
 * of no known source, or one that cannot make a valid request, is a 400 problem result.
 */
export function readEvent(event: LambdaHttpEvent, options: LambdaHandlerOptions): ReadEvent {
  const fields =
    typeof event === 'object' && event !== null ? (event as unknown as Record<string, unknown>) : {};
  const source = SOURCES.find((candidate) => candidate.matches(fields)) as AnySource | undefined;
  if (!source) {
    return {
      ok: false,
      result: {
        // For an event of no known source: the fields every HTTP source reads, nothing more.
        statusCode: 400,
        headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store' },
        body: problemBody(
          'The event is not an API Gateway (REST or HTTP API), Function URL or Application Load Balancer event.',
        ),
        isBase64Encoded: false,
      },
    };
  }
  try {
    const parts = source.toParts(event);
    const request = eventRequest(parts);
    return { ok: true, source, request, principal: source.principal(event, parts.headers, options) };
  } catch (error) {
    if (!(error instanceof MalformedEventError)) throw error;
    return { ok: false, result: malformedEventResult(source, event, error) };
  }
}

/** The 400 result, in the source's shape, for an event it cannot turn into a request. */
export function malformedEventResult(
  source: AnySource,
  event: LambdaHttpEvent,
  error: MalformedEventError,
): LambdaHttpResult {
  const headers = new HeaderList();
  headers.append('content-type', 'application/problem+json');
  headers.append('cache-control', 'no-store');
  const body = new TextEncoder().encode(problemBody(`Malformed ${source.name} event: ${error.message}.`));
  return source.toResult({ status: 400, statusText: '', headers, body }, event);
}

function problemBody(detail: string): string {
  return JSON.stringify({
    type: MALFORMED_EVENT_PROBLEM_TYPE,
    title: 'Malformed Lambda event',
    status: 400,
    detail,
  });
}

/** When the invocation ends, as an epoch-ms time, if the context says. */
export function invocationDeadline(context: LambdaContextLike | undefined): number | undefined {
  if (typeof context?.getRemainingTimeInMillis !== 'function') return undefined;
  const deadline = Date.now() + context.getRemainingTimeInMillis();
  return isDeadline(deadline) ? deadline : undefined;
}
