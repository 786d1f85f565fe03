/**
 * Issue 12, item 10: what fetch would do to an event between two encodings of one request.
 * A lone surrogate (no UTF-8 form) in a path, query or body used to throw a URIError out of the
 * adapter or be turned into U+FFFD; a string body got a `text/plain;charset=UTF-8` invented by
 * fetch that the same bytes sent base64-encoded did not, so a legitimate retry got a 422.
 */
import { describe, expect, it } from 'vitest';
import {
  type LambdaHttpEvent,
  type LambdaHttpResult,
  MALFORMED_EVENT_PROBLEM_TYPE,
  toLambdaHandler,
} from '../../adapters/lambda/index.ts';
import { type IdempotencyStore, withIdempotency } from '../../src/index.ts';
import { lambdaContext, loadEvent, resultHeader, SOURCES, setBody, setHeader } from './events.ts';
import { lambdaStores } from './stores.ts';

const stores = lambdaStores();

type Event = LambdaHttpEvent & Record<string, unknown>;

function guardedLambda(store: IdempotencyStore) {
  const seen: Array<{ contentType: string | null; body: string }> = [];
  const handler = toLambdaHandler(
    withIdempotency(
      async (request: Request) => {
        seen.push({ contentType: request.headers.get('content-type'), body: await request.text() });
        return Response.json({ run: crypto.randomUUID() }, { status: 201 });
      },
      { store },
    ),
  );
  return { seen, send: (event: Event): Promise<LambdaHttpResult> => handler(event, lambdaContext(30_000)) };
}

function expectMalformedEvent(result: LambdaHttpResult): void {
  expect(result.statusCode).toBe(400);
  expect(resultHeader(result, 'content-type')).toBe('application/problem+json');
  expect(JSON.parse(result.body).type).toBe(MALFORMED_EVENT_PROBLEM_TYPE);
}

const LONE = ['\uD800', '\uDFFF', 'a\uDC00b', '\uDBFF\uDBFF'];

/** Ways a lone surrogate reaches each source's event, named for the failure message. */
const lonelyEvents: Array<[string, string, (event: Event, lone: string) => void]> = [
  [
    'REST query value',
    'api-gateway-v1-rest.json',
    (e, lone) => {
      e.queryStringParameters = { q: lone };
      e.multiValueQueryStringParameters = null;
    },
  ],
  [
    'REST query name',
    'api-gateway-v1-rest.json',
    (e, lone) => {
      e.queryStringParameters = { [lone]: 'x' };
      e.multiValueQueryStringParameters = null;
    },
  ],
  [
    'REST multi-value query',
    'api-gateway-v1-rest.json',
    (e, lone) => {
      e.multiValueQueryStringParameters = { tag: ['x', lone] };
    },
  ],
  [
    'HTTP API 1.0 query value',
    'http-api-payload-1.0.json',
    (e, lone) => {
      e.multiValueQueryStringParameters = { q: [lone] };
    },
  ],
  [
    'REST path',
    'api-gateway-v1-rest.json',
    (e, lone) => {
      e.path = `/orders/${lone}`;
    },
  ],
  ['REST header', 'api-gateway-v1-rest.json', (e, lone) => setHeader(e, 'x-note', lone)],
  [
    'REST text body',
    'api-gateway-v1-rest.json',
    (e, lone) => setBody(e, `{"amount":100,"note":"${lone}"}`, false),
  ],
  [
    'HTTP API rawQueryString',
    'api-gateway-v2-http.json',
    (e, lone) => {
      e.rawQueryString = `q=${lone}`;
    },
  ],
  [
    'HTTP API rawPath',
    'api-gateway-v2-http.json',
    (e, lone) => {
      e.rawPath = `/orders${lone}`;
    },
  ],
  ['HTTP API header', 'api-gateway-v2-http.json', (e, lone) => setHeader(e, 'x-note', lone)],
  [
    'HTTP API cookie',
    'api-gateway-v2-http.json',
    (e, lone) => {
      e.cookies = [`session=${lone}`];
    },
  ],
  ['Function URL text body', 'function-url.json', (e, lone) => setBody(e, lone, false)],
  [
    'ALB query',
    'alb-multi-value.json',
    (e, lone) => {
      e.multiValueQueryStringParameters = { q: [lone] };
    },
  ],
  [
    'ALB single-value query',
    'alb-single-value.json',
    (e, lone) => {
      e.queryStringParameters = { [lone]: lone };
    },
  ],
  [
    'ALB path',
    'alb-single-value.json',
    (e, lone) => {
      e.path = lone;
    },
  ],
  ['ALB header', 'alb-multi-value.json', (e, lone) => setHeader(e, 'x-note', lone)],
];

