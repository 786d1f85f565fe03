/**
 * How long a streamed response's first chunk takes to reach the caller, bare handler against
 * withIdempotency on a MemoryStore (a new key each request), and how long the whole stream
 * takes. The handler is bench/sse-handler.ts: one event at once, then more on a timer.
 *
 * - Node: a real HTTP server on loopback (@hono/node-server), read with fetch and a reader.
 * - workerd: bench/workerd/first-chunk-worker.ts in miniflare, timed from Node (the isolate's
 *   clock does not move without I/O) with dispatchFetch and a reader.
 *
 * Bare and wrapped samples alternate (and swap which goes first) so drift hits both alike.
 *
 *   npm run build && node bench/first-chunk.ts
 */
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { MemoryStore, withIdempotency } from 'edge-idempotency';
import { bundleWorker, loadMiniflare } from './durable-object.ts';
import { SSE_BYTES, sseHandler } from './sse-handler.ts';
import { percentile } from './store-steps.ts';

type Side = 'bare' | 'wrapped';
type Send = (side: Side, key: string) => Promise<{ status: number; body: ReadableStream<Uint8Array> | null }>;

interface Sample {
  firstMs: number;
  endMs: number;
}

interface Stat {
  median: number;
  p90: number;
}

/** A figure over the repeats: its median and range. */
interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface FirstChunkRow {
  runtime: string;
  until: 'first chunk' | 'end';
  bare: Stat;
  wrapped: Stat;
  deltaMedian: Spread;
  deltaP90: Spread;
  repeats: number;
  samples: number;
}

export interface FirstChunkOptions {
  repeats?: number;
  /** Timed samples per side and repeat. */
  samples?: number;
  warmup?: number;
}

const REQUEST_BODY = '{"prompt":"Say hi"}';
const headersFor = (key: string) => ({ 'idempotency-key': key, 'content-type': 'application/json' });

async function timeOne(send: Send, side: Side, key: string): Promise<Sample> {
  const start = performance.now();
  const response = await send(side, key);
  if (response.status !== 200 || response.body === null) {
    throw new Error(`first-chunk bench: ${side} answered ${response.status}`);
  }
  const reader = response.body.getReader();
  const first = await reader.read();
  const firstMs = performance.now() - start;
  let bytes = first.value?.byteLength ?? 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) bytes += read.value.byteLength;
  const endMs = performance.now() - start;
  if (bytes !== SSE_BYTES) throw new Error(`first-chunk bench: ${side} got ${bytes} bytes of ${SSE_BYTES}`);
  return { firstMs, endMs };
}

const stat = (values: number[]): Stat => {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: percentile(sorted, 0.5), p90: percentile(sorted, 0.9) };
};
const spread = (values: number[]): Spread => ({
  median: stat(values).median,
  min: Math.min(...values),
  max: Math.max(...values),
});

async function measure(runtime: string, send: Send, options: Required<FirstChunkOptions>) {
  let n = 0;
  const key = () => `first-chunk-${process.pid}-${n++}`;
  for (let i = 0; i < options.warmup; i++) {
    await timeOne(send, 'bare', key());
    await timeOne(send, 'wrapped', key());
  }
  const perRepeat: Record<'first chunk' | 'end', Record<Side, Stat>[]> = { 'first chunk': [], end: [] };
  for (let r = 0; r < options.repeats; r++) {
    const samples: Record<Side, Sample[]> = { bare: [], wrapped: [] };
    for (let i = 0; i < options.samples; i++) {
      for (const side of i % 2 === 0 ? (['bare', 'wrapped'] as const) : (['wrapped', 'bare'] as const)) {
        samples[side].push(await timeOne(send, side, key()));
      }
    }
    for (const until of ['first chunk', 'end'] as const) {
      const pick = (s: Sample) => (until === 'end' ? s.endMs : s.firstMs);
      perRepeat[until].push({ bare: stat(samples.bare.map(pick)), wrapped: stat(samples.wrapped.map(pick)) });
    }
  }
  return (['first chunk', 'end'] as const).map((until): FirstChunkRow => {
    const repeats = perRepeat[until];
    const over = (side: Side): Stat => ({
      median: spread(repeats.map((x) => x[side].median)).median,
      p90: spread(repeats.map((x) => x[side].p90)).median,
    });
    return {
      runtime,
      until,
      bare: over('bare'),
      wrapped: over('wrapped'),
      deltaMedian: spread(repeats.map((x) => x.wrapped.median - x.bare.median)),
      deltaP90: spread(repeats.map((x) => x.wrapped.p90 - x.bare.p90)),
      repeats: options.repeats,
      samples: options.samples,
    };
  });
}

