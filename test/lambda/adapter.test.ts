import { describe, expect, it } from 'vitest';
import { MALFORMED_EVENT_PROBLEM_TYPE, toLambdaHandler } from '../../adapters/lambda/index.ts';
import { requestDeadline, verifiedPrincipal } from '../../src/index.ts';
import {
  lambdaContext,
  loadEvent,
  resultBytes,
  resultHeader,
  SOURCES,
  setBody,
  setHeader,
  setMethod,
} from './events.ts';

/** A handler that answers with what it saw of the request. */
const echo = toLambdaHandler(async (request: Request) =>
  Response.json({
    method: request.method,
    url: request.url,
    cookie: request.headers.get('cookie'),
    multi: request.headers.get('x-multi'),
    key: request.headers.get('idempotency-key'),
    body: await request.text(),
  }),
);

const randomBytes = (length: number) => crypto.getRandomValues(new Uint8Array(length));
const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

describe.each(SOURCES)('toLambdaHandler: $name', (source) => {
  it('rebuilds the request: method, https URL from Host, query, headers, cookies, body', async () => {
    const result = await echo(loadEvent(source.fixture), lambdaContext(3000));
    expect(result.statusCode).toBe(200);
    expect(result.isBase64Encoded).toBe(false);
    expect(resultHeader(result, 'content-type')).toBe('application/json');
    const seen = JSON.parse(result.body);
    expect(seen.method).toBe('POST');
    const url = new URL(seen.url);
    expect(url.protocol).toBe('https:');
    expect(url.hostname).toMatch(/amazonaws\.com$|\.on\.aws$/);
    expect(url.pathname).toBe('/orders');
    // A value holding `&`, `=` and a space arrives intact whichever encoding the source used.
    expect(url.searchParams.get('q')).toBe('a b&c=d');
    expect(url.searchParams.getAll('tag')).toEqual(source.multiValue ? ['x', 'y'] : ['y']);
    // v2 hands repeated headers over joined by `,`; v1 and ALB as a list, which Headers joins by `, `.
    expect(seen.multi.split(/,\s*/)).toEqual(source.multiValue ? ['a', 'b'] : ['b']);
    // v2 and Function URLs move cookies to `cookies`; the handler sees one Cookie header anyway.
    expect(seen.cookie).toBe('session=abc123; theme=dark');
    expect(seen.key).toBe('order-7f3e');
    expect(seen.body).toBe('{"amount":100,"currency":"EUR"}');
  });

  it('decodes a base64 binary body and answers a binary response in base64', async () => {
    const sent = randomBytes(4096);
    const event = loadEvent(source.fixture);
    setBody(event, toBase64(sent), true);
    setHeader(event, 'content-type', 'application/octet-stream');
    const handler = toLambdaHandler(async (request: Request) => {
      const received = new Uint8Array(await request.arrayBuffer());
      return new Response(received.toReversed(), { headers: { 'content-type': 'application/octet-stream' } });
    });
    const result = await handler(event, lambdaContext(3000));
    expect(result.isBase64Encoded).toBe(true);
    expect(resultBytes(result)).toEqual(sent.toReversed());
  });

  it('puts every Set-Cookie where the source reads them', async () => {
    const handler = toLambdaHandler(async () => {
      const headers = new Headers({ 'content-type': 'text/plain; charset=utf-8' });
      headers.append('set-cookie', 'a=1; Path=/; HttpOnly');
      headers.append('set-cookie', 'b=2; Path=/; Secure');
      return new Response('ok', { status: 201, headers });
    });
    const result = await handler(loadEvent(source.fixture), lambdaContext(3000));
    expect(result.statusCode).toBe(201);
    expect(result.body).toBe('ok');
    expect(result.isBase64Encoded).toBe(false);
    // ALB in single-value mode can carry one Set-Cookie only: the documented limit.
    expect(source.cookiesOf(result)).toEqual(
      source.multiValue ? ['a=1; Path=/; HttpOnly', 'b=2; Path=/; Secure'] : ['b=2; Path=/; Secure'],
    );
    expect(resultHeader(result, 'content-type')).toBe('text/plain; charset=utf-8');
  });

  it('passes the Lambda context and sets the request deadline from its remaining time', async () => {
    // A constant remaining time, so the deadline is bounded by the clock readings around the call.
    const context = { ...lambdaContext(4000), getRemainingTimeInMillis: () => 4000 };
    let seenContext: unknown;
    let deadline: number | undefined;
    const before = Date.now();
    const handler = toLambdaHandler(async (request: Request, ctx: typeof context) => {
      seenContext = ctx;
      deadline = requestDeadline(request);
      return new Response(null, { status: 204 });
    });
    const result = await handler(loadEvent(source.fixture), context);
    const after = Date.now();
    expect(result.statusCode).toBe(204);
    expect(result.body).toBe('');
    expect(seenContext).toBe(context);
    expect(deadline).toBeGreaterThanOrEqual(before + 4000);
    expect(deadline).toBeLessThanOrEqual(after + 4000);
  });

  it('answers a 400 problem in the source shape for a body that is not base64', async () => {
    const event = loadEvent(source.fixture);
    setBody(event, 'not base64 at all!', true);
    let ran = false;
    const handler = toLambdaHandler(async () => {
      ran = true;
      return new Response('ran');
    });
    const result = await handler(event, lambdaContext(3000));
    expect(ran).toBe(false);
    expect(result.statusCode).toBe(400);
    expect(resultHeader(result, 'content-type')).toBe('application/problem+json');
    const problem = JSON.parse(result.body);
    expect(problem).toMatchObject({ type: MALFORMED_EVENT_PROBLEM_TYPE, status: 400 });
    expect(problem.detail).toMatch(/not valid base64/);
    if ('statusDescription' in result) expect(result.statusDescription).toBe('400 Bad Request');
  });

  it('answers a 400 for a method fetch rejects, or a Host that is not a host', async () => {
    const badMethod = loadEvent(source.fixture);
    setMethod(badMethod, 'PO ST');
    const badHost = loadEvent(source.fixture);
    setHeader(badHost, 'host', 'exa mple.com');
    for (const event of [badMethod, badHost]) {
      const result = await echo(event, lambdaContext(3000));
      expect(result.statusCode).toBe(400);
      expect(JSON.parse(result.body).type).toBe(MALFORMED_EVENT_PROBLEM_TYPE);
    }
  });
});

