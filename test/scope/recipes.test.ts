/**
 * The `scope` recipes of docs/scope.md, run as written there: `jose` verifies a token against
 * keys served over HTTP on loopback (`createRemoteJWKSet`, as against a real issuer), the
 * verified identity is passed to the guarded handler, and `scope` reads it. A rotating token
 * replays; a token not signed by the issuer, an `alg: none` token and a bare email header never
 * reach the handler or anyone's record.
 */
import { createServer, type Server } from 'node:http';
import {
  createRemoteJWKSet,
  exportJWK,
  generateKeyPair,
  type JWTPayload,
  jwtVerify,
  SignJWT,
  UnsecuredJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore, withIdempotency } from '../../src/index.ts';

type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

let server: Server;
let issuer = '';
let signingKey: Key;
let strangerKey: Key;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  strangerKey = (await generateKeyPair('RS256')).privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  server = createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  issuer = `http://127.0.0.1:${address.port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function token(claims: JWTPayload, key: Key = signingKey, audience = 'https://api.example.com') {
  return new SignJWT({ ...claims, jti: crypto.randomUUID() })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt(Math.floor(Date.now() / 1000) - Math.floor(Math.random() * 600))
    .setExpirationTime('10m')
    .sign(key);
}

/** A POST with a key and whatever headers a test gives. */
function order(key: string, headers: Record<string, string>): Request {
  return new Request('https://api.example.com/orders', {
    method: 'POST',
    headers: { 'idempotency-key': key, 'content-type': 'application/json', ...headers },
    body: '{"amount":100}',
  });
}

describe('docs/scope.md: a bearer JWT your API verifies', () => {
  // As in the recipe, with this test's issuer.
  function recipe() {
    const keys = createRemoteJWKSet(new URL(`${issuer}.well-known/jwks.json`));
    async function verifiedSubject(request: Request): Promise<string | null> {
      const token = /^Bearer (\S+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
      if (!token) return null;
      try {
        const { payload } = await jwtVerify(token, keys, {
          issuer,
          audience: 'https://api.example.com',
          algorithms: ['RS256'],
        });
        return typeof payload.sub === 'string' && payload.sub !== ''
          ? JSON.stringify([payload.iss, payload.sub])
          : null;
      } catch {
        return null;
      }
    }
    let runs = 0;
    const createOrder = withIdempotency(
      async (_request: Request, subject: string) => {
        runs++;
        return Response.json({ run: crypto.randomUUID(), subject }, { status: 201 });
      },
      { store: new MemoryStore(), scope: (_request, subject) => `jwt:${subject}` },
    );
    // The recipe's `export async function POST`.
    async function post(request: Request) {
      const subject = await verifiedSubject(request);
      if (!subject) return new Response(null, { status: 401 });
      return createOrder(request, subject);
    }
    return { post, runs: () => runs };
  }

  it('a refreshed token of the same user replays; another user with the same key runs', async () => {
    const { post, runs } = recipe();
    const key = crypto.randomUUID();
    const first = await post(order(key, { authorization: `Bearer ${await token({ sub: 'alice' })}` }));
    const retry = await post(order(key, { authorization: `Bearer ${await token({ sub: 'alice' })}` }));
    const bob = await post(order(key, { authorization: `Bearer ${await token({ sub: 'bob' })}` }));
    expect(first.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.text()).toBe(await first.text());
    expect(bob.status).toBe(201);
    expect(bob.headers.get('idempotent-replayed')).toBeNull();
    expect(runs()).toBe(2);
  });

  it('a token signed by another key, an unsigned one or one for another audience claiming the same sub is a 401', async () => {
    const { post, runs } = recipe();
    const key = crypto.randomUUID();
    expect(
      (await post(order(key, { authorization: `Bearer ${await token({ sub: 'alice' })}` }))).status,
    ).toBe(201);
    const forgeries = [
      await token({ sub: 'alice' }, strangerKey),
      await token({ sub: 'alice' }, signingKey, 'https://other.example.com'),
      new UnsecuredJWT({ sub: 'alice' }).setIssuer(issuer).setAudience('https://api.example.com').encode(),
    ];
    for (const forged of forgeries) {
      expect((await post(order(key, { authorization: `Bearer ${forged}` }))).status).toBe(401);
    }
    expect(runs()).toBe(1);
  });
});

describe('docs/scope.md: Cloudflare Access', () => {
  const AUD = 'access-application-aud-tag';
  function recipe() {
    const keys = createRemoteJWKSet(new URL(`${issuer}cdn-cgi/access/certs`));
    async function accessIdentity(request: Request): Promise<string | null> {
      const token = request.headers.get('cf-access-jwt-assertion');
      if (!token) return null;
      try {
        const { payload } = await jwtVerify(token, keys, { issuer, audience: AUD });
        if (typeof payload.sub === 'string' && payload.sub !== '') return `access-user:${payload.sub}`;
        if (typeof payload.common_name === 'string') return `access-service:${payload.common_name}`;
        return null;
      } catch {
        return null;
      }
    }
    let runs = 0;
    const orders = withIdempotency(
      async (_request: Request, _env: unknown, _ctx: unknown, _identity: string) => {
        runs++;
        return Response.json({ run: crypto.randomUUID() }, { status: 201 });
      },
      { store: new MemoryStore(), scope: (_request, _env, _ctx, identity) => identity },
    );
    async function fetch(request: Request) {
      const identity = await accessIdentity(request);
      if (!identity) return new Response('Forbidden', { status: 403 });
      return orders(request, {}, {}, identity);
    }
    return { fetch, runs: () => runs };
  }

  it('a renewed Access token replays; the email header alone is refused; a user and a service token never meet', async () => {
    const { fetch, runs } = recipe();
    const key = crypto.randomUUID();
    const assertion = async (claims: JWTPayload) => ({
      'cf-access-jwt-assertion': await token(claims, signingKey, AUD),
    });
    const first = await fetch(order(key, await assertion({ sub: 'u-1', email: 'a@example.com' })));
    const renewed = await fetch(order(key, await assertion({ sub: 'u-1', email: 'a@example.com' })));
    expect(first.status).toBe(201);
    expect(renewed.headers.get('idempotent-replayed')).toBe('true');
    const emailOnly = await fetch(order(key, { 'cf-access-authenticated-user-email': 'a@example.com' }));
    expect(emailOnly.status).toBe(403);
    const service = await fetch(order(key, await assertion({ sub: '', common_name: 'u-1' })));
    expect(service.status).toBe(201);
    expect(service.headers.get('idempotent-replayed')).toBeNull();
    expect(runs()).toBe(2);
  });
});