async function measureNode(options: Required<FirstChunkOptions>): Promise<FirstChunkRow[]> {
  // serve() puts its own Request and Response in the globals, as users of it get them; bench/run.ts
  // goes on after this section, so the runtime's own are put back at the end.
  const globals = (['Request', 'Response'] as const).map(
    (name) => [name, Object.getOwnPropertyDescriptor(globalThis, name)] as const,
  );
  const store = new MemoryStore({ maxEntries: 50_000 });
  const wrapped = withIdempotency(sseHandler, { store });
  const fetchHandler = (request: Request) =>
    new URL(request.url).pathname === '/wrapped' ? wrapped(request) : sseHandler(request);
  const { server, origin } = await new Promise<{ server: ReturnType<typeof serve>; origin: string }>(
    (resolve) => {
      const server = serve({ fetch: fetchHandler, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
        resolve({ server, origin: `http://127.0.0.1:${info.port}` }),
      );
    },
  );
  try {
    return await measure(
      'Node (@hono/node-server, loopback)',
      (side, key) =>
        fetch(`${origin}/${side}`, { method: 'POST', headers: headersFor(key), body: REQUEST_BODY }),
      options,
    );
  } finally {
    await new Promise((resolve) => server.close(resolve));
    store.close();
    for (const [name, descriptor] of globals)
      if (descriptor) Object.defineProperty(globalThis, name, descriptor);
  }
}

async function measureWorkerd(options: Required<FirstChunkOptions>): Promise<FirstChunkRow[]> {
  const script = await bundleWorker('bench/workerd/first-chunk-worker.ts');
  const Miniflare = await loadMiniflare();
  const mf = new Miniflare({ modules: true, script, compatibilityDate: '2026-05-01' });
  try {
    return await measure(
      'workerd (miniflare dispatchFetch)',
      (side, key) =>
        mf.dispatchFetch(`http://bench.local/?case=${side}`, {
          method: 'POST',
          headers: headersFor(key),
          body: REQUEST_BODY,
        }),
      options,
    );
  } finally {
    await mf.dispose();
  }
}

export async function measureFirstChunk({
  repeats = 3,
  samples = 30,
  warmup = 5,
}: FirstChunkOptions = {}): Promise<FirstChunkRow[]> {
  const options = { repeats, samples, warmup };
  return [...(await measureNode(options)), ...(await measureWorkerd(options))];
}

export function formatFirstChunk(rows: readonly FirstChunkRow[]): string {
  const ms = (n: number) => n.toFixed(2);
  const signed = (n: number) => `${n >= 0 ? '+' : ''}${n.toFixed(2)}`;
  const range = (s: Spread) => `${signed(s.median)} (${signed(s.min)} … ${signed(s.max)})`;
  return [
    '| runtime | until | bare median | bare p90 | wrapped median | wrapped p90 | wrapped − bare, median (range) | wrapped − bare, p90 (range) | repeats × samples |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.runtime} | ${r.until} | ${ms(r.bare.median)} | ${ms(r.bare.p90)} | ${ms(r.wrapped.median)} | ` +
        `${ms(r.wrapped.p90)} | ${range(r.deltaMedian)} | ${range(r.deltaP90)} | ${r.repeats} × ${r.samples} |`,
    ),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(formatFirstChunk(await measureFirstChunk()));
}
