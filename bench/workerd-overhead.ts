/**
 * Wrapper overhead in workerd: bench/workerd/overhead-worker.ts bundled with esbuild and run in
 * miniflare. Each sample is one request running a batch of operations, timed from Node; an
 * empty batch is subtracted, so the figure is µs per operation inside the isolate.
 *
 *   npm run build && node bench/workerd-overhead.ts
 */
import { fileURLToPath } from 'node:url';
import { bundleWorker, loadMiniflare } from './durable-object.ts';
import { oursAgainstFloor } from './overhead-pairs.ts';
import { percentile } from './store-steps.ts';

export interface WorkerdOverheadRow {
  case: string;
  body: string;
  medianUs: number;
  overheadUs: number;
  /** Batches timed (the median is over them) and operations per batch. */
  batches: number;
  perBatch: number;
}

const CASES = ['bare', 'floor new', 'floor replay', 'withIdempotency new', 'withIdempotency replay'];

export async function measureWorkerdOverhead({
  batches = 9,
  perBatch = 300,
} = {}): Promise<WorkerdOverheadRow[]> {
  const script = await bundleWorker('bench/workerd/overhead-worker.ts');
  const Miniflare = await loadMiniflare();
  const mf = new Miniflare({ modules: true, script, compatibilityDate: '2026-05-01' });
  const batch = async (kase: string, bytes: number, n: number) => {
    const start = performance.now();
    const response = await mf.dispatchFetch(
      `http://bench.local/?case=${encodeURIComponent(kase)}&n=${n}&bytes=${bytes}`,
    );
    const text = await response.text();
    if (!response.ok) throw new Error(`workerd overhead bench: ${kase} answered ${response.status}: ${text}`);
    return performance.now() - start;
  };
  const rows: WorkerdOverheadRow[] = [];
  try {
    for (const [bytes, label] of [
      [1024, '1 KB'],
      [100 * 1024, '100 KB'],
    ] as const) {
      for (const kase of CASES) await batch(kase, bytes, perBatch); // warm-up
      const perOp = new Map<string, number[]>(CASES.map((c) => [c, []]));
      for (let b = 0; b < batches; b++) {
        // Interleaved, each batch against an empty request timed next to it.
        for (const kase of CASES) {
          const empty = await batch('empty', bytes, 0);
          perOp.get(kase)?.push(((await batch(kase, bytes, perBatch)) - empty) * (1000 / perBatch));
        }
      }
      const median = (kase: string) =>
        percentile(
          [...(perOp.get(kase) ?? [])].sort((x, y) => x - y),
          0.5,
        );
      const bare = median('bare');
      for (const kase of CASES) {
        const us = median(kase);
        rows.push({ case: kase, body: label, medianUs: us, overheadUs: us - bare, batches, perBatch });
      }
    }
  } finally {
    await mf.dispose();
  }
  return rows;
}

export function formatWorkerdOverhead(rows: readonly WorkerdOverheadRow[]): string {
  return [
    '| case | body | µs/op (median) | overhead µs | batches × ops |',
    '| --- | --- | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.case} | ${r.body} | ${r.medianUs.toFixed(1)} | ${r.overheadUs.toFixed(1)} | ${r.batches} × ${r.perBatch} |`,
    ),
  ].join('\n');
}

/**
 * The target per body size and step: time per request at most 1.5× the floor's (in workerd the
 * bare handler is a large part of a request, so the ratio of whole requests is what a Worker
 * feels); the ratio of overheads is printed beside it.
 */
export function workerdOverheadTargets(rows: readonly WorkerdOverheadRow[]): string[] {
  return oursAgainstFloor(rows).map(
    ({ body, step, ours, floor }) =>
      `- ${body} ${step}: time per request is ${(ours.medianUs / floor.medianUs).toFixed(2)}× the floor's ` +
      `(target ≤ 1.5×); overhead ${(ours.overheadUs / floor.overheadUs).toFixed(2)}× the floor's`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await measureWorkerdOverhead();
  console.log(formatWorkerdOverhead(rows));
  console.log();
  console.log(workerdOverheadTargets(rows).join('\n'));
}
