/**
 * Wrapper overhead inside workerd (bench/workerd-overhead.ts drives it): one request runs a
 * batch of `n` operations of one case, so the Node side can time whole batches (workerd's own
 * clock does not move without I/O). Cases mirror bench/wrapper-overhead.ts, with Web Crypto
 * for the floor's hash as a Worker has it.
 */
import { concatBytes } from '../../src/body.ts';
import { MemoryStore } from '../../src/stores/memory.ts';
import { withIdempotency } from '../../src/with-idempotency.ts';

const handler = async (request: Request) => {
  await request.arrayBuffer();
  return new Response('{"ok":true,"id":"ord_123"}', {
    status: 201,
    headers: { 'content-type': 'application/json' },
  });
};

const utf8 = new TextEncoder();
const sameBytes = (a: ArrayBuffer, b: ArrayBuffer) => {
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  return x.length === y.length && x.every((byte, i) => byte === y[i]);
};

/**
 * As in bench/wrapper-overhead.ts, the floor keys its Map by a SHA-256 of (Authorization, key)
 * and compares the body's hash on a hit: what any correct layer must do to keep principals
 * apart, keep raw keys out of a shared store and answer a reused key with a 422.
 *
 * The floor reads the handler's response with one `arrayBuffer()`, so it never streams. With
 * `streams`, it reads the response as a layer that must not hold a stream back has to (issue 13
 * item 3): with a reader, racing a macrotask that tells a body at hand from one that makes it
 * wait, everything else unchanged: the row measures what streaming costs a body at hand.
 */
function makeFloor({ streams = false } = {}) {
  const stored = new Map<
    string,
    { fingerprint: ArrayBuffer; status: number; headers: Headers; body: Uint8Array<ArrayBuffer> }
  >();
  return async (request: Request) => {
    const key = new Uint8Array(
      await crypto.subtle.digest(
        'SHA-256',
        utf8.encode(
          `${request.headers.get('authorization') ?? ''}\n${request.headers.get('idempotency-key') ?? ''}`,
        ),
      ),
    ).join();
    const body = new Uint8Array(await request.arrayBuffer());
    const fingerprint = await crypto.subtle.digest('SHA-256', body);
    const hit = stored.get(key);
    if (hit) {
      if (!sameBytes(hit.fingerprint, fingerprint)) return new Response(null, { status: 422 });
      return new Response(hit.body, { status: hit.status, headers: hit.headers });
    }
    const response = await handler(new Request(request, { body }));
    const bytes = streams ? await readAtHand(response) : new Uint8Array(await response.arrayBuffer());
    stored.set(key, { fingerprint, status: response.status, headers: response.headers, body: bytes });
    // As many records as our MemoryStore keeps, the oldest dropped first.
    if (stored.size > MAX_ENTRIES) stored.delete(stored.keys().next().value as string);
    return new Response(bytes, { status: response.status, headers: response.headers });
  };
}

const TICK = Symbol('tick');

/**
 * The response's bytes, read chunk by chunk with a reader while racing a macrotask
 * (`setTimeout(0)`, as workerd has it) that would mean the body makes us wait. This floor serves
 * bodies at hand only: it throws rather than stream, and the bench's handler never makes it.
 */
async function readAtHand(response: Response): Promise<Uint8Array<ArrayBuffer>> {
  const reader = (response.body as ReadableStream<Uint8Array<ArrayBuffer>>).getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = new Promise<typeof TICK>((resolve) => {
    timer = setTimeout(resolve, 0, TICK);
  });
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), tick]);
      if (next === TICK) throw new Error('the streaming floor serves bodies at hand only');
      if (next.done) break;
      chunks.push(next.value);
      size += next.value.byteLength;
    }
  } finally {
    clearTimeout(timer);
  }
  return concatBytes(chunks, size) as Uint8Array<ArrayBuffer>;
}

