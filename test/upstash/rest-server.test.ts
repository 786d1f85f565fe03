import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstashBackend, type UpstashBackend } from './backend.ts';
import { startRedisServer } from './redis-server.ts';

// The test server must behave like Upstash where the client depends on it, or the store tests
// prove nothing. These requests are written by hand, as the documented protocol shows them.
let backend: UpstashBackend;
beforeAll(async () => {
  backend = await startUpstashBackend();
});
afterAll(async () => {
  await backend?.stop();
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(backend.rest.url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${backend.rest.token}`, ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

describe('the Upstash-compatible REST server', () => {
  it('refuses a request over its max request size whole, with Upstash error text, forwarding nothing', async () => {
    expect(backend.rest.maxRequestBytes).toBe(10_000_000);
    const key = crypto.randomUUID();
    backend.rest.maxRequestBytes = 1000;
    try {
      const forwarded = backend.rest.commands.length;
      for (const path of ['/', '/pipeline']) {
        const command = ['SET', key, 'x'.repeat(1000)];
        expect(await post(path, path === '/' ? command : [command])).toEqual({
          status: 400,
          body: { error: 'ERR max request size exceeded' },
        });
      }
      expect(backend.rest.commands.length).toBe(forwarded);
      expect(await post('/', ['SET', key, 'x'.repeat(900)])).toEqual({ status: 200, body: { result: 'OK' } });
    } finally {
      backend.rest.maxRequestBytes = 10_000_000;
    }
  });

  it('runs a command from a JSON array and answers { result }', async () => {
    const key = crypto.randomUUID();
    expect(await post('/', ['SET', key, 'caf\u00e9', 'PX', 60_000])).toEqual({
      status: 200,
      body: { result: 'OK' },
    });
    expect(await post('/', ['GET', key])).toEqual({ status: 200, body: { result: 'caf\u00e9' } });
    expect(await post('/', ['GET', `${key}:missing`])).toEqual({ status: 200, body: { result: null } });
    expect(await post('/', ['DEL', key, `${key}:missing`])).toEqual({ status: 200, body: { result: 1 } });
  });

  it('base64-encodes string results, nested ones too, but not OK, on Upstash-Encoding: base64', async () => {
    const key = crypto.randomUUID();
    const base64 = { 'upstash-encoding': 'base64' };
    expect((await post('/', ['SET', key, 'v'], base64)).body).toEqual({ result: 'OK' });
    expect((await post('/', ['GET', key], base64)).body).toEqual({
      result: Buffer.from('v').toString('base64'),
    });
    expect((await post('/', ['MGET', key, `${key}:missing`], base64)).body).toEqual({
      result: ['dg==', null],
    });
    expect((await post('/', ['EVAL', "return {1, 'ab', {'c'}}", 0], base64)).body).toEqual({
      result: [1, 'YWI=', ['Yw==']],
    });
  });

  it('answers a Redis error as 400 { error }, NOSCRIPT included', async () => {
    const { status, body } = await post('/', ['EVALSHA', 'f'.repeat(40), 0]);
    expect(status).toBe(400);
    expect((body as { error: string }).error).toMatch(/^NOSCRIPT/);
    expect((await post('/', ['NOSUCHCOMMAND'])).status).toBe(400);
  });

  it('refuses a wrong token with 401 { error }', async () => {
    const response = await fetch(`${backend.rest.url}/`, {
      method: 'POST',
      headers: { authorization: 'Bearer wrong' },
      body: JSON.stringify(['PING']),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'Unauthorized' });
  });

  it('runs /pipeline with one { result } or { error } per command', async () => {
    const key = crypto.randomUUID();
    const { status, body } = await post('/pipeline', [
      ['SET', key, 'x'],
      ['INCR', key],
      ['GET', key],
    ]);
    expect(status).toBe(200);
    expect(body).toEqual([
      { result: 'OK' },
      { error: expect.stringMatching(/not an integer/) },
      { result: 'x' },
    ]);
  });

  it('runs /multi-exec as one transaction', async () => {
    const key = crypto.randomUUID();
    const { status, body } = await post('/multi-exec', [
      ['SET', key, '1'],
      ['INCR', key],
      ['GET', key],
    ]);
    expect(status).toBe(200);
    expect(body).toEqual([{ result: 'OK' }, { result: 2 }, { result: '2' }]);
  });

  it('counts every request, refused ones included', async () => {
    const before = backend.rest.requests;
    await post('/', ['PING']);
    await post('/nowhere', ['PING']);
    expect(backend.rest.requests - before).toBe(2);
  });
});

describe('the redis-server launcher', () => {
  it('fails with the install command when redis-server is missing', async () => {
    const error = await startRedisServer({ binary: 'redis-server-that-is-not-installed' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(/apt-get install -y redis-server/);
  });
});
