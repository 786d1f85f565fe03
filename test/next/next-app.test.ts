import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstashBackend, type UpstashBackend } from '../upstash/backend.ts';
import { buildExampleIfChanged, exampleDir } from './example-build.ts';
import { type NextServer, startNextServer } from './next-server.ts';

// A real `next build` and `next start` of examples/nextjs, with real HTTP on both runtimes.
let server: NextServer | undefined;

beforeAll(async () => {
  const build = await buildExampleIfChanged();
  console.log(
    build.built
      ? `examples/nextjs: npm run build + next build took ${(build.buildMs / 1000).toFixed(1)} s`
      : 'examples/nextjs: sources unchanged, reusing the previous .next build',
  );
  server = await startNextServer();
}, 300_000);

afterAll(async () => {
  await server?.stop();
});

const routes = [
  { runtime: 'nodejs', path: '/api/orders' },
  { runtime: 'edge', path: '/api/edge-orders' },
];
const order = JSON.stringify({ item: 'book', quantity: 2 });

function post(
  target: NextServer | undefined,
  path: string,
  key: string | null,
  body: string,
): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== null) headers['idempotency-key'] = key;
  if (!target) throw new Error('next start did not come up');
  return fetch(`${target.url}${path}`, { method: 'POST', headers, body });
}

async function expectProblem(response: Response, status: number): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(await response.json()).toMatchObject({ status });
}

describe.each(routes)('examples/nextjs $path (runtime $runtime), MemoryStore', ({ runtime, path }) => {
  it('runs a new request and replays it byte for byte with Idempotent-Replayed', async () => {
    const key = randomUUID();
    const first = await post(server, path, key, order);
    const firstBody = new Uint8Array(await first.arrayBuffer());
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    // The handler ran in the route's runtime and got a NextRequest (it reads nextUrl).
    expect(JSON.parse(new TextDecoder().decode(firstBody))).toMatchObject({
      order: { item: 'book', quantity: 2 },
      path,
      runtime,
    });

    const replay = await post(server, path, key, order);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.headers.get('location')).toBe(first.headers.get('location'));
    expect(replay.headers.get('content-type')).toBe(first.headers.get('content-type'));
    expect(new Uint8Array(await replay.arrayBuffer())).toEqual(firstBody);
  });

  it('answers 422 when the key comes back with another body', async () => {
    const key = randomUUID();
    expect((await post(server, path, key, order)).status).toBe(201);
    await expectProblem(await post(server, path, key, JSON.stringify({ item: 'pen', quantity: 2 })), 422);
  });

  it('answers 409 with Retry-After to a duplicate while the first request runs', async () => {
    const key = randomUUID();
    // Both run the slow handler path; whichever takes the key first holds it for 1.5 s.
    const slowPath = `${path}?delay=1500`;
    const [a, b] = await Promise.all([
      post(server, slowPath, key, order),
      post(server, slowPath, key, order),
    ]);
    const [winner, loser] = a.status === 201 ? [a, b] : [b, a];
    expect(winner.status).toBe(201);
    expect(loser.headers.get('retry-after')).toMatch(/^\d+$/);
    await expectProblem(loser, 409);

    const replay = await post(server, slowPath, key, order);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.text()).toBe(await winner.text());
  });

  it('answers 400 to a malformed key', async () => {
    await expectProblem(await post(server, path, '"unterminated', order), 400);
    await expectProblem(await post(server, path, 'k'.repeat(256), order), 400);
  });

  it('passes requests without a key straight to the handler', async () => {
    const [a, b] = await Promise.all([post(server, path, null, order), post(server, path, null, order)]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect((await a.json()).id).not.toBe((await b.json()).id);
  });
});