/**
 * The least a layer keeping our rules must do for a new request, inline in one function: a
 * key checked as the spec asks, a body read that stops past its limit whatever Content-Length
 * says, a fingerprint of method, path, query, Content-Type and body, a storage key hashed
 * from (Authorization, key), a lock under a random token, the response read as a streaming
 * layer must read it (the streaming floor's way), and a completion that checks the token. It
 * answers new requests only (the bench gives it a new key each time) and, like the streaming
 * floor, serves bodies at hand only. It separates what our rules cost any layer from what
 * our code adds.
 */
function makeMinimalLayer({ maxBodyBytes = 1024 * 1024 } = {}) {
  const records = new Map<
    string,
    {
      fingerprint: string;
      token: string;
      expiresAt: number;
      stored?: { status: number; headers: [string, string][]; body: Uint8Array<ArrayBuffer> };
    }
  >();
  return async (request: Request) => {
    const key = request.headers.get('idempotency-key');
    if (key === null || key.length > 255 || !VISIBLE_ASCII.test(key))
      return new Response(null, { status: 400 });
    const body = await readBounded(request, maxBodyBytes);
    if (body === null) return new Response(null, { status: 413 });
    const scope = request.headers.get('authorization') ?? '';
    const storageKey = new Uint8Array(
      await crypto.subtle.digest('SHA-256', utf8.encode(`${scope.length}:${scope}${key}`)),
    ).join();
    // Path and query as one string, off the serialized URL: the query starts at its '?'.
    const { url } = request;
    const target = url.slice(url.indexOf('/', url.indexOf('//') + 2));
    const type = request.headers.get('content-type') ?? '';
    const head = utf8.encode(`${request.method} ${target.length}:${target}${type.length}:${type}`);
    const message = new Uint8Array(head.byteLength + body.byteLength);
    message.set(head);
    message.set(body, head.byteLength);
    const fingerprint = new Uint8Array(await crypto.subtle.digest('SHA-256', message)).join();
    const now = Date.now();
    const held = records.get(storageKey);
    if (held && held.expiresAt > now) {
      if (held.fingerprint !== fingerprint) return new Response(null, { status: 422 });
      if (!held.stored) return new Response(null, { status: 409 });
      const headers = new Headers(held.stored.headers);
      headers.set('idempotent-replayed', 'true');
      return new Response(held.stored.body, { status: held.stored.status, headers });
    }
    const token = crypto.randomUUID();
    records.set(storageKey, { fingerprint, token, expiresAt: now + 60_000 });
    if (records.size > MAX_ENTRIES) records.delete(records.keys().next().value as string);
    let response: Response;
    try {
      response = await handler(new Request(request, { body }));
    } catch (error) {
      if (records.get(storageKey)?.token === token) records.delete(storageKey);
      throw error;
    }
    const bytes = await readAtHand(response);
    const record = records.get(storageKey);
    if (record?.token === token) {
      record.stored = { status: response.status, headers: [...response.headers], body: bytes };
      record.expiresAt = Date.now() + 86_400_000;
    }
    return new Response(bytes, { status: response.status, headers: response.headers });
  };
}

/**
 * The minimal layer answers as a layer must, or the bench stops: a retry replays the first
 * response byte for byte, marked; the same key with another body is a 422; no key is a 400; a
 * body past the limit is a 413 even when its Content-Length says less.
 */
async function checkMinimalLayer(): Promise<Response> {
  const layer = makeMinimalLayer({ maxBodyBytes: 64 });
  const post = (key: string | null, body: string, headers: Record<string, string> = {}) =>
    new Request('https://api.example.com/orders?x=1', {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        ...(key === null ? {} : { 'idempotency-key': key }),
        ...headers,
      },
    });
  const first = await layer(post('check', '{"a":1}'));
  const firstBody = await first.text();
  const retry = await layer(post('check', '{"a":1}'));
  const problems = [
    first.status === 201 && first.headers.get('idempotent-replayed') === null ? '' : 'first answer',
    retry.status === 201 && retry.headers.get('idempotent-replayed') === 'true' ? '' : 'retry status',
    (await retry.text()) === firstBody ? '' : 'retry body',
    (await layer(post('check', '{"a":2}'))).status === 422 ? '' : 'reused key',
    (await layer(post(null, '{"a":1}'))).status === 400 ? '' : 'missing key',
    (await layer(post('big', 'x'.repeat(100), { 'content-length': '10' }))).status === 413 ? '' : 'long body',
  ].filter(Boolean);
  return new Response(problems.join(', ') || 'ok', { status: problems.length ? 500 : 200 });
}

