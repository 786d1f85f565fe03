/**
 * The per-store bench on Node (bench/store-steps.ts): MemoryStore, UpstashStore through the
 * Upstash-compatible REST server in front of a real redis-server, and DynamoDBStore on
 * DynamoDB Local; all on loopback, each backend started and stopped here.
 *
 *   npm run build && node bench/stores.ts [iterations]
 */
import { fileURLToPath } from 'node:url';
import { DynamoDBStore } from '../src/stores/dynamodb/index.ts';
import { MemoryStore } from '../src/stores/memory.ts';
import { UpstashStore } from '../src/stores/upstash/index.ts';
import { countCalls } from '../test/dynamodb/count-calls.ts';
import { createIdempotencyTable, startDynamoDBLocal } from '../test/dynamodb/dynamodb-local.ts';
import { startUpstashBackend } from '../test/upstash/backend.ts';
import { benchStore, type StoreBenchResult, type StoreStep } from './store-steps.ts';

export async function benchMemory(iterations = 200): Promise<StoreBenchResult> {
  return benchStore({
    name: 'memory',
    store: new MemoryStore({ maxEntries: 100_000 }),
    roundTrips: () => null,
    iterations,
    // Fast enough that 20 requests per client would time mostly the start-up of the loop.
    requestsPerClient: 100,
  });
}

export async function benchUpstash(iterations = 200): Promise<StoreBenchResult> {
  const backend = await startUpstashBackend();
  try {
    const store = new UpstashStore({ redis: backend.client(), timeoutMs: 30_000 });
    const result = await benchStore({
      name: 'upstash',
      store,
      roundTrips: () => backend.rest.requests,
      iterations,
    });
    result.note = 'HTTP requests counted at the REST server; one Redis script or command each';
    return result;
  } finally {
    await backend.stop();
  }
}

export async function benchDynamoDB(iterations = 200): Promise<StoreBenchResult> {
  const local = await startDynamoDBLocal();
  const client = local.client();
  try {
    const calls = countCalls(client);
    const tableName = await createIdempotencyTable(client);
    const store = new DynamoDBStore({ client, tableName });
    // The JVM behind DynamoDB Local needs a longer warm-up than the other backends.
    const result = await benchStore({
      name: 'dynamodb',
      store,
      roundTrips: () => calls.total,
      iterations,
      warmup: 60,
    });
    result.note = 'SDK requests counted by a middleware inside the retry loop';
    return result;
  } finally {
    client.destroy();
    await local.stop();
  }
}

const STEPS: StoreStep[] = ['new', 'replay', 'conflict'];

/** Round trips and latency per step, one row per store and step. */
export function formatStoreSteps(results: readonly StoreBenchResult[]): string {
  const ms = (n: number) => (n < 0.1 ? n.toFixed(4) : n.toFixed(2));
  return [
    '| store | step | round trips | median ms | p99 ms | mean ms | runs |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...results.flatMap((r) =>
      STEPS.map((step) => {
        const s = r.steps[step];
        return `| ${r.store} | ${step} | ${s.roundTrips ?? '— (no backend)'} | ${ms(s.medianMs)} | ${ms(s.p99Ms)} | ${ms(s.meanMs)} | ${s.runs} |`;
      }),
    ),
  ].join('\n');
}

/** Throughput with concurrent clients, one row per store and key pattern. */
export function formatThroughput(results: readonly StoreBenchResult[]): string {
  const outcome = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ');
  return [
    '| store | keys | clients | requests | req/s | outcomes |',
    '| --- | --- | ---: | ---: | ---: | --- |',
    ...results.flatMap((r) =>
      (
        [
          ['distinct', r.distinctKeys],
          ['one hot key', r.hotKey],
        ] as const
      ).map(
        ([keys, t]) =>
          `| ${r.store} | ${keys} | ${t.clients} | ${t.requests} | ${t.requestsPerSecond.toFixed(0)} | ${outcome(t.outcomes)} |`,
      ),
    ),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const iterations = Number(process.argv[2] ?? 200);
  const results = [
    await benchMemory(iterations),
    await benchUpstash(iterations),
    await benchDynamoDB(iterations),
  ];
  console.log(formatStoreSteps(results));
  console.log();
  console.log(formatThroughput(results));
}