describe('toLambdaHandler: request details', () => {
  it('drops a body sent with GET and keeps http when X-Forwarded-Proto says so', async () => {
    const event = loadEvent('api-gateway-v2-http.json');
    setMethod(event, 'GET');
    setHeader(event, 'x-forwarded-proto', 'http');
    const seen = JSON.parse((await echo(event, lambdaContext(3000))).body);
    expect(seen.method).toBe('GET');
    expect(seen.body).toBe('');
    expect(new URL(seen.url).protocol).toBe('http:');
  });

  it('falls back to requestContext.domainName without a Host header, and keeps a decoded ? in the path', async () => {
    const event = loadEvent('api-gateway-v1-rest.json');
    setHeader(event, 'host', undefined);
    if (!('httpMethod' in event)) throw new Error('fixture is not v1');
    event.path = '/files/what?.txt';
    const url = new URL(JSON.parse((await echo(event, lambdaContext(3000))).body).url);
    expect(url.host).toBe('a1b2c3d4e5.execute-api.us-east-1.amazonaws.com');
    expect(decodeURIComponent(url.pathname)).toBe('/files/what?.txt');
    expect(url.searchParams.get('q')).toBe('a b&c=d');
  });

  it('sends text bodies as text and everything else, or non-UTF-8 text, as base64', async () => {
    const cases: Array<[string | null, Uint8Array, boolean]> = [
      ['application/json', new TextEncoder().encode('{"é":1}'), false],
      ['application/problem+json', new TextEncoder().encode('{}'), false],
      ['text/html; charset=UTF-8', new TextEncoder().encode('<p>ü</p>'), false],
      ['image/svg+xml', new TextEncoder().encode('<svg/>'), false],
      ['application/x-www-form-urlencoded', new TextEncoder().encode('a=1'), false],
      ['text/plain; charset=iso-8859-1', new Uint8Array([0xfc]), true],
      ['text/plain', new Uint8Array([0xff, 0xfe, 0x00]), true],
      ['image/png', new Uint8Array([0x89, 0x50, 0x4e, 0x47]), true],
      [null, new Uint8Array([1, 2, 3]), true],
    ];
    for (const [contentType, bytes, base64] of cases) {
      const handler = toLambdaHandler(
        async () =>
          new Response(bytes as Uint8Array<ArrayBuffer>, {
            headers: contentType ? { 'content-type': contentType } : {},
          }),
      );
      const result = await handler(loadEvent('api-gateway-v2-http.json'), lambdaContext(3000));
      expect({ contentType, base64: result.isBase64Encoded }).toEqual({ contentType, base64 });
      expect(resultBytes(result)).toEqual(bytes);
    }
    const gzipped = toLambdaHandler(
      async () =>
        new Response('not really gzip', {
          headers: { 'content-type': 'text/plain', 'content-encoding': 'gzip' },
        }),
    );
    expect((await gzipped(loadEvent('api-gateway-v2-http.json'), lambdaContext(3000))).isBase64Encoded).toBe(
      true,
    );
  });

  it('gives ALB a statusDescription', async () => {
    const handler = toLambdaHandler(async () => new Response('gone', { status: 410 }));
    const result = await handler(loadEvent('alb-single-value.json'), lambdaContext(3000));
    expect(result).toMatchObject({ statusCode: 410, statusDescription: '410 Gone' });
    const teapot = toLambdaHandler(async () => new Response('x', { status: 418 }));
    expect(await teapot(loadEvent('alb-multi-value.json'), lambdaContext(3000))).toMatchObject({
      statusDescription: '418',
    });
  });

  it('propagates errors the handler throws, so Lambda records a function error', async () => {
    const handler = toLambdaHandler(async () => {
      throw new Error('boom');
    });
    await expect(handler(loadEvent('api-gateway-v2-http.json'), lambdaContext(3000))).rejects.toThrow('boom');
  });
});