const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/**
 * The body, or `null` past `maxBytes`: BYOB reads into a buffer sized from Content-Length plus
 * one byte (grown up to `maxBytes + 1` if the body runs on), so a body longer than it claims is
 * seen without holding more than the limit.
 */
async function readBounded(request: Request, maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> {
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader({ mode: 'byob' }) as ReadableStreamBYOBReader & {
    readAtLeast(
      min: number,
      view: Uint8Array<ArrayBuffer>,
    ): Promise<ReadableStreamReadResult<Uint8Array<ArrayBuffer>>>;
  };
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  let buffer = new ArrayBuffer(Math.min(Number.isInteger(declared) ? declared : 16 * 1024, maxBytes) + 1);
  let size = 0;
  for (;;) {
    if (size === buffer.byteLength) {
      if (size > maxBytes) {
        await reader.cancel();
        return null;
      }
      const grown = new Uint8Array(Math.min(size * 2, maxBytes + 1));
      grown.set(new Uint8Array(buffer));
      buffer = grown.buffer;
    }
    const free = buffer.byteLength - size;
    // workerd's readAtLeast answers fewer bytes than asked only at the end of the body.
    const { done, value } = await reader.readAtLeast(free, new Uint8Array(buffer, size, free));
    if (done) return new Uint8Array(value?.buffer ?? buffer, 0, size);
    buffer = value.buffer;
    size += value.byteLength;
    if (value.byteLength < free) return new Uint8Array(buffer, 0, size);
  }
}

/**
 * Records each store keeps. Bounded alike, so the heap stays the same size through the run: with
 * every new request kept, a collection late in the run costs more than one early on, whichever
 * case it lands in. New requests and replays have stores of their own, so no replayed key is
 * dropped.
 */
const MAX_ENTRIES = 1_000;
const floor = makeFloor();
const floorForReplays = makeFloor();
const streamingFloor = makeFloor({ streams: true });
const minimalLayer = makeMinimalLayer();
const wrapped = withIdempotency(handler, { store: new MemoryStore({ maxEntries: MAX_ENTRIES }) });
const wrappedForReplays = withIdempotency(handler, { store: new MemoryStore({ maxEntries: MAX_ENTRIES }) });
let counter = 0;

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const kase = url.searchParams.get('case') ?? 'empty';
    const n = Number(url.searchParams.get('n') ?? 0);
    const body = new Uint8Array(Number(url.searchParams.get('bytes') ?? 1024)).fill(97);
    const make = (key: string) =>
      new Request('https://api.example.com/orders', {
        method: 'POST',
        body,
        // As a request off the network: it declares its length.
        headers: {
          'idempotency-key': key,
          'content-type': 'application/json',
          'content-length': String(body.byteLength),
        },
      });
    const run: Record<string, (i: number) => Promise<Response>> = {
      empty: async () => new Response(null),
      bare: () => handler(make(`k${counter++}`)),
      'floor new': () => floor(make(`k${counter++}`)),
      'floor replay': () => floorForReplays(make('replay')),
      'streaming floor new': () => streamingFloor(make(`k${counter++}`)),
      'minimal layer new': () => minimalLayer(make(`k${counter++}`)),
      'withIdempotency new': () => wrapped(make(`k${counter++}`)),
      'withIdempotency replay': () => wrappedForReplays(make('replay')),
    };
    if (kase === 'check minimal layer') return checkMinimalLayer();
    const operation = run[kase];
    if (!operation) return new Response(`unknown case ${kase}`, { status: 400 });
    for (let i = 0; i < n; i++) await (await operation(i)).arrayBuffer();
    return new Response('done');
  },
};
