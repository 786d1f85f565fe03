/**
 * Wrapper overhead in workerd: bench/workerd/overhead-worker.ts bundled with esbuild and run in
 * miniflare, one Worker per case. Each sample is one request running a batch of operations,
 * timed from Node, less the median empty request to the same Worker, so the figure is µs per
 * operation inside the isolate.
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
  /**
   * µs per operation over all the batches (their total time over their operations). Batch
   * times are bimodal here (in some batches every case runs 2-3x slower: garbage collection),
   * and a median jumps between the modes from one run to the next; the mean counts both.
   */
  meanUs: number;
  /** The median batch's µs per operation, for comparison. */
  medianUs: number;
  /** `meanUs` over the bare handler's. */
  overheadUs: number;
  /** Batches timed (the mean and the median are over them) and operations per batch. */
  batches: number;
  perBatch: number;
}

const CASES = [
  'bare',
  'floor new',
  'floor replay',
  'streaming floor new',
  'minimal layer new',
  'withIdempotency new',
  'withIdempotency replay',
];

export async function measureWorkerdOverhead({
  batches = 50,
  perBatch = 150,
} = {}): Promise<WorkerdOverheadRow[]> {
  const script = await bundleWorker('bench/workerd/overhead-worker.ts');
  const Miniflare = await loadMiniflare();
  // One Worker (an isolate, a heap of its own) per case, as a Worker serving one handler: what a
  // batch collects is its own case's garbage, never what another case left. In one shared
  // isolate, whichever of two identical cases ran second was 10-20 % faster, and a case's mean
  // moved with the collections other cases brought on.
  const host = (kase: string) => `case-${CASES.indexOf(kase)}.bench.local`;
  const mf = new Miniflare({
    workers: CASES.map((kase) => ({
      name: `case-${CASES.indexOf(kase)}`,
      modules: true,
      script,
      compatibilityDate: '2026-05-01',
      routes: [`${host(kase)}/*`],
    })),
  });
  const batch = async (kase: string, bytes: number, n: number, run = kase) => {
    const start = performance.now();
    const response = await mf.dispatchFetch(
      `http://${host(kase)}/?case=${encodeURIComponent(run)}&n=${n}&bytes=${bytes}`,
    );
    const text = await response.text();
    if (!response.ok) throw new Error(`workerd overhead bench: ${run} answered ${response.status}: ${text}`);
    return performance.now() - start;
  };
  const rows: WorkerdOverheadRow[] = [];
  try {
    await batch('minimal layer new', 0, 0, 'check minimal layer');
    for (const [bytes, label] of [
      [1024, '1 KB'],
      [100 * 1024, '100 KB'],
    ] as const) {
      for (const kase of CASES) await batch(kase, bytes, perBatch); // warm-up
      const timed = new Map<string, number[]>(CASES.map((c) => [c, []]));
      const empties = new Map<string, number[]>(CASES.map((c) => [c, []]));
      for (let b = 0; b < batches; b++) {
        // Interleaved, each batch with an empty request to the same Worker timed next to it.
        // The order turns by one case every round: the isolates share the machine's cores, and a
        // batch straight after a case that leaves collectors busy runs slower, so no case may
        // always follow the same one.
        for (const kase of [...CASES.slice(b % CASES.length), ...CASES.slice(0, b % CASES.length)]) {
          empties.get(kase)?.push(await batch(kase, bytes, 0, 'empty'));
          timed.get(kase)?.push(await batch(kase, bytes, perBatch));
        }
      }
      // What an empty request costs is taken as the median of the Worker's empty requests: a
      // stall of the machine during one of them (seconds, here) would otherwise turn its batch
      // negative and the mean with it.
      const perOp = new Map(
        CASES.map((kase) => {
          const empty = percentile(
            [...(empties.get(kase) ?? [])].sort((x, y) => x - y),
            0.5,
          );
          return [kase, (timed.get(kase) ?? []).map((ms) => (ms - empty) * (1000 / perBatch))];
        }),
      );
      const samples = (kase: string) => perOp.get(kase) ?? [];
      const mean = (kase: string) => samples(kase).reduce((sum, us) => sum + us, 0) / samples(kase).length;
      const bare = mean('bare');
      for (const kase of CASES) {
        const meanUs = mean(kase);
        rows.push({
          case: kase,
          body: label,
          meanUs,
          medianUs: percentile(
            [...samples(kase)].sort((x, y) => x - y),
            0.5,
          ),
          overheadUs: meanUs - bare,
          batches,
          perBatch,
        });
      }
    }
  } finally {
    await mf.dispose();
  }
  return rows;
}

