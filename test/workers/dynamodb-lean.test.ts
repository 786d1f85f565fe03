/**
 * The lean DynamoDB store inside workerd (no `nodejs_compat`): `fetch`, Web Crypto signing and
 * CompressionStream, against DynamoDB Local started from Node by the project's globalSetup.
 */
import { describe, expect, inject, it } from 'vitest';
import { DynamoDBStore } from '../../src/stores/dynamodb/index.ts';
import { withIdempotency } from '../../src/with-idempotency.ts';
import { describeStoreContract } from '../conformance/store-contract.ts';

const { endpoint, tableName, closedEndpoint } = inject('dynamodb');
const options = {
  tableName,
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  timeoutMs: 30_000,
};

// Round trips: the transport calls the global `fetch` once per request; count the calls.
let requests = 0;
const runtimeFetch = globalThis.fetch;
globalThis.fetch = ((...args: Parameters<typeof fetch>) => {
  requests++;
  return runtimeFetch(...args);
}) as typeof fetch;

describeStoreContract('dynamodb (lean) in workerd', () => new DynamoDBStore(options), {
  roundTrips: () => requests,
  makeUnreachableStore: () => new DynamoDBStore({ ...options, endpoint: closedEndpoint, maxAttempts: 1 }),
});

describe('DynamoDBStore (lean) behind withIdempotency in workerd', () => {
  it('replays a gzipped response byte for byte and runs the handler once', async () => {
    let runs = 0;
    const body = JSON.stringify({ rows: Array.from({ length: 2000 }, (_, i) => ({ i, name: `row ${i}` })) });
    const serve = withIdempotency(
      async () => {
        runs++;
        return new Response(body, { status: 201, headers: { 'content-type': 'application/json' } });
      },
      { store: new DynamoDBStore(options) },
    );
    const request = () =>
      new Request('https://api.example/orders', {
        method: 'POST',
        headers: { 'idempotency-key': 'workerd-gzip-1', 'content-type': 'application/json' },
        body: '{"amount":1}',
      });
    const first = await serve(request());
    expect(first.status).toBe(201);
    expect(await first.text()).toBe(body);
    const replay = await serve(request());
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.text()).toBe(body);
    expect(runs).toBe(1);
  });
});
