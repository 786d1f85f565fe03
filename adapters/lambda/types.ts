import type { HeaderReader } from './header-list.ts';
import type { RequestParts } from './request.ts';
import type { ResponseParts } from './response.ts';
import type { ResultReading } from './stored-result.ts';

/**
 * The Lambda event and result shapes this adapter reads and writes, as AWS documents them.
 *
 * Declared here rather than imported from `@types/aws-lambda` so the published types need no
 * extra package; `test/lambda/event-types.test.ts` keeps the `@types/aws-lambda` events
 * assignable to these and these results assignable to theirs.
 */

/** API Gateway REST API (and HTTP API payload format 1.0) proxy event. */
export interface ApiGatewayV1Event {
  version?: string;
  resource?: string;
  path: string;
  httpMethod: string;
  headers?: Record<string, string | undefined> | null;
  multiValueHeaders?: Record<string, string[] | undefined> | null;
  /** Values already URL-decoded by API Gateway. */
  queryStringParameters?: Record<string, string | undefined> | null;
  multiValueQueryStringParameters?: Record<string, string[] | undefined> | null;
  requestContext?: { domainName?: string } | null;
  body: string | null;
  isBase64Encoded: boolean;
}

/** API Gateway HTTP API payload format 2.0 event; Lambda Function URLs send the same shape. */
export interface ApiGatewayV2Event {
  version: '2.0' | (string & {});
  rawPath: string;
  /** As the client sent it, still URL-encoded. */
  rawQueryString: string;
  /** The request's cookies; API Gateway moves them out of `headers`. */
  cookies?: string[];
  /** Repeated headers arrive joined with commas. */
  headers: Record<string, string | undefined>;
  requestContext: { domainName?: string; http: { method: string } };
  body?: string;
  isBase64Encoded: boolean;
}

/** Application Load Balancer event, in single-value or multi-value header mode. */
export interface AlbEvent {
  requestContext: { elb: { targetGroupArn: string } };
  httpMethod: string;
  path: string;
  /** Values exactly as the client sent them: ALB does not URL-decode them. */
  queryStringParameters?: Record<string, string | undefined>;
  multiValueQueryStringParameters?: Record<string, string[] | undefined>;
  headers?: Record<string, string | undefined>;
  /** Present instead of `headers` when the target group has multi-value headers enabled. */
  multiValueHeaders?: Record<string, string[] | undefined>;
  body: string | null;
  isBase64Encoded: boolean;
}

/** Every event `toLambdaHandler` understands. */
export type LambdaHttpEvent = ApiGatewayV1Event | ApiGatewayV2Event | AlbEvent;

/** What API Gateway REST (v1) expects back. */
export interface ApiGatewayV1Result {
  statusCode: number;
  multiValueHeaders: Record<string, string[]>;
  body: string;
  isBase64Encoded: boolean;
}

/** What HTTP API (payload 2.0) and Function URLs expect back. */
export interface ApiGatewayV2Result {
  statusCode: number;
  headers: Record<string, string>;
  /** One entry per `Set-Cookie` header. */
  cookies?: string[];
  body: string;
  isBase64Encoded: boolean;
}

/** What an ALB expects back; `headers` or `multiValueHeaders` following the event's mode. */
export interface AlbResult {
  statusCode: number;
  statusDescription: string;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  body: string;
  isBase64Encoded: boolean;
}

/** Every result `toLambdaHandler` produces. */
export type LambdaHttpResult = ApiGatewayV1Result | ApiGatewayV2Result | AlbResult;

/** The part of the Lambda context object the adapter uses; the whole object reaches the handler. */
export interface LambdaContextLike {
  /** Milliseconds left before Lambda stops this invocation. */
  getRemainingTimeInMillis(): number;
}

/**
 * A fetch-style handler: the Web `Request`, plus the Lambda context as the extra argument (the
 * same shape `withIdempotency` returns).
 */
export type LambdaFetchHandler<C extends LambdaContextLike = LambdaContextLike> = (
  request: Request,
  context: C,
) => Response | Promise<Response>;

/** Options of `toLambdaHandler`. */
export interface LambdaHandlerOptions {
  /**
   * Take ALB's `x-amzn-oidc-identity` header as the caller's verified principal (with
   * `x-amzn-oidc-data` beside it). Off by default, because the function cannot tell whether ALB
   * set the header: ALB writes the `x-amzn-oidc-*` headers only on listener rules with an
   * `authenticate-oidc` or `authenticate-cognito` action; on any other rule that forwards to the
   * same target, a client's own `x-amzn-oidc-identity` arrives untouched and would open another
   * user's records. Turn it on only when every rule forwarding to this function authenticates
   * and denies unauthenticated requests (`OnUnauthenticatedRequest: deny` or `authenticate`).
   */
  trustAlbOidcHeaders?: boolean;
}

/** One event source: recognises its events, reads their request and writes their result. */
export interface EventSource<E, R extends LambdaHttpResult> {
  /** Names the source in error messages. */
  readonly name: string;
  /** Whether `event` claims to come from this source (its fields may still be malformed). */
  matches(event: Record<string, unknown>): boolean;
  /** The request's parts; throws `MalformedEventError` when the event cannot make them. */
  toParts(event: E): RequestParts;
  /**
   * The caller AWS verified for this event, encoded by `principal.ts`, or `undefined`. Reads
   * only what AWS set after checking a credential; never throws, whatever the event holds.
   */
  principal(event: E, headers: HeaderReader, options: LambdaHandlerOptions): string | undefined;
  /** The Lambda result for `response`, in the shape this source (and this event's mode) expects. */
  toResult(response: ResponseParts, event: E): R;
  /** How the service behind this event reads the result a handler returns. */
  reading(event: E): ResultReading;
}
