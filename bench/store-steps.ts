/**
 * The per-store measurement, in Web-standard code only so the same loop runs on Node (Memory,
 * Upstash, DynamoDB) and inside workerd (Durable Objects, see bench/workerd/):
 * - round trips and latency of each store step: a new request (`begin` that acquires, then
 *   `complete`), a replay (`begin` on a completed key) and a conflict (`begin` on a key held
 *   in progress);
 * - throughput of `withIdempotency` on the store with 32 concurrent clients, each sending its
 *   requests one after another, on distinct keys (every request new) and on one hot key (one
 *   runs, the others get a 409 while it runs, then replays). The handler does no work of its own.
 */
import type { IdempotencyStore, StoredResponse } from '../src/types.ts';
import { withIdempotency } from '../src/with-idempotency.ts';

export type StoreStep = 'new' | 'replay' | 'conflict';

export interface StepStats {
  /** Backend round trips per step: the same on every iteration, or the run fails. */
  roundTrips: number | null;
  medianMs: number;
  p99Ms: number;
  /** The mean, for clocks too coarse for a median of one step (workerd's moves only on I/O). */
  meanMs: number;
  /** How many timed runs the median and p99 are taken over. */
  runs: number;
}

export interface ThroughputStats {
  clients: number;
  requests: number;
  requestsPerSecond: number;
  /** Status codes seen, e.g. `{ 201: 1, 409: 12, replayed: 307 }`. */
  outcomes: Record<string, number>;
}

export interface StoreBenchResult {
  store: string;
  steps: Record<StoreStep, StepStats>;
  distinctKeys: ThroughputStats;
  hotKey: ThroughputStats;
  /** Where the figures come from when the reader needs to know (transport, clock). */
  note?: string;
}

export interface StoreBenchOptions {
  name: string;
  store: IdempotencyStore;
  /** Backend round trips so far, or null when the store has no backend (MemoryStore). */
  roundTrips: () => number | null;
  iterations?: number;
  warmup?: number;
  clients?: number;
  requestsPerClient?: number;
  now?: () => number;
}

const FINGERPRINT = 'f'.repeat(64);
const RESPONSE: StoredResponse = {
  status: 201,
  headers: [['content-type', 'application/json']],
  body: new TextEncoder().encode(JSON.stringify({ id: 'order-1', status: 'accepted', amount: 100 })),
};
const TTL_MS = 3_600_000;
const LEASE_MS = 30_000;

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;
}

function fail(store: string, message: string): never {
  throw new Error(`bench sanity check failed (${store}): ${message}`);
}

/** Latency and round trips of new / replay / conflict, then throughput, on one store. */
export async function benchStore(options: StoreBenchOptions): Promise<StoreBenchResult> {
  const { name, store, roundTrips, iterations = 200, warmup = 20, now = () => performance.now() } = options;
  const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  const samples: Record<StoreStep, number[]> = { new: [], replay: [], conflict: [] };
  const trips: Record<StoreStep, Set<number | null>> = {
    new: new Set(),
    replay: new Set(),
    conflict: new Set(),
  };

  const timed = async (step: StoreStep, record: boolean, body: () => Promise<void>) => {
    const before = roundTrips();
    const start = now();
    await body();
    const elapsed = now() - start;
    const after = roundTrips();
    if (!record) return;
    samples[step].push(elapsed);
    trips[step].add(before === null || after === null ? null : after - before);
  };

  for (let i = 0; i < warmup + iterations; i++) {
    const record = i >= warmup;
    const key = `bench:${name}:${run}:${i}`;
    await timed('new', record, async () => {
      const begun = await store.begin({ key, fingerprint: FINGERPRINT, token: 'a', leaseMs: LEASE_MS });
      if (!begun.acquired) fail(name, 'a new key was not acquired');
      if (!(await store.complete({ key, token: 'a', response: RESPONSE, ttlMs: TTL_MS })))
        fail(name, 'complete answered false');
    });
    await timed('replay', record, async () => {
      const begun = await store.begin({ key, fingerprint: FINGERPRINT, token: 'b', leaseMs: LEASE_MS });
      if (begun.acquired || begun.record.state !== 'completed') fail(name, 'no replay');
    });
    const held = `${key}:held`;
    if (!(await store.begin({ key: held, fingerprint: FINGERPRINT, token: 'a', leaseMs: LEASE_MS })).acquired)
      fail(name, 'held key not acquired');
    await timed('conflict', record, async () => {
      const begun = await store.begin({ key: held, fingerprint: FINGERPRINT, token: 'b', leaseMs: LEASE_MS });
      if (begun.acquired || begun.record.state !== 'in_progress') fail(name, 'no conflict');
    });
    await store.release(held, 'a');
  }

  const stats = (step: StoreStep): StepStats => {
    const sorted = [...samples[step]].sort((a, b) => a - b);
    if (trips[step].size > 1) fail(name, `${step} took ${[...trips[step]].join(' or ')} round trips`);
    return {
      roundTrips: [...trips[step]][0] ?? null,
      medianMs: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      meanMs: sorted.reduce((sum, x) => sum + x, 0) / sorted.length,
      runs: sorted.length,
    };
  };
  const steps = { new: stats('new'), replay: stats('replay'), conflict: stats('conflict') };
  const clients = options.clients ?? 32;
  const perClient = options.requestsPerClient ?? 20;
  await throughput(store, clients, 2, (c, i) => `${run}-warm-${c}-${i}`, now);
  const distinctKeys = await throughput(store, clients, perClient, (c, i) => `${run}-d-${c}-${i}`, now);
  const hotKey = await throughput(store, clients, perClient, () => `${run}-hot`, now);
  return { store: name, steps, distinctKeys, hotKey };
}

/** `clients` loops, each sending `perClient` POSTs one after another through withIdempotency. */
async function throughput(
  store: IdempotencyStore,
  clients: number,
  perClient: number,
  keyOf: (client: number, i: number) => string,
  now: () => number,
): Promise<ThroughputStats> {
  const handler = withIdempotency(
    async (request: Request) => {
      await request.arrayBuffer();
      return new Response(RESPONSE.body as Uint8Array<ArrayBuffer>, {
        status: 201,
        headers: { 'content-type': 'application/json' },
      });
    },
    { store, leaseSeconds: 30 },
  );
  const body = JSON.stringify({ amount: 100, currency: 'EUR' });
  const outcomes: Record<string, number> = {};
  const start = now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < perClient; i++) {
        const response = await handler(
          new Request('https://bench.example/orders', {
            method: 'POST',
            body,
            headers: { 'idempotency-key': keyOf(c, i), 'content-type': 'application/json' },
          }),
        );
        await response.arrayBuffer();
        const label =
          response.headers.get('idempotent-replayed') === 'true' ? 'replayed' : String(response.status);
        outcomes[label] = (outcomes[label] ?? 0) + 1;
      }
    }),
  );
  const seconds = (now() - start) / 1000;
  const requests = clients * perClient;
  return { clients, requests, requestsPerSecond: requests / seconds, outcomes };
}
