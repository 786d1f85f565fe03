/**
 * The default scope behind Lambda is the caller AWS verified, not the raw `Authorization`
 * header: a SigV4 caller re-signs every attempt and OAuth tokens rotate, so a retry must still
 * replay; and two verified callers must never share a record. Only the public entry is used
 * (`toLambdaHandler(withIdempotency(handler, { store }))`), on MemoryStore and on DynamoDBStore
 * against DynamoDB Local.
 */
import { describe, expect, it } from 'vitest';
import {
  type LambdaHandlerOptions,
  type LambdaHttpEvent,
  type LambdaHttpResult,
  toLambdaHandler,
} from '../../adapters/lambda/index.ts';
import { type IdempotencyStore, withIdempotency } from '../../src/index.ts';
import { lambdaContext, loadEvent, resultHeader, setHeader } from './events.ts';
import { lambdaStores } from './stores.ts';

const stores = lambdaStores();

type Event = LambdaHttpEvent & Record<string, unknown>;

const ALICE_ARN = 'arn:aws:iam::123456789012:user/alice';
const BOB_ARN = 'arn:aws:iam::123456789012:user/bob';
const COGNITO_ROLE_SESSION =
  'arn:aws:sts::123456789012:assumed-role/Cognito_OrdersAuth_Role/CognitoIdentityCredentials';
const USER_POOL = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI';

function hex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
}

/**
 * The headers of one SigV4-signed attempt, as an AWS SDK sends them: temporary credentials (a
 * new access key id and session token after each refresh), a new X-Amz-Date and signature.
 */
function sigV4Attempt(): { accessKey: string; headers: Record<string, string> } {
  const accessKey = `ASIA${hex(8).toUpperCase()}`;
  const amzDate = new Date(Date.now() + Math.floor(Math.random() * 60_000))
    .toISOString()
    .replace(/[-:]|\.\d{3}/g, '');
  return {
    accessKey,
    headers: {
      authorization:
        `AWS4-HMAC-SHA256 Credential=${accessKey}/${amzDate.slice(0, 8)}/us-east-1/execute-api/aws4_request, ` +
        `SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=${hex(32)}`,
      'x-amz-date': amzDate,
      'x-amz-security-token': hex(48),
    },
  };
}

function withHeaders(event: Event, key: string, headers: Record<string, string | undefined>): Event {
  setHeader(event, 'idempotency-key', key);
  for (const [name, value] of Object.entries(headers)) setHeader(event, name, value);
  return event;
}

/** A REST (v1) event; `identity` fields over the fixture's nulls, `authorizer` as given. */
function restEvent(
  key: string,
  context: { identity?: Record<string, unknown>; authorizer?: Record<string, unknown> },
  headers: Record<string, string | undefined> = {},
): Event {
  const event = loadEvent('api-gateway-v1-rest.json');
  const requestContext = event.requestContext as Record<string, unknown>;
  requestContext.identity = { ...(requestContext.identity as object), ...context.identity };
  if (context.authorizer) requestContext.authorizer = context.authorizer;
  return withHeaders(event, key, headers);
}

/** An HTTP API (v2) or Function URL event with `requestContext.authorizer`. */
function v2Event(
  fixture: 'api-gateway-v2-http.json' | 'function-url.json',
  key: string,
  authorizer: Record<string, unknown> | undefined,
  headers: Record<string, string | undefined> = {},
): Event {
  const event = loadEvent(fixture);
  if (authorizer) (event.requestContext as Record<string, unknown>).authorizer = authorizer;
  return withHeaders(event, key, headers);
}

function iamAuthorizer(userArn: string, accessKey: string): Record<string, unknown> {
  return {
    iam: {
      accessKey,
      accountId: '123456789012',
      callerId: 'AIDACKCEVSQ6C2EXAMPLE',
      cognitoIdentity: null,
      principalOrgId: null,
      userArn,
      userId: 'AIDACKCEVSQ6C2EXAMPLE',
    },
  };
}

function jwtAuthorizer(claims: Record<string, unknown>): Record<string, unknown> {
  return { jwt: { claims, scopes: null } };
}

