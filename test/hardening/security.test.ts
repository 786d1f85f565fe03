/**
 * The claims of SECURITY.md that hold whatever the store: scope isolation, no secrets in what
 * a store receives, collision-free key hashing, validation of what a store answers, bounded
 * memory and bodies. Backend byte scans and corrupted backend records are in upstash.test.ts,
 * dynamodb.test.ts and test/workers/hardening-security.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lengthPrefixed, storageKey } from '../../src/hashing.ts';
import {
  type IdempotencyRecord,
  type IdempotencyStore,
  MemoryStore,
  PROBLEM_TYPES,
  withIdempotency,
} from '../../src/index.ts';
import { propertyParameters } from './runs.ts';
import { newSecrets, secretsFound, sendSecrets } from './secrets.ts';

const utf8 = new TextEncoder();

/** A MemoryStore that keeps, as bytes, everything the wrapper hands it. */
class RecordingStore extends MemoryStore {
  readonly received: Uint8Array[] = [];
  calls = 0;
  #keep(...parts: Array<string | Uint8Array | null>) {
    this.calls++;
    for (const part of parts)
      if (part !== null) this.received.push(typeof part === 'string' ? utf8.encode(part) : part);
  }
  override begin(input: Parameters<MemoryStore['begin']>[0]) {
    this.#keep(input.key, input.fingerprint, input.token);
    return super.begin(input);
  }
  override complete(input: Parameters<MemoryStore['complete']>[0]) {
    const { response } = input;
    this.#keep(input.key, input.token, String(response.status), ...response.headers.flat(), response.body);
    return super.complete(input);
  }
  override release(key: string, token: string) {
    this.#keep(key, token);
    return super.release(key, token);
  }
}

const post = (headers: Record<string, string>, body = 'pay 10') =>
  new Request('https://api.example/pay', { method: 'POST', headers, body });

describe('scope isolation', () => {
  it('never gives one principal the response stored for another, for any keys and credentials', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(
          fc.string({ minLength: 1, maxLength: 30 }).map((s) => `Bearer ${s}`),
          {
            minLength: 2,
            maxLength: 4,
          },
        ),
        fc.string({ minLength: 1, maxLength: 20 }).filter((s) => /^[!#-+\--~]+$/.test(s)),
        async (principals, key) => {
          fc.pre(
            principals.every((p) => !/[\0\r\n]/.test(p)) &&
              new Set(principals.map((p) => p.trim())).size === principals.length,
          );
          const store = new MemoryStore({ sweepIntervalMs: 0 });
          const serve = withIdempotency(
            async (request: Request) => new Response(`for ${request.headers.get('authorization')}`),
            { store },
          );
          for (let round = 0; round < 2; round++) {
            for (const principal of principals) {
              const response = await serve(post({ authorization: principal, 'idempotency-key': key }));
              expect(response.status).toBe(200);
              expect(await response.text()).toBe(`for ${new Headers({ a: principal }).get('a')}`);
              expect(response.headers.get('idempotent-replayed')).toBe(round === 1 ? 'true' : null);
            }
          }
        },
      ),
      propertyParameters(50),
    );
  });

  it('keeps an empty custom scope apart from every other scope, even when scope + key read the same', async () => {
    const store = new MemoryStore();
    let runs = 0;
    const serve = withIdempotency(async () => new Response(`run ${++runs}`), {
      store,
      scope: (request) => request.headers.get('x-tenant') ?? '',
    });
    // '' + 'abc', 'a' + 'bc' and 'ab' + 'c' are all "abc" if the parts were concatenated.
    for (const [tenant, key] of [
      ['', 'abc'],
      ['a', 'bc'],
      ['ab', 'c'],
    ] as const) {
      const headers: Record<string, string> = { 'idempotency-key': key };
      if (tenant) headers['x-tenant'] = tenant;
      expect(await (await serve(post(headers))).text()).toBe(`run ${runs}`);
    }
    expect(runs).toBe(3);
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('no tenant');
      },
    ],
    [
      'rejects',
      async () => {
        throw new Error('no tenant');
      },
    ],
    ['returns null (untyped JavaScript)', () => null as unknown as string],
    ['returns undefined (untyped JavaScript)', () => undefined as unknown as string],
    ['returns a number (untyped JavaScript)', () => 42 as unknown as string],
    ['returns an object (untyped JavaScript)', () => ({}) as unknown as string],
  ])(
    'rejects the request, never falls back to an unscoped key, when the custom scope %s',
    async (_, scope) => {
      const store = new RecordingStore();
      let runs = 0;
      const handler = async () => new Response(`run ${++runs}`);
      // Another principal's record under the same key, in the shared default scope.
      const unscoped = withIdempotency(handler, { store, scope: () => '' });
      expect((await unscoped(post({ 'idempotency-key': 'k' }))).status).toBe(200);
      const callsBefore = store.calls;

      const serve = withIdempotency(handler, { store, scope });
      await expect(serve(post({ 'idempotency-key': 'k' }))).rejects.toThrow();
      expect(runs).toBe(1);
      expect(store.calls).toBe(callsBefore);
    },
  );
});