export function formatWorkerdOverhead(rows: readonly WorkerdOverheadRow[]): string {
  return [
    '| case | body | µs/op (mean) | overhead µs | µs/op (median batch) | batches × ops (each run) |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.case} | ${r.body} | ${r.meanUs.toFixed(1)} | ${r.overheadUs.toFixed(1)} | ${r.medianUs.toFixed(1)} | ${r.batches} × ${r.perBatch} |`,
    ),
  ].join('\n');
}

/**
 * The whole interleaved comparison, `repeats` times over (each in a fresh workerd): on this
 * machine one run's ratio can move by half between runs of the same code, so the target is
 * judged on the median of the repeats, with their range.
 */
export async function repeatWorkerdOverhead(repeats = 3): Promise<WorkerdOverheadRow[][]> {
  const runs: WorkerdOverheadRow[][] = [];
  for (let r = 0; r < repeats; r++) runs.push(await measureWorkerdOverhead());
  return runs;
}

/** Each case's median over the repeats' medians (the table's rows). */
export function medianOfRuns(runs: readonly WorkerdOverheadRow[][]): WorkerdOverheadRow[] {
  const mid = (values: number[]) =>
    percentile(
      [...values].sort((x, y) => x - y),
      0.5,
    );
  return (runs[0] ?? []).map((row, i) => ({
    ...row,
    meanUs: mid(runs.map((run) => (run[i] as WorkerdOverheadRow).meanUs)),
    medianUs: mid(runs.map((run) => (run[i] as WorkerdOverheadRow).medianUs)),
    overheadUs: mid(runs.map((run) => (run[i] as WorkerdOverheadRow).overheadUs)),
  }));
}

/**
 * The target per body size and step: time per request at most 1.5× the floor's (in workerd the
 * bare handler is a large part of a request, so the ratio of whole requests is what a Worker
 * feels), as the median of the repeats' ratios with their range; the ratio of overheads is
 * printed beside it.
 */
export function workerdOverheadTargets(runs: readonly WorkerdOverheadRow[][]): string[] {
  const perRun = runs.map((rows) => oursAgainstFloor(rows));
  const targets = (perRun[0] ?? []).map(({ body, step }, i) => {
    const ratios = perRun.map((pairs) => {
      const { ours, floor } = pairs[i] as (typeof pairs)[number];
      return { time: ours.meanUs / floor.meanUs, overhead: ours.overheadUs / floor.overheadUs };
    });
    return (
      `- ${body} ${step}: time per request is ${ratioSummary(ratios.map((r) => r.time))} the floor's ` +
      `(target ≤ 1.5×); overhead ${ratioSummary(ratios.map((r) => r.overhead))} the floor's`
    );
  });
  return [...targets, ...referenceLayerLines(runs)];
}

/** A ratio's median over the repeats, with its range. */
function ratioSummary(values: number[]): string {
  const sorted = [...values].sort((x, y) => x - y);
  const range = `${sorted[0]?.toFixed(2)}–${sorted.at(-1)?.toFixed(2)}`;
  return `${percentile(sorted, 0.5).toFixed(2)}× (${range})`;
}

/**
 * New requests against two layers between the floor and ours: the floor that streams (what
 * reading a response without holding a stream back costs any layer) and the minimal layer
 * (every rule of ours written inline, the least a layer keeping them costs). What lies between
 * the minimal layer and ours is our code's own cost.
 */
function referenceLayerLines(runs: readonly WorkerdOverheadRow[][]): string[] {
  const sizes = [...new Set(runs.flat().map((row) => row.body))];
  return sizes.flatMap((body) =>
    [
      ['streaming floor new', 'the floor that streams'],
      ['minimal layer new', 'the minimal layer'],
    ].map(([kase, name]) => {
      const perRun = runs.map((rows) => {
        const us = (c: string) => rows.find((r) => r.body === body && r.case === c)?.meanUs ?? Number.NaN;
        const reference = us(kase as string);
        return { ours: us('withIdempotency new') / reference, cost: reference / us('floor new') };
      });
      return (
        `- ${body} new against ${name}: ours is ${ratioSummary(perRun.map((r) => r.ours))} its ` +
        `time per request; it is ${ratioSummary(perRun.map((r) => r.cost))} the floor's`
      );
    }),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runs = await repeatWorkerdOverhead();
  console.log(formatWorkerdOverhead(medianOfRuns(runs)));
  console.log();
  console.log(workerdOverheadTargets(runs).join('\n'));
}