/** A fresh JWT's claims for one user: `iat`, `exp` and `jti` change with every token. */
function rotatingClaims(iss: string, sub: string): Record<string, string | number> {
  const iat = Math.floor(Date.now() / 1000) - Math.floor(Math.random() * 3000);
  return { iss, sub, aud: 'orders-api', iat, exp: iat + 3600, jti: crypto.randomUUID(), token_use: 'access' };
}

function albEvent(key: string, headers: Record<string, string | undefined>): Event {
  return withHeaders(loadEvent('alb-multi-value.json'), key, headers);
}

/** ALB's headers after an authenticate action: the tokens change as ALB refreshes the session. */
function albOidcHeaders(identity: string): Record<string, string> {
  return {
    'x-amzn-oidc-identity': identity,
    'x-amzn-oidc-accesstoken': `eyJ${hex(40)}.${hex(60)}.${hex(32)}`,
    'x-amzn-oidc-data': `eyJ${hex(40)}.${hex(60)}.${hex(32)}`,
  };
}

function guardedLambda(store: IdempotencyStore, options?: LambdaHandlerOptions) {
  let runs = 0;
  const handler = toLambdaHandler(
    withIdempotency(
      async (request: Request) => {
        runs++;
        const order = await request.json();
        // A unique id per run: two bodies are equal only when one is a replay of the other.
        return Response.json({ order: crypto.randomUUID(), amount: order.amount }, { status: 201 });
      },
      { store },
    ),
    options,
  );
  return {
    send: (event: Event): Promise<LambdaHttpResult> => handler(event, lambdaContext(30_000)),
    runs: () => runs,
  };
}

function expectReplayOf(replay: LambdaHttpResult, first: LambdaHttpResult): void {
  expect(first.statusCode).toBe(201);
  expect(resultHeader(first, 'idempotent-replayed')).toBeUndefined();
  expect(replay.statusCode).toBe(201);
  expect(resultHeader(replay, 'idempotent-replayed')).toBe('true');
  expect(replay.body).toBe(first.body);
}

/** Each attempt, sent twice under a new key (built anew: new signature, token, date), replays. */
async function expectEachRetryReplays(
  send: (event: Event) => Promise<LambdaHttpResult>,
  attempts: Array<(key: string) => Event>,
): Promise<void> {
  for (const attempt of attempts) {
    const key = crypto.randomUUID();
    const first = await send(attempt(key));
    expectReplayOf(await send(attempt(key)), first);
  }
}

function expectFreshRun(result: LambdaHttpResult): void {
  expect(result.statusCode).toBe(201);
  expect(resultHeader(result, 'idempotent-replayed')).toBeUndefined();
}

