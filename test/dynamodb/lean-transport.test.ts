/**
 * What only the lean transport does (the store's behaviour on both transports is in
 * dynamodb-store*.test.ts): its SigV4 signature against the AWS SDK's own signer, where it
 * finds region, endpoint and credentials, and its retries and time budget, on DynamoDB Local
 * behind the fault proxy.
 */
import { createHash, createHmac } from 'node:crypto';
// The chain `fromNodeProviderChain()` (@aws-sdk/credential-providers) wraps.
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IdempotencyConfigurationError, IdempotencyStoreError } from '../../src/errors.ts';
import { type AwsCredentials, DynamoDBStore } from '../../src/stores/dynamodb/index.ts';
import { createSigner } from '../../src/stores/dynamodb/sigv4.ts';
import { type FaultProxy, startFaultProxy } from '../hardening/fault-proxy.ts';
import {
  createIdempotencyTable,
  type DynamoDBLocal,
  LOCAL_CREDENTIALS,
  startDynamoDBLocal,
} from './dynamodb-local.ts';
import { leanOptions } from './transports.ts';

let local: DynamoDBLocal;
let proxy: FaultProxy;
let tableName: string;

beforeAll(async () => {
  local = await startDynamoDBLocal();
  const client = local.client();
  tableName = await createIdempotencyTable(client);
  client.destroy();
  proxy = await startFaultProxy(local.endpoint);
});

afterAll(async () => {
  await proxy?.close();
  await local?.stop();
});

afterEach(() => {
  proxy.plan = undefined;
});

const fingerprint = 'a'.repeat(64);
const newKey = () => `lean:${crypto.randomUUID()}`;
const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => error,
  );

const bytes = (data: string | ArrayBuffer | ArrayBufferView) =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

/** The SDK signer's hash: `@smithy/hash-node` is not installed on its own here. */
class NodeSha256 {
  #hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView) {
    this.#hash.update(bytes(data));
  }
  async digest() {
    return new Uint8Array(this.#hash.digest());
  }
  reset() {}
}

