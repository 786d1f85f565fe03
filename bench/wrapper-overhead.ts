/**
 * Wrapper overhead on Node: a bare handler, the floor (the least an honest wrapper must do:
 * read the body once, SHA-256 it and the key, hand the handler a request with that body, buffer
 * the response, answer a new Response, with a Map for replays), and withIdempotency on
 * MemoryStore; new requests and replays, 1 KB and 100 KB bodies, all in one run, the cases
 * taking turns in short rounds.
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

const CASES = ['bare', 'floor new', 'floor replay', 'withIdempotency new', 'withIdempotency replay'];

/**
 * Each case's median, round by round: the five cases take turns in short rounds (all five in
 * each), so a slow spell of the machine falls on all of them alike. A case's figure is the
 * median of its rounds' medians; the targets also read each round's ratio. 31 rounds of 50 ms,
 * not 7 of 100: a replay's overhead is a few µs, and with 7 rounds one slow spell moved the
 * median ratio by a third between runs of the same code.
 */
export async function measureWrapperOverhead(rounds = 31, timeMs = 50): Promise<OverheadRow[][]> {
  const perRound: OverheadRow[][] = Array.from({ length: rounds }, () => []);
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
    const tasks: Record<string, () => Promise<Response>> = {
      bare: () => handler(request(`k${n++}`)),
      'floor new': () => floor(request(`k${n++}`)),
      'floor replay': () => floor(request('replay')),
      'withIdempotency new': () => wrapped(request(`k${n++}`)),
      'withIdempotency replay': () => wrapped(request('replay')),
    };

    for (const rows of perRound) {
      const bench = new Bench({ time: timeMs, warmup: true });
      for (const name of CASES) bench.add(name, tasks[name] as () => Promise<Response>);
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
      for (const name of CASES) {
        const m = median(name);
        rows.push({ case: name, body: label, ...m, overheadUs: m.medianUs - bare.medianUs });
      }
    }
  }
  return perRound;
}

/** Each case's median over the rounds (samples: their sum). */
export function medianOverRounds(perRound: readonly OverheadRow[][]): OverheadRow[] {
  const mid = (values: number[]) => {
    const sorted = [...values].sort((x, y) => x - y);
    return sorted[Math.floor(sorted.length / 2)] as number;
  };
  return (perRound[0] ?? []).map((row, i) => {
    const same = perRound.map((rows) => rows[i] as OverheadRow);
    return {
      ...row,
      medianUs: mid(same.map((r) => r.medianUs)),
      opsPerSec: mid(same.map((r) => r.opsPerSec)),
      overheadUs: mid(same.map((r) => r.overheadUs)),
      samples: same.reduce((sum, r) => sum + r.samples, 0),
    };
  });
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

/**
 * The target per body size and step: our overhead at most 1.25× the floor's, as the median of
 * the rounds' ratios with their range.
 */
export function wrapperOverheadTargets(perRound: readonly OverheadRow[][]): string[] {
  const pairsPerRound = perRound.map((rows) => oursAgainstFloor(rows));
  return (pairsPerRound[0] ?? []).map(({ body, step }, i) => {
    const ratios = pairsPerRound
      .map((pairs) => {
        const { ours, floor } = pairs[i] as (typeof pairs)[number];
        return ours.overheadUs / floor.overheadUs;
      })
      .sort((x, y) => x - y);
    const median = ratios[Math.floor(ratios.length / 2)] as number;
    return (
      `- ${body} ${step}: our overhead is ${median.toFixed(2)}× the floor's ` +
      `(${(ratios[0] as number).toFixed(2)}–${(ratios.at(-1) as number).toFixed(2)} over ${ratios.length} rounds; budget ≤ 1.25×)`
    );
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const perRound = await measureWrapperOverhead();
  console.log(formatWrapperOverhead(medianOverRounds(perRound)));
  console.log();
  console.log(wrapperOverheadTargets(perRound).join('\n'));
}