describe('what a store receives', () => {
  it('never holds the raw key, the request body, Authorization, Cookie or Set-Cookie', async () => {
    const store = new RecordingStore();
    const secrets = newSecrets();
    await sendSecrets(store, secrets, {
      inspect: async () => expect(await secretsFound(store.received, secrets)).toEqual([]),
    });
    expect(store.received.length).toBeGreaterThan(0);
    expect(await secretsFound(store.received, secrets)).toEqual([]);
  });

  it('holds Set-Cookie only when storeSetCookie is on (the scan finds what is there)', async () => {
    const store = new RecordingStore();
    const secrets = newSecrets();
    await sendSecrets(store, secrets, { storeSetCookie: true, inspect: async () => {} });
    expect(await secretsFound(store.received, secrets)).toEqual(['setCookie']);
  });

  it('keeps storage keys a fixed-size hash, whatever the size of the key and the credentials', async () => {
    const store = new RecordingStore();
    const serve = withIdempotency(async () => new Response('ok'), { store, prefix: 'p:' });
    await serve(
      post({ authorization: `Bearer ${'x'.repeat(64 * 1024)}`, 'idempotency-key': 'k'.repeat(255) }),
    );
    const keys = new Set(
      store.received.map((bytes) => new TextDecoder().decode(bytes)).filter((s) => s.startsWith('p:')),
    );
    expect([...keys]).toHaveLength(1);
    expect([...keys][0]).toMatch(/^p:[0-9a-f]{64}$/);
  });
});

describe('key hashing', () => {
  // The bytes sha256 sees: string chunks are hashed as UTF-8.
  const concat = (parts: Array<string | Uint8Array>) => {
    const chunks = parts.map((part) => (typeof part === 'string' ? utf8.encode(part) : part));
    const out = new Uint8Array(chunks.reduce((n, chunk) => n + chunk.byteLength, 0));
    let at = 0;
    for (const chunk of chunks) {
      out.set(chunk, at);
      at += chunk.byteLength;
    }
    return out.join(',');
  };

  it('encodes different lists of parts to different bytes (no concatenation collisions)', () => {
    const part = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.uint8Array({ maxLength: 12 }));
    fc.assert(
      fc.property(fc.array(part, { maxLength: 4 }), fc.array(part, { maxLength: 4 }), (a, b) => {
        // A part is its bytes (a string its UTF-8): the same bytes are the same part.
        const bytes = (part: string | Uint8Array) =>
          (typeof part === 'string' ? utf8.encode(part) : part).join(',');
        const same =
          a.length === b.length && a.every((x, k) => bytes(x) === bytes(b[k] as string | Uint8Array));
        fc.pre(!same);
        expect(concat(lengthPrefixed(a))).not.toBe(concat(lengthPrefixed(b)));
      }),
      propertyParameters(2000),
    );
  });

  it('derives different storage keys when scope and key split the same text differently', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 40 }), fc.nat(), fc.nat(), async (text, i, j) => {
        const a = i % (text.length + 1);
        const b = j % (text.length + 1);
        fc.pre(a !== b);
        expect(await storageKey('', text.slice(0, a), text.slice(a))).not.toBe(
          await storageKey('', text.slice(0, b), text.slice(b)),
        );
      }),
      propertyParameters(300),
    );
  });
});