describe('the SigV4 signature', () => {
  const cases: Array<[string, AwsCredentials, string]> = [
    [
      'long-term keys, public endpoint',
      { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret/Key+1' },
      'dynamodb.eu-west-1.amazonaws.com',
    ],
    [
      'a session token (what Lambda sets), a port in the host',
      {
        accessKeyId: 'ASIAEXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG',
        sessionToken: 'IQoJb3JpZ2luX2VjE'.repeat(40),
      },
      '127.0.0.1:8000',
    ],
  ];

  it.each(cases)('equals the AWS SDK signer’s for %s', async (_, credentials, host) => {
    const date = new Date('2026-11-26T12:34:56.789Z');
    const body = JSON.stringify({ TableName: 'orders', Key: { pk: { S: 'k ü €' } } });
    const headers = {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.GetItem',
    };
    const ours = await createSigner('eu-west-1', 'dynamodb')({ credentials, host, headers, body, date });

    // Without the optional x-amz-content-sha256 header, which DynamoDB does not need.
    const sdk = new SignatureV4({
      applyChecksum: false,
      credentials,
      region: 'eu-west-1',
      service: 'dynamodb',
      sha256: NodeSha256,
    });
    const [hostname, port] = host.split(':');
    const signed = await sdk.sign(
      {
        method: 'POST',
        protocol: 'https:',
        hostname: hostname as string,
        port: port ? Number(port) : undefined,
        path: '/',
        query: {},
        headers: { ...headers, host },
        body,
      },
      { signingDate: date },
    );
    expect(ours.authorization).toBe(signed.headers.authorization);
    expect(ours['x-amz-date']).toBe(signed.headers['x-amz-date']);
    expect(ours['x-amz-security-token']).toBe(signed.headers['x-amz-security-token']);
    expect(ours.authorization).toContain('/20261126/eu-west-1/dynamodb/aws4_request');
  });
});

describe('region, endpoint and credentials', () => {
  const saved: Record<string, string | undefined> = {};
  const setEnv = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (!(name in saved)) saved[name] = process.env[name];
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  afterEach(() => {
    setEnv(saved);
    for (const name of Object.keys(saved)) delete saved[name];
  });
  const roundTrip = async (store: DynamoDBStore) => {
    const key = newKey();
    expect(await store.begin({ key, fingerprint, token: 't', leaseMs: 60_000 })).toEqual({ acquired: true });
    expect((await store.get(key))?.state).toBe('in_progress');
  };
  const seenHeaders: Array<Record<string, unknown>> = [];
  const recordHeaders = () => {
    seenHeaders.length = 0;
    proxy.plan = {
      mode: 'slow',
      delayMs: 0,
      match: ({ headers }) => {
        seenHeaders.push(headers);
        return false;
      },
    };
  };

  it('reads what Lambda sets: AWS_REGION, the key pair and the session token', async () => {
    setEnv({
      // DynamoDB Local keeps tables per key id and region (taken from the signature's scope).
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: undefined,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_SESSION_TOKEN: 'session-token-from-env',
      AWS_ENDPOINT_URL_DYNAMODB: proxy.url,
    });
    recordHeaders();
    await roundTrip(new DynamoDBStore({ tableName, timeoutMs: 30_000 }));
    // At least the put and the get (a slow first answer from DynamoDB Local may be retried).
    expect(seenHeaders.length).toBeGreaterThanOrEqual(2);
    for (const headers of seenHeaders) {
      expect(headers['x-amz-security-token']).toBe('session-token-from-env');
      expect(headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/us-east-1\/dynamodb\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=[0-9a-f]{64}$/,
      );
    }
  });

  it("takes credentials from a provider function such as the SDK's provider chain, asking again near expiry", async () => {
    setEnv({
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_SESSION_TOKEN: undefined,
    });
    await roundTrip(
      new DynamoDBStore({ tableName, ...leanOptions(proxy.url), credentials: defaultProvider() }),
    );

    const provider = (validForMs: number) => {
      const provided = { calls: 0 };
      const credentials = async () => {
        provided.calls++;
        const expiration = new Date(Date.now() + validForMs);
        return { ...LOCAL_CREDENTIALS, sessionToken: `token-${provided.calls}`, expiration };
      };
      return { provided, credentials };
    };
    const lasting = provider(3_600_000);
    const store = new DynamoDBStore({
      tableName,
      ...leanOptions(proxy.url),
      credentials: lasting.credentials,
    });
    recordHeaders();
    await Promise.all([roundTrip(store), roundTrip(store)]);
    await roundTrip(store);
    expect(lasting.provided.calls, 'one call, shared by concurrent requests, cached while fresh').toBe(1);
    expect(new Set(seenHeaders.map((headers) => headers['x-amz-security-token']))).toEqual(
      new Set(['token-1']),
    );

    // Credentials within 5 minutes of their expiration are asked for again.
    const expiring = provider(60_000);
    const refreshed = new DynamoDBStore({
      tableName,
      ...leanOptions(proxy.url),
      credentials: expiring.credentials,
    });
    recordHeaders();
    await roundTrip(refreshed);
    expect(expiring.provided.calls).toBe(2);
    expect(seenHeaders.map((headers) => headers['x-amz-security-token'])).toEqual(['token-1', 'token-2']);
  });

  it('says what to fix when credentials or region are missing, and asks again after a failure', async () => {
    setEnv({
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_REGION: undefined,
      AWS_DEFAULT_REGION: undefined,
    });
    expect(() => new DynamoDBStore({ tableName, endpoint: proxy.url })).toThrow(
      IdempotencyConfigurationError,
    );
    const noKeys = new DynamoDBStore({ tableName, endpoint: proxy.url, region: 'us-east-1' });
    const error = await errorOf(noKeys.get(newKey()));
    expect(error).toBeInstanceOf(IdempotencyStoreError);
    expect((error as Error).message).toContain('AWS credentials are missing, invalid or expired');
    expect((error as Error).message).toContain('AWS_ACCESS_KEY_ID');

    let failures = 1;
    const flaky = new DynamoDBStore({
      tableName,
      ...leanOptions(proxy.url),
      credentials: async () => {
        if (failures-- > 0)
          throw Object.assign(new Error('IMDS timed out'), { name: 'CredentialsProviderError' });
        return LOCAL_CREDENTIALS;
      },
    });
    expect(await errorOf(flaky.get(newKey()))).toBeInstanceOf(IdempotencyStoreError);
    expect(await flaky.get(newKey())).toBeNull();
  });

  it('refuses transport options beside an SDK client (they would be ignored)', () => {
    expect(() => new DynamoDBStore({ tableName, client: local.client(), region: 'us-east-1' })).toThrow(
      /region would be ignored with a client/,
    );
  });
});

describe('retries and the time budget', () => {
  const store = (options: { timeoutMs?: number; maxAttempts?: number } = {}) =>
    new DynamoDBStore({ tableName, ...leanOptions(proxy.url), ...options });
  const target =
    (operation: string) =>
    ({ headers }: { headers: Record<string, unknown> }) =>
      headers['x-amz-target'] === `DynamoDB_20120810.${operation}`;
  const throttling = JSON.stringify({
    __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException',
    message: 'Rate of requests exceeds the allowed throughput.',
  });
  const answers = {
    'HTTP 500': { status: 500, body: '' },
    'HTTP 503 (a proxy page)': { status: 503, body: '<html>Service Unavailable</html>' },
    ThrottlingException: {
      status: 400,
      body: throttling,
      headers: { 'content-type': 'application/x-amz-json-1.0' },
    },
  };

  it.each(Object.entries(answers))('retries %s and then succeeds', async (_, answer) => {
    const key = newKey();
    const before = proxy.requests;
    proxy.plan = { mode: 'answer', answer, times: 2, match: target('PutItem') };
    expect(await store().begin({ key, fingerprint, token: 't', leaseMs: 60_000 })).toEqual({
      acquired: true,
    });
    expect(proxy.hits).toBe(2);
    expect(proxy.requests - before).toBe(3);
  });

  it('gives up after maxAttempts and says it was throttled', async () => {
    const before = proxy.requests;
    proxy.plan = { mode: 'answer', answer: answers.ThrottlingException, match: target('GetItem') };
    const error = await errorOf(store({ maxAttempts: 2 }).get(newKey()));
    expect(error).toBeInstanceOf(IdempotencyStoreError);
    expect((error as Error).message).toContain('throttled by DynamoDB after retries');
    expect(((error as Error).cause as Error).name).toBe('ThrottlingException');
    expect(proxy.requests - before).toBe(2);
  });

  it('does not retry what a retry cannot fix (a validation error)', async () => {
    const before = proxy.requests;
    const validation = {
      status: 400,
      body: JSON.stringify({ __type: 'com.amazon.coral.validate#ValidationException', message: 'bad' }),
    };
    proxy.plan = { mode: 'answer', answer: validation, match: target('GetItem') };
    const error = await errorOf(store().get(newKey()));
    expect(((error as Error).cause as Error).name).toBe('ValidationException');
    expect(proxy.requests - before).toBe(1);
  });

  it('abandons a stalled attempt and retries within the budget', async () => {
    const key = newKey();
    proxy.plan = { mode: 'slow', delayMs: 5_000, times: 1, match: target('PutItem') };
    // The first attempt gets its share of the budget (a third: 3 s), the retry is not delayed.
    expect(
      await store({ timeoutMs: 9_000 }).begin({ key, fingerprint, token: 't', leaseMs: 60_000 }),
    ).toEqual({
      acquired: true,
    });
    expect(proxy.hits).toBe(1);
  });

  it('stops retrying when the budget is spent, before maxAttempts', async () => {
    const before = proxy.requests;
    proxy.plan = { mode: 'slow', delayMs: 5_000, match: target('GetItem') };
    const error = await errorOf(store({ timeoutMs: 300, maxAttempts: 50 }).get(newKey()));
    expect(error).toBeInstanceOf(IdempotencyStoreError);
    expect((error as Error).message).toContain('DynamoDB could not be reached (TimeoutError');
    expect(proxy.requests - before).toBeLessThan(50);
  });

  it('reports a closed port as unreachable, after retrying it', async () => {
    const { freePort } = await import('../helpers/free-port.ts');
    const closed = new DynamoDBStore({ tableName, ...leanOptions(`http://127.0.0.1:${await freePort()}`) });
    const error = await errorOf(closed.get(newKey()));
    expect((error as Error).message).toContain('DynamoDB could not be reached (ECONNREFUSED');
  });
});
