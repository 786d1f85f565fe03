import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { toLambdaHandler } from '../../adapters/lambda/index.ts';
import { type BeginInput, type IdempotencyStore, MemoryStore, withIdempotency } from '../../src/index.ts';
import {
  lambdaContext,
  loadEvent,
  resultBytes,
  resultHeader,
  SOURCES,
  setBody,
  setHeader,
} from './events.ts';

/** A MemoryStore that remembers what `begin` was asked for. */
function recordingStore(): { store: IdempotencyStore; begins: BeginInput[] } {
  const inner = new MemoryStore();
  const begins: BeginInput[] = [];
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'begin') {
        return (input: BeginInput) => {
          begins.push(input);
          return target.begin(input);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store, begins };
}

describe.each(SOURCES)('withIdempotency through toLambdaHandler: $name', (source) => {
  it('replays a duplicate event: the handler runs once, the replay is marked', async () => {
    let runs = 0;
    const handler = toLambdaHandler(
      withIdempotency(
        async (request: Request, context: Context) => {
          runs++;
          const order = await request.json();
          return Response.json(
            { id: `order-${runs}`, amount: order.amount, requestId: context.awsRequestId },
            { status: 201 },
          );
        },
        { store: new MemoryStore() },
      ),
    );
    const first = await handler(loadEvent(source.fixture), lambdaContext(5000));
    const second = await handler(loadEvent(source.fixture), lambdaContext(5000));
    expect(runs).toBe(1);
    expect(first.statusCode).toBe(201);
    expect(resultHeader(first, 'idempotent-replayed')).toBeUndefined();
    expect(second.statusCode).toBe(201);
    expect(resultHeader(second, 'idempotent-replayed')).toBe('true');
    expect(second.body).toBe(first.body);
    expect(JSON.parse(second.body)).toMatchObject({ id: 'order-1', amount: 100 });
  });

  it('replays a binary response byte for byte, in base64', async () => {
    const image = crypto.getRandomValues(new Uint8Array(2048));
    let runs = 0;
    const handler = toLambdaHandler(
      withIdempotency(
        async (request: Request) => {
          runs++;
          const upload = new Uint8Array(await request.arrayBuffer());
          const body = new Uint8Array([...upload.subarray(0, 16), ...image]);
          return new Response(body, { headers: { 'content-type': 'image/png' } });
        },
        { store: new MemoryStore() },
      ),
    );
    const event = () => {
      const e = loadEvent(source.fixture);
      setBody(e, btoa(String.fromCharCode(...image)), true);
      setHeader(e, 'content-type', 'application/octet-stream');
      return e;
    };
    const first = await handler(event(), lambdaContext(5000));
    const second = await handler(event(), lambdaContext(5000));
    expect(runs).toBe(1);
    expect(first.isBase64Encoded).toBe(true);
    expect(second.isBase64Encoded).toBe(true);
    expect(resultHeader(second, 'idempotent-replayed')).toBe('true');
    expect(resultBytes(second)).toEqual(resultBytes(first));
    expect(resultBytes(second).subarray(16)).toEqual(image);
  });

  it('caps the lease at the time the invocation has left', async () => {
    const { store, begins } = recordingStore();
    const handler = toLambdaHandler(
      withIdempotency(async () => new Response('ok'), { store, leaseSeconds: 60 }),
    );
    await handler(loadEvent(source.fixture), lambdaContext(1500));
    expect(begins).toHaveLength(1);
    expect(begins[0]?.leaseMs).toBeGreaterThan(0);
    expect(begins[0]?.leaseMs).toBeLessThanOrEqual(1500);
  });
});

describe('a timed-out invocation frees its key', () => {
  it('lets a retry run once the first invocation’s remaining time is over', async () => {
    const store = new MemoryStore();
    let runs = 0;
    let releaseFirst: () => void = () => {};
    const firstMayFinish = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    const handler = toLambdaHandler(
      withIdempotency(
        async () => {
          runs++;
          // The first run stalls as if Lambda were about to kill it; the retry answers at once.
          if (runs === 1) await firstMayFinish;
          return new Response(`run ${runs}`);
        },
        { store, leaseSeconds: 60 },
      ),
    );
    const stalled = handler(loadEvent('api-gateway-v2-http.json'), lambdaContext(1000));
    // While the first invocation still has time, a duplicate is a conflict.
    const early = await handler(loadEvent('api-gateway-v2-http.json'), lambdaContext(5000));
    expect(early.statusCode).toBe(409);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const retry = await handler(loadEvent('api-gateway-v2-http.json'), lambdaContext(5000));
    expect(retry.statusCode).toBe(200);
    expect(retry.body).toBe('run 2');
    releaseFirst();
    await stalled;
    expect(runs).toBe(2);
  });
});
