import { readFileSync } from 'node:fs';
import type { Context } from 'aws-lambda';
import type { LambdaHttpEvent, LambdaHttpResult } from '../../adapters/lambda/index.ts';

/** One event source under test: its fixture and how its results carry headers. */
export interface SourceCase {
  name: string;
  fixture: string;
  /** Whether repeated headers and query parameters survive (false for ALB single-value mode). */
  multiValue: boolean;
  /** The `Set-Cookie` values of a result, where this source puts them. */
  cookiesOf(result: LambdaHttpResult): string[];
}

const multiValueCookies = (result: LambdaHttpResult) =>
  ('multiValueHeaders' in result && result.multiValueHeaders?.['set-cookie']) || [];

export const SOURCES: SourceCase[] = [
  {
    name: 'API Gateway REST (v1)',
    fixture: 'api-gateway-v1-rest.json',
    multiValue: true,
    cookiesOf: multiValueCookies,
  },
  {
    name: 'HTTP API payload 1.0',
    fixture: 'http-api-payload-1.0.json',
    multiValue: true,
    cookiesOf: multiValueCookies,
  },
  {
    name: 'HTTP API (v2)',
    fixture: 'api-gateway-v2-http.json',
    multiValue: true,
    cookiesOf: (result) => ('cookies' in result && result.cookies) || [],
  },
  {
    name: 'Function URL',
    fixture: 'function-url.json',
    multiValue: true,
    cookiesOf: (result) => ('cookies' in result && result.cookies) || [],
  },
  {
    name: 'ALB single-value headers',
    fixture: 'alb-single-value.json',
    multiValue: false,
    cookiesOf: (result) => {
      const cookie = 'headers' in result ? result.headers?.['set-cookie'] : undefined;
      return cookie === undefined ? [] : [cookie];
    },
  },
  {
    name: 'ALB multi-value headers',
    fixture: 'alb-multi-value.json',
    multiValue: true,
    cookiesOf: multiValueCookies,
  },
];

/** A fresh copy of a fixture, safe to modify. */
export function loadEvent(fixture: string): LambdaHttpEvent & Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`./fixtures/${fixture}`, import.meta.url), 'utf8'));
}

type HeaderMaps = {
  headers?: Record<string, unknown> | null;
  multiValueHeaders?: Record<string, unknown> | null;
};

/** Set (or, with `undefined`, remove) a request header in every header map the event has. */
export function setHeader(event: LambdaHttpEvent, name: string, value: string | undefined): void {
  const maps = event as HeaderMaps;
  for (const key of ['headers', 'multiValueHeaders'] as const) {
    const map = maps[key];
    if (!map) continue;
    for (const existing of Object.keys(map)) if (existing.toLowerCase() === name) delete map[existing];
    if (value !== undefined) map[name] = key === 'headers' ? value : [value];
  }
}

/** Replace the event's body, as the source would send it. */
export function setBody(event: LambdaHttpEvent, body: string, isBase64Encoded: boolean): void {
  Object.assign(event, { body, isBase64Encoded });
  setHeader(event, 'content-length', undefined);
}

/** A Lambda context whose invocation ends `remainingMs` from now. */
export function lambdaContext(remainingMs: number): Context {
  const deadline = Date.now() + remainingMs;
  const unsupported = () => {
    throw new Error('legacy context callbacks are not used');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'edge-idempotency-demo',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:edge-idempotency-demo',
    memoryLimitInMB: '256',
    awsRequestId: crypto.randomUUID(),
    logGroupName: '/aws/lambda/edge-idempotency-demo',
    logStreamName: '2026/11/23/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/** The first value of a response header in a result, whatever map the source uses. */
export function resultHeader(result: LambdaHttpResult, name: string): string | undefined {
  if ('multiValueHeaders' in result && result.multiValueHeaders) return result.multiValueHeaders[name]?.[0];
  if ('headers' in result && result.headers) return result.headers[name];
  return undefined;
}

/** The body bytes of a result. */
export function resultBytes(result: LambdaHttpResult): Uint8Array {
  return result.isBase64Encoded
    ? Uint8Array.from(atob(result.body), (char) => char.charCodeAt(0))
    : new TextEncoder().encode(result.body);
}

/** Set the HTTP method where the event's source keeps it. */
export function setMethod(event: LambdaHttpEvent, method: string): void {
  if ('httpMethod' in event) event.httpMethod = method;
  else event.requestContext.http.method = method;
}
