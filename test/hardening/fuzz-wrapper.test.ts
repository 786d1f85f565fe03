/**
 * Fuzzed requests through `withIdempotency` on a MemoryStore: whatever the Idempotency-Key
 * header, body and method, the wrapper answers a 4xx problem, passes through, or runs the
 * handler normally; it never throws, never answers 5xx, and never runs the handler twice for
 * one key.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStore, parseIdempotencyKey, withIdempotency } from '../../src/index.ts';
import { propertyParameters } from './runs.ts';

const MAX_BODY = 512;
const GUARDED = new Set(['POST', 'PATCH']);

/** Any Latin-1 text (every byte a header can carry), as a header value. */
const byteString = fc.uint8Array({ maxLength: 300 }).map((bytes) => String.fromCharCode(...bytes));
const printable = (minLength: number, maxLength: number) =>
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    minLength,
    maxLength,
  });
const sfQuoted = fc.string({ maxLength: 260 }).map((s) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`);

/** Header values: all bytes, Unicode, quoting (good and broken), lengths around 255. */
const keyValue = fc.oneof(
  byteString,
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  printable(1, 8),
  printable(250, 260),
  sfQuoted,
  printable(0, 20).map((s) => `"${s}`),
  printable(0, 20).map((s) => `${s}"`),
  printable(1, 20).map((s) => `\t ${s} \t`),
  fc.constantFrom('', ' ', '""', '"\\"', '"a\\b"', 'a,b', 'a, a', '\u00ff', '\u0000', '"a"b'),
);

const method = fc.constantFrom('POST', 'PATCH', 'PUT', 'DELETE', 'GET', 'post', 'Post', 'FOO', 'OPTIONS');
const body = fc.oneof(
  fc.constant(null),
  fc.uint8Array({ maxLength: MAX_BODY + 64 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

/** One client request: several Idempotency-Key values appended, like a header sent twice. */
const clientRequest = fc.record({
  keys: fc.array(keyValue, { minLength: 0, maxLength: 3 }),
  method,
  body,
  declaredLength: fc.option(fc.nat({ max: 2 * MAX_BODY }), { nil: undefined }),
});
type ClientRequest = typeof clientRequest extends fc.Arbitrary<infer T> ? T : never;

function buildRequest({ keys, method, body, declaredLength }: ClientRequest): Request | undefined {
  try {
    const headers = new Headers();
    for (const key of keys) headers.append('Idempotency-Key', key);
    if (declaredLength !== undefined) headers.set('content-length', String(declaredLength));
    const hasBody = body !== null && !['GET', 'HEAD'].includes(method.toUpperCase());
    return new Request('https://api.example/orders', {
      method,
      headers,
      body: hasBody ? (body as BodyInit) : null,
    });
  } catch {
    // fetch itself refuses it (a NUL in a header, a char over 0xFF): no server ever sees it.
    return undefined;
  }
}

/** The key the wrapper would use, or undefined when the request is not guarded. */
function guardedKey(request: Request): string | undefined {
  const header = request.headers.get('idempotency-key');
  if (!GUARDED.has(request.method) || header === null) return undefined;
  try {
    return parseIdempotencyKey(header);
  } catch {
    return undefined;
  }
}

function makeServer() {
  const runs = new Map<string, number>();
  const handler = async (request: Request) => {
    const key = guardedKey(request) ?? `unguarded:${crypto.randomUUID()}`;
    runs.set(key, (runs.get(key) ?? 0) + 1);
    const bytes = new Uint8Array(await request.arrayBuffer());
    return new Response(bytes, { status: 201, headers: { 'x-run': String(runs.get(key)) } });
  };
  const store = new MemoryStore({ sweepIntervalMs: 0 });
  return { runs, serve: withIdempotency(handler, { store, maxBodyBytes: MAX_BODY }) };
}

async function expectSafeAnswer(response: Response): Promise<void> {
  expect(response.status).toBeLessThan(500);
  if (response.headers.get('x-run') === null) {
    // The wrapper's own answer: a 4xx problem document.
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const problem = await response.json();
    expect(problem).toMatchObject({ status: response.status, type: expect.any(String) });
  } else {
    await response.arrayBuffer();
  }
}

describe('fuzzed requests through withIdempotency', () => {
  it('answer a 4xx problem, pass through or run once; never a 5xx, a throw or a second run', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(clientRequest, fc.nat({ max: 2 })), { minLength: 1, maxLength: 4 }),
        async (cases) => {
          const { runs, serve } = makeServer();
          for (const [client, repeats] of cases) {
            // Each request is sent 1 to 3 times at once, then once more after they settled.
            const sends = Array.from({ length: repeats + 1 }, () => buildRequest(client));
            const requests = sends.filter((request): request is Request => request !== undefined);
            if (requests.length === 0) continue;
            const answers = await Promise.all(requests.map((request) => serve(request)));
            for (const answer of answers) await expectSafeAnswer(answer);
            const again = buildRequest(client);
            if (again) await expectSafeAnswer(await serve(again));
          }
          for (const [key, count] of runs) {
            if (!key.startsWith('unguarded:')) expect(count, `runs of key ${JSON.stringify(key)}`).toBe(1);
          }
        },
      ),
      propertyParameters(150),
    );
  });

  it('replays a valid key, 422s a changed body, and never runs the handler a second time', async () => {
    const validKey = fc.oneof(
      printable(1, 255).filter((s) => !/[",]/.test(s) && s.trim() === s),
      sfQuoted,
    );
    await fc.assert(
      fc.asyncProperty(
        validKey,
        fc.uint8Array({ maxLength: MAX_BODY }),
        fc.uint8Array({ minLength: 1, maxLength: 16 }),
        async (key, first, extra) => {
          let parsed: string;
          try {
            parsed = parseIdempotencyKey(key);
          } catch {
            fc.pre(false);
            return;
          }
          const { runs, serve } = makeServer();
          const send = (bytes: Uint8Array) =>
            serve(
              new Request('https://api.example/orders', {
                method: 'POST',
                headers: { 'Idempotency-Key': key },
                body: bytes as BodyInit,
              }),
            );
          const original = await send(first);
          expect(original.status).toBe(201);
          const originalBody = new Uint8Array(await original.arrayBuffer());

          const replay = await send(first);
          expect(replay.status).toBe(201);
          expect(replay.headers.get('idempotent-replayed')).toBe('true');
          expect(new Uint8Array(await replay.arrayBuffer())).toEqual(originalBody);

          const changed = new Uint8Array([...first, ...extra].slice(0, MAX_BODY));
          fc.pre(changed.length !== first.length || changed.some((byte, i) => byte !== first[i]));
          const mismatch = await send(changed);
          expect(mismatch.status).toBe(422);
          expect(mismatch.headers.get('content-type')).toBe('application/problem+json');
          expect(runs.get(parsed)).toBe(1);
        },
      ),
      propertyParameters(100),
    );
  });
});
