/**
 * Our UpstashStore and Powertools' CachePersistenceLayer on the same redis-server, at the
 * store level (`begin`/`complete` against `saveInProgress`/`saveSuccess`), new / replay /
 * conflict, turns alternating on every iteration.
 *
 * The transports differ, and the figures say so: Powertools speaks RESP over one TCP connection
 * (`@redis/client`); UpstashStore speaks the Upstash REST API over HTTP, here through the test
 * REST server (a Node process hop on loopback that turns each request into Redis commands), as
 * it does against Upstash from a Worker or a Lambda without a TCP client. "Calls" are Redis
 * client commands for Powertools and HTTP requests for ours: one round trip each.
 *
 *   npm run build && node bench/redis-vs-powertools.ts [iterations]
 */
import { fileURLToPath } from 'node:url';
import { CachePersistenceLayer } from '@aws-lambda-powertools/idempotency/cache';
import { createClient } from '@redis/client';
import { UpstashStore } from '../src/stores/upstash/index.ts';
import { startUpstashBackend } from '../test/upstash/backend.ts';
import {
  type ComparisonRow,
  formatComparison,
  type Step,
  type StepMeasure,
} from './dynamodb-vs-powertools.ts';
import { percentile } from './store-steps.ts';
import { fail, ourStoreSubject, powertoolsStoreSubject, type Subject } from './store-subjects.ts';

const STEPS: Step[] = ['new', 'replay', 'conflict'];

/** The comparison rows, and the transport floor: one `GET` by each client, median ms. */
export interface RedisComparison {
  rows: ComparisonRow[];
  floor: { oursMs: number; powertoolsMs: number; runs: number };
}

export async function compareRedisWithPowertools({
  iterations = 300,
  warmup = 30,
} = {}): Promise<RedisComparison> {
  const backend = await startUpstashBackend();
  const redis = createClient({ socket: { host: '127.0.0.1', port: backend.redisServer.port } });
  try {
    await redis.connect();
    let commands = 0;
    // The three commands the layer uses, counted: each is one round trip on the connection.
    const counted = <T>(command: () => Promise<T>) => {
      commands++;
      return command();
    };
    const client = {
      get: (name: string) => counted(() => redis.get(name)),
      set: (name: string, value: string, options?: object) =>
        counted(() => redis.set(name, value, options as Parameters<typeof redis.set>[2])),
      del: (keys: string[]) => counted(() => redis.del(keys)),
    };
    const subjects: Array<[string, Subject]> = [
      [
        'ours',
        ourStoreSubject(
          new UpstashStore({ redis: backend.client(), timeoutMs: 30_000 }),
          () => backend.rest.requests,
        ),
      ],
      ['powertools', powertoolsStoreSubject(new CachePersistenceLayer({ client }), () => commands)],
    ];
    const samples = new Map<string, Array<{ ms: number; calls: number }>>();
    const upstash = backend.client();
    const floor = { ours: [] as number[], powertools: [] as number[] };
    const measure = async (
      who: string,
      step: Step,
      subject: Subject,
      run: () => Promise<void>,
      keep: boolean,
    ) => {
      const calls = subject.calls();
      const start = performance.now();
      await run();
      const sample = { ms: performance.now() - start, calls: subject.calls() - calls };
      if (keep) samples.set(`${who}:${step}`, [...(samples.get(`${who}:${step}`) ?? []), sample]);
    };
    for (let i = 0; i < warmup + iterations; i++) {
      const order = i % 2 ? subjects : [...subjects].reverse();
      for (const [who, subject] of order) {
        const key = `bench-redis-${who}-${i}-${crypto.randomUUID()}`;
        const keep = i >= warmup;
        await measure(who, 'new', subject, () => subject.fresh(key), keep);
        await measure(who, 'replay', subject, () => subject.replay(key), keep);
        await subject.hold(`${key}-held`);
        await measure(who, 'conflict', subject, () => subject.conflict(`${key}-held`), keep);
      }
      let start = performance.now();
      await upstash.get('bench-floor');
      if (i >= warmup) floor.ours.push(performance.now() - start);
      start = performance.now();
      await redis.get('bench-floor');
      if (i >= warmup) floor.powertools.push(performance.now() - start);
    }
    const summarize = (who: string, step: Step): StepMeasure => {
      const list = samples.get(`${who}:${step}`) ?? [];
      const calls = new Set(list.map((s) => s.calls));
      if (calls.size !== 1) fail(`${who} ${step}: calls per step varied: ${[...calls].join(', ')}`);
      const ms = list.map((s) => s.ms).sort((a, b) => a - b);
      return { calls: [...calls][0] as number, medianMs: percentile(ms, 0.5), p99Ms: percentile(ms, 0.99) };
    };
    const rows = STEPS.map((step): ComparisonRow => {
      const o = summarize('ours', step);
      const p = summarize('powertools', step);
      return {
        level: 'store',
        step,
        ours: o,
        powertools: p,
        medianRatio: o.medianMs / p.medianMs,
        p99Ratio: o.p99Ms / p.p99Ms,
      };
    });
    const median = (xs: number[]) =>
      percentile(
        [...xs].sort((a, b) => a - b),
        0.5,
      );
    return {
      rows,
      floor: { oursMs: median(floor.ours), powertoolsMs: median(floor.powertools), runs: floor.ours.length },
    };
  } finally {
    await redis.close().catch(() => {});
    await backend.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const iterations = Number(process.argv[2] ?? 300);
  const { rows, floor } = await compareRedisWithPowertools({ iterations });
  console.log(formatComparison(rows));
  console.log(
    `\nOne GET: ${floor.oursMs.toFixed(2)} ms over REST, ${floor.powertoolsMs.toFixed(2)} ms over RESP/TCP`,
  );
}