describe('toLambdaHandler: events of no known source', () => {
  const unknownEvents: Array<[string, unknown]> = [
    ['null', null],
    ['a string', 'hello'],
    ['an empty object', {}],
    ['an S3 notification', { Records: [{ eventSource: 'aws:s3', s3: { bucket: { name: 'b' } } }] }],
    ['an EventBridge event', { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} }],
  ];
  it.each(unknownEvents)('answers 400 for %s, never throws', async (_name, event) => {
    let ran = false;
    const handler = toLambdaHandler(async () => {
      ran = true;
      return new Response('ran');
    });
    const result = await handler(event as never, lambdaContext(3000));
    expect(ran).toBe(false);
    expect(result).toMatchObject({
      statusCode: 400,
      isBase64Encoded: false,
      headers: { 'content-type': 'application/problem+json' },
    });
    expect(JSON.parse(result.body)).toMatchObject({ type: MALFORMED_EVENT_PROBLEM_TYPE, status: 400 });
  });

  it('answers 400 for a v2 event without requestContext.http, and a v1 event without a path', async () => {
    const noHttp = loadEvent('api-gateway-v2-http.json') as Record<string, unknown>;
    noHttp.requestContext = {};
    const noPath = loadEvent('api-gateway-v1-rest.json') as Record<string, unknown>;
    delete noPath.path;
    for (const event of [noHttp, noPath]) {
      const result = await echo(event as never, lambdaContext(3000));
      expect(result.statusCode).toBe(400);
      expect(JSON.parse(result.body).detail).toMatch(/^Malformed /);
    }
  });
});

