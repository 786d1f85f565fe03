/**
 * Wrapper overhead on Node: a bare handler, the floor (the least an honest wrapper must do:
 * read the body once, SHA-256 it and the key, hand the handler a request with that body, buffer
 * the response, answer a new Response, with a Map for replays), and withIdempotency on
 * MemoryStore; new requests and replays, 1 KB and 100 KB bodies, all in one run.
 *
 *   npm run build && node bench/wrapper-overhead.ts
 */
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { MemoryStore, withIdempotency } from 'edge-idempotency';
import { Bench } from 'tinybench';
import { oursAgainstFloor } from './overhead-pairs.ts';

export interface OverheadRow {
  case: string;
  body: string;
  medianUs: number;
  opsPerSec: number;
  overheadUs: number;
  samples: number;
}

const handler = async (request: Request) => {
  await request.arrayBuffer();
  return new Response('{"ok":true,"id":"ord_123"}', {
    status: 201,
    headers: { 'content-type': 'application/json' },
  });
};

/**
 * The floor keys its Map by a SHA-256 of (Authorization, key) and compares the body's hash on a
 * hit: any correct layer must keep one principal from another's records and raw keys and
 * credentials out of a shared store, and must answer a key reused with another body with a 422
 * rather than the first response. (It used to key by the raw header and drop the body's hash,
 * which no correct layer can do.)
 */
function makeFloor() {
  const stored = new Map<
    string,
    { fingerprint: Buffer; status: number; headers: Headers; body: Uint8Array<ArrayBuffer> }
  >();
  return async (request: Request) => {
    const key = createHash('sha256')
      .update(request.headers.get('authorization') ?? '')
      .update(request.headers.get('idempotency-key') ?? '')
      .digest('hex');
    const body = new Uint8Array(await request.arrayBuffer()) as Uint8Array<ArrayBuffer>;
    const fingerprint = createHash('sha256').update(body).digest();
    const hit = stored.get(key);
    if (hit) {
      if (!hit.fingerprint.equals(fingerprint)) return new Response(null, { status: 422 });
      return new Response(hit.body, { status: hit.status, headers: hit.headers });
    }
    const response = await handler(new Request(request, { body }));
    const bytes = new Uint8Array(await response.arrayBuffer()) as Uint8Array<ArrayBuffer>;
    stored.set(key, { fingerprint, status: response.status, headers: response.headers, body: bytes });
    return new Response(bytes, { status: response.status, headers: response.headers });
  };
}

export async function measureWrapperOverhead(timeMs = 700): Promise<OverheadRow[]> {
  const rows: OverheadRow[] = [];
  for (const size of [1024, 100 * 1024]) {
    const body = new Uint8Array(size).fill(97);
    const label = size === 1024 ? '1 KB' : '100 KB';
    let n = 0;
    const request = (key: string) =>
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
    const floor = makeFloor();
    const wrapped = withIdempotency(handler, { store: new MemoryStore({ maxEntries: 50_000 }) });
    await floor(request('replay'));
    await wrapped(request('replay'));

    const bench = new Bench({ time: timeMs, warmup: true });
    bench
      .add('bare', () => handler(request(`k${n++}`)))
      .add('floor new', () => floor(request(`k${n++}`)))
      .add('floor replay', () => floor(request('replay')))
      .add('withIdempotency new', () => wrapped(request(`k${n++}`)))
      .add('withIdempotency replay', () => wrapped(request('replay')));
    await bench.run();

    const median = (name: string) => {
      const result = bench.getTask(name)?.result;
      if (!result || !('latency' in result)) throw new Error(`bench task ${name} did not complete`);
      return {
        medianUs: result.latency.p50 * 1000,
        opsPerSec: result.throughput.mean,
        samples: result.latency.samplesCount,
      };
    };
    const bare = median('bare');
    for (const name of [
      'bare',
      'floor new',
      'floor replay',
      'withIdempotency new',
      'withIdempotency replay',
    ]) {
      const m = median(name);
      rows.push({ case: name, body: label, ...m, overheadUs: m.medianUs - bare.medianUs });
    }
  }
  return rows;
}

export function formatWrapperOverhead(rows: readonly OverheadRow[]): string {
  return [
    '| case | body | µs/op (median) | ops/s | overhead µs | samples |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.case} | ${r.body} | ${r.medianUs.toFixed(1)} | ${r.opsPerSec.toFixed(0)} | ${r.overheadUs.toFixed(1)} | ${r.samples} |`,
    ),
  ].join('\n');
}

/** The target per body size and step: our overhead at most 1.25× the floor's. */
export function wrapperOverheadTargets(rows: readonly OverheadRow[]): string[] {
  return oursAgainstFloor(rows).map(
    ({ body, step, ours, floor }) =>
      `- ${body} ${step}: our overhead is ${(ours.overheadUs / floor.overheadUs).toFixed(2)}× the floor's (budget ≤ 1.25×)`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await measureWrapperOverhead();
  console.log(formatWrapperOverhead(rows));
  console.log();
  console.log(wrapperOverheadTargets(rows).join('\n'));
}
