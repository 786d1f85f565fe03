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
 * Records each store keeps. Bounded alike, so the heap stays the same size through the run: with
 * every new request kept, a collection late in the run costs more than one early on, whichever
 * case it lands in. New requests and replays have stores of their own, so no replayed key is
 * dropped.
 */
const MAX_ENTRIES = 1_000;
const floor = makeFloor();
const floorForReplays = makeFloor();
const streamingFloor = makeFloor({ streams: true });
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
      'withIdempotency new': () => wrapped(make(`k${counter++}`)),
      'withIdempotency replay': () => wrappedForReplays(make('replay')),
    };
    const operation = run[kase];
    if (!operation) return new Response(`unknown case ${kase}`, { status: 400 });
    for (let i = 0; i < n; i++) await (await operation(i)).arrayBuffer();
    return new Response('done');
  },
};