describe('toLambdaHandler: the verified principal of each source (docs/lambda.md)', () => {
  const ARN = 'arn:aws:iam::123456789012:user/alice';
  const POOL = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI';
  const context = (event: Record<string, unknown>) => event.requestContext as Record<string, unknown>;
  const identity = (event: Record<string, unknown>) => context(event).identity as Record<string, unknown>;
  const cases: Array<
    [string, string, (event: Record<string, unknown>) => void, { trustAlbOidcHeaders?: boolean }, unknown]
  > = [
    ['REST, no authorization', 'api-gateway-v1-rest.json', () => {}, {}, undefined],
    [
      'REST, IAM',
      'api-gateway-v1-rest.json',
      (e) => Object.assign(identity(e), { userArn: ARN }),
      {},
      [['iam', ARN]],
    ],
    [
      'REST, IAM with Cognito identity pool credentials',
      'api-gateway-v1-rest.json',
      (e) =>
        Object.assign(identity(e), {
          userArn: 'arn:aws:sts::123456789012:assumed-role/Cognito_Auth_Role/CognitoIdentityCredentials',
          cognitoIdentityId: 'us-east-1:1111',
          cognitoIdentityPoolId: 'us-east-1:pool',
        }),
      {},
      [
        ['cognito-identity', 'us-east-1:pool', 'us-east-1:1111'],
        ['iam', 'arn:aws:sts::123456789012:assumed-role/Cognito_Auth_Role/CognitoIdentityCredentials'],
      ],
    ],
    [
      'REST, Cognito user pool authorizer',
      'api-gateway-v1-rest.json',
      (e) => {
        context(e).authorizer = { claims: { iss: POOL, sub: 'u-1', email: 'a@example.com' } };
      },
      {},
      [['jwt', POOL, 'u-1']],
    ],
    [
      'REST, Lambda authorizer',
      'api-gateway-v1-rest.json',
      (e) => {
        context(e).authorizer = { principalId: 'user-42', integrationLatency: 12 };
      },
      {},
      [['authorizer', 'user-42']],
    ],
    [
      'HTTP API 1.0, JWT authorizer without iss',
      'http-api-payload-1.0.json',
      (e) => {
        context(e).authorizer = { claims: { sub: 'u-1' }, scopes: null };
      },
      {},
      [['jwt', null, 'u-1']],
    ],
    ['HTTP API, no authorization', 'api-gateway-v2-http.json', () => {}, {}, undefined],
    [
      'HTTP API, IAM',
      'api-gateway-v2-http.json',
      (e) => {
        context(e).authorizer = { iam: { userArn: ARN, accessKey: 'ASIA1', cognitoIdentity: null } };
      },
      {},
      [['iam', ARN]],
    ],
    [
      'HTTP API, IAM with Cognito identity pool credentials',
      'api-gateway-v2-http.json',
      (e) => {
        context(e).authorizer = {
          iam: {
            userArn: 'arn:aws:sts::123456789012:assumed-role/Cognito_Auth_Role/CognitoIdentityCredentials',
            cognitoIdentity: {
              amr: ['authenticated'],
              identityId: 'us-east-1:2222',
              identityPoolId: 'us-east-1:pool',
            },
          },
        };
      },
      {},
      [
        ['cognito-identity', 'us-east-1:pool', 'us-east-1:2222'],
        ['iam', 'arn:aws:sts::123456789012:assumed-role/Cognito_Auth_Role/CognitoIdentityCredentials'],
      ],
    ],
    [
      'HTTP API, JWT authorizer',
      'api-gateway-v2-http.json',
      (e) => {
        context(e).authorizer = {
          principalId: '',
          jwt: { claims: { iss: POOL, sub: 'u-1', iat: 1 }, scopes: null },
        };
      },
      {},
      [['jwt', POOL, 'u-1']],
    ],
    [
      'HTTP API, Lambda authorizer naming a principalId',
      'api-gateway-v2-http.json',
      (e) => {
        context(e).authorizer = { lambda: { principalId: 'user-42', tenant: 'acme' } };
      },
      {},
      [['authorizer', 'user-42']],
    ],
    [
      'HTTP API, Lambda authorizer naming none',
      'api-gateway-v2-http.json',
      (e) => {
        context(e).authorizer = { lambda: { sub: 'user-42', tenant: 'acme' } };
      },
      {},
      undefined,
    ],
    [
      'Function URL, AWS_IAM',
      'function-url.json',
      (e) => {
        context(e).authorizer = { iam: { userArn: ARN } };
      },
      {},
      [['iam', ARN]],
    ],
    [
      'ALB OIDC, trusted',
      'alb-multi-value.json',
      (e) => {
        setHeader(e as never, 'x-amzn-oidc-identity', 'idp-user');
        setHeader(e as never, 'x-amzn-oidc-data', 'eyJ.x.y');
      },
      { trustAlbOidcHeaders: true },
      [['alb-oidc', 'idp-user']],
    ],
    [
      'ALB OIDC, not trusted',
      'alb-single-value.json',
      (e) => {
        setHeader(e as never, 'x-amzn-oidc-identity', 'idp-user');
        setHeader(e as never, 'x-amzn-oidc-data', 'eyJ.x.y');
      },
      {},
      undefined,
    ],
    [
      'ALB OIDC, trusted, without x-amzn-oidc-data',
      'alb-single-value.json',
      (e) => setHeader(e as never, 'x-amzn-oidc-identity', 'idp-user'),
      { trustAlbOidcHeaders: true },
      undefined,
    ],
  ];

  it.each(cases)('%s', async (_name, fixture, prepare, options, expected) => {
    let seen: string | undefined = 'not called';
    const handler = toLambdaHandler(async (request: Request) => {
      seen = verifiedPrincipal(request);
      return new Response('ok');
    }, options);
    const event = loadEvent(fixture);
    prepare(event);
    expect((await handler(event, lambdaContext(5000))).statusCode).toBe(200);
    expect(seen === undefined ? undefined : JSON.parse(seen)).toEqual(expected);
  });
});