// Two `next start` processes stand for two serverless instances of one deployment.
describe('examples/nextjs on two instances', () => {
  let upstash: UpstashBackend | undefined;
  const upstashInstances: NextServer[] = [];
  let secondMemoryInstance: NextServer | undefined;

  beforeAll(async () => {
    upstash = await startUpstashBackend();
    const credentials = {
      UPSTASH_REDIS_REST_URL: upstash.rest.url,
      UPSTASH_REDIS_REST_TOKEN: upstash.rest.token,
      UPSTASH_DISABLE_TELEMETRY: '1',
    };
    upstashInstances.push(await startNextServer(credentials), await startNextServer(credentials));
    secondMemoryInstance = await startNextServer();
  }, 120_000);

  afterAll(async () => {
    await Promise.all([...upstashInstances, secondMemoryInstance].map((instance) => instance?.stop()));
    await upstash?.stop();
  });

  describe.each(routes)('$path (runtime $runtime)', ({ runtime, path }) => {
    it('with Upstash, a retry that lands on another instance gets the replay', async () => {
      const [first, second] = upstashInstances;
      const key = randomUUID();
      const created = await post(first, path, key, order);
      const createdBody = await created.text();
      expect(created.status).toBe(201);
      expect(JSON.parse(createdBody)).toMatchObject({ runtime, path });

      const replay = await post(second, path, key, order);
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(await replay.text()).toBe(createdBody);
    });

    it('with Upstash, a duplicate on another instance gets 409 while the first runs', async () => {
      const [first, second] = upstashInstances;
      const key = randomUUID();
      const slowPath = `${path}?delay=1500`;
      const responses = await Promise.all([
        post(first, slowPath, key, order),
        post(second, slowPath, key, order),
      ]);
      expect(responses.map((response) => response.status).sort()).toEqual([201, 409]);
    });

    it('with MemoryStore, another instance does not know the key and runs the handler again', async () => {
      const key = randomUUID();
      const created = await post(server, path, key, order);
      const again = await post(secondMemoryInstance, path, key, order);
      expect([created.status, again.status]).toEqual([201, 201]);
      expect(again.headers.get('idempotent-replayed')).toBeNull();
      expect((await again.json()).id).not.toBe((await created.json()).id);
    });
  });
});

describe('examples/nextjs build output', () => {
  const serverDir = join(exampleDir, '.next', 'server');

  /** The library modules bundled into some chunks, from their source maps. */
  function bundledSources(files: string[]): string[] {
    return files
      .filter((file) => existsSync(`${file}.map`))
      .flatMap((file) => {
        const map = JSON.parse(readFileSync(`${file}.map`, 'utf8'));
        const maps: Array<{ sources?: string[] }> = map.sections?.map((s: { map: object }) => s.map) ?? [map];
        return maps.flatMap((section) => section.sources ?? []);
      })
      .filter((source) => source.includes('dist/src/'));
  }

  it('bundles Web Crypto hashing and no Node built-in into the Edge route', () => {
    const manifest = JSON.parse(readFileSync(join(serverDir, 'middleware-manifest.json'), 'utf8'));
    const files: string[] = manifest.functions['/api/edge-orders/route'].files
      .filter((file: string) => file.endsWith('.js'))
      .map((file: string) => join(exampleDir, '.next', file));
    const sources = bundledSources(files);
    expect(sources.some((source) => source.endsWith('dist/src/sha256.js'))).toBe(true);
    expect(sources.filter((source) => source.endsWith('sha256.node.js'))).toEqual([]);
    for (const file of files) {
      const code = readFileSync(file, 'utf8');
      expect(code, file).not.toContain('node:crypto');
      expect(code, file).not.toContain('createHash');
    }
  });

  it('bundles node:crypto hashing into the Node route', () => {
    const chunksDir = join(serverDir, 'chunks');
    const files = readdirJs(chunksDir);
    expect(bundledSources(files).some((source) => source.endsWith('dist/src/sha256.node.js'))).toBe(true);
  });
});

function readdirJs(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.js'))
    .map((name) => join(dir, name));
}