describe.each(stores)('the verified principal is the default scope behind Lambda: $name', (stores) => {
  it('a SigV4-signed retry (same IAM user, new X-Amz-Date, signature and session token) replays', async () => {
    const { send, runs } = guardedLambda(stores.store());
    const attempts: Array<(key: string) => Event> = [
      (key) => {
        const { accessKey, headers } = sigV4Attempt();
        return restEvent(
          key,
          { identity: { userArn: ALICE_ARN, accessKey, accountId: '123456789012' } },
          headers,
        );
      },
      (key) => {
        const { accessKey, headers } = sigV4Attempt();
        return v2Event('api-gateway-v2-http.json', key, iamAuthorizer(ALICE_ARN, accessKey), headers);
      },
      (key) => {
        const { accessKey, headers } = sigV4Attempt();
        return v2Event('function-url.json', key, iamAuthorizer(ALICE_ARN, accessKey), headers);
      },
    ];
    await expectEachRetryReplays(send, attempts);
    expect(runs()).toBe(attempts.length);
  });

  it('a Cognito identity pool caller: each identity replays its own retries, the shared role session merges nobody', async () => {
    const { send, runs } = guardedLambda(stores.store());
    const key = crypto.randomUUID();
    const caller = (identityId: string) => {
      const { accessKey, headers } = sigV4Attempt();
      return restEvent(
        key,
        {
          identity: {
            userArn: COGNITO_ROLE_SESSION,
            accessKey,
            cognitoIdentityId: identityId,
            cognitoIdentityPoolId: 'us-east-1:0f4b3e9a-5c1d-4e7f-9a2b-3c4d5e6f7a8b',
            cognitoAuthenticationType: 'authenticated',
          },
        },
        headers,
      );
    };
    const first = await send(caller('us-east-1:11111111-aaaa-4bbb-8ccc-dddddddddddd'));
    const other = await send(caller('us-east-1:22222222-aaaa-4bbb-8ccc-dddddddddddd'));
    const retry = await send(caller('us-east-1:11111111-aaaa-4bbb-8ccc-dddddddddddd'));
    expectFreshRun(other);
    expectReplayOf(retry, first);
    expect(runs()).toBe(2);
  });

  it('a JWT authorizer with rotating tokens replays (HTTP API JWT authorizer, REST Cognito user pool authorizer)', async () => {
    const { send, runs } = guardedLambda(stores.store());
    const attempts: Array<(key: string) => Event> = [
      (key) =>
        v2Event('api-gateway-v2-http.json', key, jwtAuthorizer(rotatingClaims(USER_POOL, 'user-1')), {
          authorization: `Bearer eyJ${hex(60)}`,
        }),
      (key) =>
        restEvent(
          key,
          { authorizer: { claims: { ...rotatingClaims(USER_POOL, 'user-1'), 'cognito:username': 'alice' } } },
          { authorization: `eyJ${hex(60)}` },
        ),
    ];
    await expectEachRetryReplays(send, attempts);
    expect(runs()).toBe(attempts.length);
  });

  it('a Lambda authorizer’s principalId replays across new tokens (REST authorizer.principalId, HTTP API authorizer.lambda)', async () => {
    const { send, runs } = guardedLambda(stores.store());
    const attempts: Array<(key: string) => Event> = [
      (key) =>
        restEvent(
          key,
          { authorizer: { principalId: 'user-42', tenant: 'acme', integrationLatency: Math.random() * 100 } },
          { authorization: `Bearer ${hex(20)}` },
        ),
      (key) =>
        v2Event(
          'api-gateway-v2-http.json',
          key,
          { lambda: { principalId: 'user-42', tenant: 'acme' } },
          { authorization: `Bearer ${hex(20)}` },
        ),
    ];
    await expectEachRetryReplays(send, attempts);
    expect(runs()).toBe(attempts.length);
  });

  it('two verified principals with the same key and the same Authorization header never share a record', async () => {
    const { send, runs } = guardedLambda(stores.store());
    const authorization = 'Bearer shared-api-token';
    // Pairs of callers that differ only in who AWS verified, including the same text in two kinds.
    const pairs: Array<[string, (key: string) => Event, (key: string) => Event]> = [
      [
        'two Lambda authorizer principals',
        (key) => restEvent(key, { authorizer: { principalId: 'alice' } }, { authorization }),
        (key) => restEvent(key, { authorizer: { principalId: 'bob' } }, { authorization }),
      ],
      [
        'two IAM users',
        (key) => v2Event('function-url.json', key, iamAuthorizer(ALICE_ARN, 'ASIA1'), { authorization }),
        (key) => v2Event('function-url.json', key, iamAuthorizer(BOB_ARN, 'ASIA1'), { authorization }),
      ],
      [
        'one subject at two issuers',
        (key) =>
          v2Event('api-gateway-v2-http.json', key, jwtAuthorizer({ iss: USER_POOL, sub: 'u1' }), {
            authorization,
          }),
        (key) =>
          v2Event('api-gateway-v2-http.json', key, jwtAuthorizer({ iss: 'https://idp.example', sub: 'u1' }), {
            authorization,
          }),
      ],
      [
        'an IAM ARN and a Lambda authorizer principalId of the same text',
        (key) => restEvent(key, { identity: { userArn: ALICE_ARN } }, { authorization }),
        (key) => restEvent(key, { authorizer: { principalId: ALICE_ARN } }, { authorization }),
      ],
      [
        'a JWT iss+sub and a Lambda authorizer principalId that spells them joined',
        (key) => restEvent(key, { authorizer: { claims: { iss: 'a', sub: 'b' } } }, { authorization }),
        (key) =>
          v2Event(
            'api-gateway-v2-http.json',
            key,
            { lambda: { principalId: 'a\u0000b' } },
            { authorization },
          ),
      ],
      [
        'a verified principal and no principal at all',
        (key) => restEvent(key, { authorizer: { principalId: 'alice' } }, { authorization }),
        (key) => restEvent(key, {}, { authorization }),
      ],
    ];
    for (const [what, first, second] of pairs) {
      const key = crypto.randomUUID();
      const a = await send(first(key));
      const b = await send(second(key));
      expectFreshRun(a);
      expect(resultHeader(b, 'idempotent-replayed'), what).toBeUndefined();
      expect(b.statusCode, what).toBe(201);
      expect(b.body, what).not.toBe(a.body);
      // And each still gets its own replay.
      expectReplayOf(await send(first(key)), a);
      expectReplayOf(await send(second(key)), b);
    }
    expect(runs()).toBe(pairs.length * 2);
  });

  it('a caller without a verified principal cannot reach one’s records through the Authorization header', async () => {
    const { send, runs } = guardedLambda(stores.store());
    const key = crypto.randomUUID();
    const victim = await send(restEvent(key, { authorizer: { principalId: 'alice' } }));
    expectFreshRun(victim);
    // Whatever a client puts in Authorization: the principal's text, its encoding, with a NUL.
    for (const forged of ['alice', '[["authorizer","alice"]]', '\u0000[["authorizer","alice"]]']) {
      const result = await send(restEvent(key, {}, { authorization: forged }));
      if (result.statusCode === 201) expect(result.body).not.toBe(victim.body);
      else expect(result.statusCode).toBe(400);
      expect(resultHeader(result, 'idempotent-replayed')).toBeUndefined();
    }
    expect(runs()).toBeGreaterThanOrEqual(3);
  });

  it('ALB OIDC with trustAlbOidcHeaders: a user’s retries replay across refreshed tokens, two users never share', async () => {
    const { send, runs } = guardedLambda(stores.store(), { trustAlbOidcHeaders: true });
    const key = crypto.randomUUID();
    const first = await send(albEvent(key, albOidcHeaders('idp-user-1')));
    const retry = await send(albEvent(key, albOidcHeaders('idp-user-1')));
    const other = await send(albEvent(key, albOidcHeaders('idp-user-2')));
    expectReplayOf(retry, first);
    expectFreshRun(other);
    expect(runs()).toBe(2);
  });

  it('ALB OIDC headers are not a principal without trustAlbOidcHeaders, nor without x-amzn-oidc-data', async () => {
    const store = stores.store();
    const trusting = guardedLambda(store, { trustAlbOidcHeaders: true });
    const key = crypto.randomUUID();
    const victim = await trusting.send(albEvent(key, albOidcHeaders('idp-user-1')));
    expectFreshRun(victim);
    // A client behind a rule that does not authenticate sends the victim's identity itself.
    const spoofed = { 'x-amzn-oidc-identity': 'idp-user-1' };
    const untrusting = guardedLambda(store);
    const viaUntrusting = await untrusting.send(albEvent(key, albOidcHeaders('idp-user-1')));
    const withoutData = await trusting.send(albEvent(key, spoofed));
    // Both land in the scope of no Authorization header (`''`), never in the victim's.
    expectFreshRun(viaUntrusting);
    expect(viaUntrusting.body).not.toBe(victim.body);
    expectReplayOf(withoutData, viaUntrusting);
  });

  it('an event with no verified principal falls back to the Authorization header', async () => {
    const { send, runs } = guardedLambda(stores.store());
    const sources: Array<(key: string, authorization: string) => Event> = [
      (key, authorization) => restEvent(key, {}, { authorization }),
      (key, authorization) => v2Event('api-gateway-v2-http.json', key, undefined, { authorization }),
      (key, authorization) => albEvent(key, { authorization, 'x-amzn-oidc-identity': 'ignored' }),
    ];
    for (const event of sources) {
      const key = crypto.randomUUID();
      const first = await send(event(key, 'Bearer token-a'));
      expectReplayOf(await send(event(key, 'Bearer token-a')), first);
      expectFreshRun(await send(event(key, 'Bearer token-b')));
    }
    expect(runs()).toBe(sources.length * 2);
  });
});