describe('records a store answers are validated', () => {
  const garbage: Array<[string, unknown]> = [
    ['null record', null],
    ['a string', 'garbage'],
    ['an unknown state', { state: 'done', fingerprint: 'a'.repeat(64), expiresAt: Date.now() + 1000 }],
    ['a non-hex fingerprint', { state: 'in_progress', fingerprint: 'zz', expiresAt: Date.now() + 1000 }],
    ['a NaN expiry', { state: 'in_progress', fingerprint: 'a'.repeat(64), expiresAt: Number.NaN }],
    [
      'a completed record without response',
      { state: 'completed', fingerprint: 'a'.repeat(64), expiresAt: 1 },
    ],
    [
      'a status out of range',
      {
        state: 'completed',
        fingerprint: 'a'.repeat(64),
        expiresAt: 1,
        response: { status: 99, headers: [], body: null },
      },
    ],
    [
      'headers that are not pairs',
      {
        state: 'completed',
        fingerprint: 'a'.repeat(64),
        expiresAt: 1,
        response: { status: 200, headers: ['x'], body: null },
      },
    ],
    [
      'a body that is not bytes',
      {
        state: 'completed',
        fingerprint: 'a'.repeat(64),
        expiresAt: 1,
        response: { status: 200, headers: [], body: 'text' },
      },
    ],
  ];

  it.each(garbage)(
    'answers 503 without running the handler for a store that returns %s',
    async (_, record) => {
      const store: IdempotencyStore = Object.assign(new MemoryStore(), {
        begin: async () => ({ acquired: false as const, record: record as IdempotencyRecord }),
      });
      let runs = 0;
      const serve = withIdempotency(async () => new Response(`run ${++runs}`), { store });
      const response = await serve(post({ 'idempotency-key': 'k' }));
      expect(response.status).toBe(503);
      expect((await response.json()).type).toBe(PROBLEM_TYPES.storeUnavailable);
      expect(runs).toBe(0);
    },
  );
});

describe('bounds', () => {
  it('keeps MemoryStore at maxEntries under a flood of distinct keys', async () => {
    const store = new MemoryStore({ maxEntries: 500, sweepIntervalMs: 0 });
    const serve = withIdempotency(async () => new Response('ok'), { store });
    for (let i = 0; i < 5_000; i++) {
      const response = await serve(post({ 'idempotency-key': `flood-${i}` }));
      expect(response.status).toBe(200);
      expect(store.size).toBeLessThanOrEqual(500);
    }
    expect(store.size).toBe(500);
  });

  it('answers 413 to an endless body stream without running the handler, and stops reading it', async () => {
    let pulled = 0;
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(16 * 1024));
      },
      cancel() {
        cancelled = true;
      },
    });
    let runs = 0;
    const serve = withIdempotency(async () => new Response(`run ${++runs}`), {
      store: new MemoryStore(),
      maxBodyBytes: 64 * 1024,
    });
    const request = new Request('https://api.example/pay', {
      method: 'POST',
      headers: { 'idempotency-key': 'k' },
      body: endless,
      duplex: 'half',
    } as RequestInit);
    const response = await serve(request);
    expect(response.status).toBe(413);
    expect((await response.json()).type).toBe(PROBLEM_TYPES.bodyTooLarge);
    expect(runs).toBe(0);
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThanOrEqual(8);
  });

  it('answers 413 to a body larger than its declared Content-Length', async () => {
    let runs = 0;
    const serve = withIdempotency(async () => new Response(`run ${++runs}`), {
      store: new MemoryStore(),
      maxBodyBytes: 1024,
    });
    const response = await serve(
      new Request('https://api.example/pay', {
        method: 'POST',
        headers: { 'idempotency-key': 'k', 'content-length': '10' },
        body: 'x'.repeat(4096),
      }),
    );
    expect(response.status).toBe(413);
    expect(runs).toBe(0);
  });

  it('stores no body past maxResponseBytes, and says so on replay', async () => {
    const store = new RecordingStore();
    const serve = withIdempotency(async () => new Response('y'.repeat(10_000)), {
      store,
      maxResponseBytes: 1000,
    });
    const first = await serve(post({ 'idempotency-key': 'big' }));
    expect((await first.text()).length).toBe(10_000);
    expect(Math.max(...store.received.map((bytes) => bytes.byteLength))).toBeLessThan(1000);
    const replay = await serve(post({ 'idempotency-key': 'big' }));
    expect(replay.headers.get('content-type')).toBe('application/problem+json');
    expect((await replay.json()).type).toBe(PROBLEM_TYPES.notRetained);
  });

  it('answers 400 to a key of 256 characters and takes one of 255', async () => {
    const serve = withIdempotency(async () => new Response('ok'), { store: new MemoryStore() });
    expect((await serve(post({ 'idempotency-key': 'k'.repeat(256) }))).status).toBe(400);
    expect((await serve(post({ 'idempotency-key': 'k'.repeat(255) }))).status).toBe(200);
  });
});