describe('a lone surrogate anywhere in an event answers 400, never a throw or a lossy request', () => {
  it.each(lonelyEvents)('%s', async (_what, fixture, breakIt) => {
    const { seen, send } = guardedLambda(stores[0]?.store() as IdempotencyStore);
    for (const lone of LONE) {
      const event = loadEvent(fixture);
      breakIt(event, lone);
      expectMalformedEvent(await send(event));
    }
    expect(seen).toHaveLength(0);
  });

  it('a lone surrogate and the U+FFFD it would have become are not one request', async () => {
    const { seen, send } = guardedLambda(stores[0]?.store() as IdempotencyStore);
    const replaced = loadEvent('api-gateway-v2-http.json');
    replaced.rawPath = '/orders\uFFFD';
    expect((await send(replaced)).statusCode).toBe(201);
    const lone = loadEvent('api-gateway-v2-http.json');
    lone.rawPath = '/orders\uD800';
    expectMalformedEvent(await send(lone));
    expect(seen).toHaveLength(1);
  });
});

describe.each(stores)('one body, two encodings, one request: $name', (stores) => {
  it.each(SOURCES)(
    '$name: the same bytes as text, then base64-encoded, replay (no Content-Type)',
    async (source) => {
      const { seen, send } = guardedLambda(stores.store());
      const key = crypto.randomUUID();
      const payload = '{"amount":100,"note":"caf\u00e9 \u20ac \u{1F600}"}';
      const bytes = new TextEncoder().encode(payload);
      const event = (asBase64: boolean) => {
        const e = loadEvent(source.fixture);
        setHeader(e, 'idempotency-key', key);
        setHeader(e, 'content-type', undefined);
        setBody(e, asBase64 ? btoa(String.fromCharCode(...bytes)) : payload, asBase64);
        return e;
      };
      const first = await send(event(false));
      const retry = await send(event(true));
      const again = await send(event(false));
      expect(first.statusCode).toBe(201);
      for (const replay of [retry, again]) {
        expect(replay.statusCode).toBe(201);
        expect(resultHeader(replay, 'idempotent-replayed')).toBe('true');
        expect(replay.body).toBe(first.body);
      }
      // The handler saw the body the client sent, and no Content-Type it did not send.
      expect(seen).toEqual([{ contentType: null, body: payload }]);
    },
  );

  it('the base64 attempt first, the text retry second, with a Content-Type: also one request', async () => {
    const { seen, send } = guardedLambda(stores.store());
    const key = crypto.randomUUID();
    const payload = '{"amount":7}';
    const event = (asBase64: boolean) => {
      const e = loadEvent('api-gateway-v1-rest.json');
      setHeader(e, 'idempotency-key', key);
      setBody(e, asBase64 ? btoa(payload) : payload, asBase64);
      return e;
    };
    const first = await send(event(true));
    const retry = await send(event(false));
    expect(resultHeader(retry, 'idempotent-replayed')).toBe('true');
    expect(retry.body).toBe(first.body);
    expect(seen).toEqual([{ contentType: 'application/json', body: payload }]);
  });

  it('an empty body as text and as base64 are one request too', async () => {
    const { seen, send } = guardedLambda(stores.store());
    const key = crypto.randomUUID();
    const event = (asBase64: boolean) => {
      const e = loadEvent('api-gateway-v2-http.json');
      setHeader(e, 'idempotency-key', key);
      setHeader(e, 'content-type', undefined);
      setBody(e, '', asBase64);
      return e;
    };
    const first = await send(event(false));
    const retry = await send(event(true));
    expect(first.statusCode).toBe(201);
    expect(resultHeader(retry, 'idempotent-replayed')).toBe('true');
    expect(seen).toEqual([{ contentType: null, body: '' }]);
  });
});
