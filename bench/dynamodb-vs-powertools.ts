/**
 * Our DynamoDBStore, on both transports (lean: no SDK, signed JSON over a keep-alive agent;
 * SDK: a `DynamoDBClient` passed as `client`), and @aws-lambda-powertools/idempotency side by
 * side on one DynamoDB Local: requests to DynamoDB and latency for a new request, a replay and
 * a conflict, at two levels:
 * - "lambda": what a Lambda user writes. Ours: `toLambdaHandler(withIdempotency(handler))`;
 *   theirs: `makeIdempotent(handler)` keyed on the Idempotency-Key header and validating the
 *   body (our wrapper always compares the body). Same HTTP API (v2) event for both.
 * - "store": the persistence calls alone. Ours: `begin`/`complete`; theirs:
 *   `saveInProgress`/`saveSuccess` (which also hash the payload; ours get a ready fingerprint).
 * All three take turns on every iteration, so drift on the machine hits them alike, and the
 * whole comparison is repeated (default 3 times): each ratio is the median of the repeats' ratios,
 * with their range. Note that Powertools does not fence its completion write (an unconditional
 * `UpdateItem`); ours is conditional on the lock token, which costs nothing measurable.
 *
 *   npm run build && node bench/dynamodb-vs-powertools.ts [iterations] [repeats]
 *
 * (`npm run build` because `#sha256` and `#dynamodb-runtime` resolve into dist/: the Node
 * versions, as an installed package gets them.)
 */
import diagnostics from 'node:diagnostics_channel';
import { fileURLToPath } from 'node:url';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { toLambdaHandler, withLambdaIdempotency } from '../adapters/lambda/index.ts';
import { withIdempotency } from '../src/index.ts';
import { DynamoDBStore } from '../src/stores/dynamodb/index.ts';
import type { IdempotencyStore } from '../src/types.ts';
import { type CallCounter, countCalls } from '../test/dynamodb/count-calls.ts';
import {
  createIdempotencyTable,
  LOCAL_CREDENTIALS,
  startDynamoDBLocal,
} from '../test/dynamodb/dynamodb-local.ts';
import {
  BODY,
  fail,
  ourStoreSubject,
  powertoolsStoreSubject,
  RESULT,
  type Subject,
} from './store-subjects.ts';

export type Step = 'new' | 'replay' | 'conflict';
export type Level = 'lambda' | 'store';

/** One implementation on one step. */
export interface StepMeasure {
  /** DynamoDB requests per step (the same every iteration, or the run fails). */
  calls: number;
  medianMs: number;
  p99Ms: number;
}

/** One step at one level: ours, theirs, and ours divided by theirs (below 1: we are faster). */
export interface ComparisonRow {
  level: Level;
  step: Step;
  ours: StepMeasure;
  powertools: StepMeasure;
  medianRatio: number;
  p99Ratio: number;
}

const context = {
  functionName: 'bench',
  awsRequestId: 'bench',
  getRemainingTimeInMillis: () => 30_000,
} as const;

/** An API Gateway HTTP API (payload 2.0) event, as AWS documents it. */
export function httpApiEvent(key: string) {
  return {
    version: '2.0',
    routeKey: 'POST /orders',
    rawPath: '/orders',
    rawQueryString: '',
    headers: {
      'content-type': 'application/json',
      host: 'abc123.execute-api.us-east-1.amazonaws.com',
      'idempotency-key': key,
      authorization: 'Bearer bench-user',
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: {
        method: 'POST',
        path: '/orders',
        protocol: 'HTTP/1.1',
        sourceIp: '198.51.100.7',
        userAgent: 'bench',
      },
      requestId: 'bench',
      routeKey: 'POST /orders',
      stage: '$default',
      time: '23/Nov/2026:13:05:00 +0000',
      timeEpoch: 1795439100000,
    },
    body: BODY,
    isBase64Encoded: false,
  };
}

/** Requests held in progress: the handler waits here until the bench lets it go. */
function holds() {
  const waiting = new Map<string, { entered: () => void; released: Promise<void> }>();
  return {
    async wait(key: string | undefined) {
      const hold = key === undefined ? undefined : waiting.get(key);
      if (!hold) return;
      hold.entered();
      await hold.released;
    },
    async hold(key: string, start: () => Promise<unknown>) {
      let release = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      const entered = new Promise<void>((resolve) => waiting.set(key, { entered: resolve, released }));
      const running = start();
      await entered;
      return async () => {
        release();
        await running;
        waiting.delete(key);
      };
    },
  };
}

/** Ours at the Lambda level: the fetch path, or (`native`) withLambdaIdempotency. */
function ourLambda(store: IdempotencyStore, calls: () => number, native = false): Subject {
  const held = holds();
  const handler = native
    ? withLambdaIdempotency(
        async (event: ReturnType<typeof httpApiEvent>) => {
          await held.wait(event.headers['idempotency-key']);
          JSON.parse(event.body);
          return { statusCode: 201, headers: { 'content-type': 'application/json' }, body: RESULT };
        },
        { store },
      )
    : toLambdaHandler(
        withIdempotency(
          async (request: Request) => {
            await held.wait(request.headers.get('idempotency-key') ?? undefined);
            await request.json();
            return new Response(RESULT, { status: 201, headers: { 'content-type': 'application/json' } });
          },
          { store },
        ),
      );
  const invoke = async (key: string) =>
    (await handler(httpApiEvent(key), context)) as { statusCode: number; headers?: Record<string, string> };
  return {
    calls,
    async fresh(key) {
      {
        const r = await invoke(key);
        if (r.statusCode !== 201) fail(`ours: new request did not answer 201: ${JSON.stringify(r)}`);
      }
    },
    async replay(key) {
      const result = await invoke(key);
      if (result.statusCode !== 201 || result.headers?.['idempotent-replayed'] !== 'true')
        fail('ours: no replay');
    },
    hold: (key) => held.hold(key, () => invoke(key)),
    async conflict(key) {
      if ((await invoke(key)).statusCode !== 409) fail('ours: conflict did not answer 409');
    },
  };
}

function powertoolsLayer(client: DynamoDBClient, tableName: string) {
  return new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: client });
}

function theirLambda(client: DynamoDBClient, tableName: string, counter: CallCounter): Subject {
  const held = holds();
  const handler = makeIdempotent(
    async (event: ReturnType<typeof httpApiEvent>, _context: typeof context) => {
      await held.wait(event.headers['idempotency-key']);
      JSON.parse(event.body);
      return { statusCode: 201, headers: { 'content-type': 'application/json' }, body: RESULT };
    },
    {
      persistenceStore: powertoolsLayer(client, tableName),
      config: new IdempotencyConfig({
        eventKeyJmesPath: 'headers."idempotency-key"',
        payloadValidationJmesPath: 'body',
        throwOnNoIdempotencyKey: true,
      }),
    },
  );
  const invoke = (key: string) => handler(httpApiEvent(key), context);
  return {
    calls: () => counter.total,
    async fresh(key) {
      if ((await invoke(key)).statusCode !== 201) fail('powertools: new request did not answer 201');
    },
    async replay(key) {
      if ((await invoke(key)).body !== RESULT) fail('powertools: no replay');
    },
    hold: (key) => held.hold(key, () => invoke(key)),
    async conflict(key) {
      const error = await invoke(key).then(
        () => null,
        (e: Error) => e,
      );
      if (error?.name !== 'IdempotencyAlreadyInProgressError')
        fail(`powertools: conflict gave ${error?.name}`);
    },
  };
}

/** Run `step` and answer its latency in ms and the DynamoDB requests it made. */
async function measure(subject: Subject, run: () => Promise<void>): Promise<{ ms: number; calls: number }> {
  const calls = subject.calls();
  const start = performance.now();
  await run();
  return { ms: performance.now() - start, calls: subject.calls() - calls };
}

function summarize(samples: Array<{ ms: number; calls: number }>): StepMeasure {
  const calls = new Set(samples.map((s) => s.calls));
  if (calls.size !== 1) fail(`calls per step varied: ${[...calls].join(', ')}`);
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.ceil(q * ms.length) - 1)] as number;
  return { calls: [...calls][0] as number, medianMs: at(0.5), p99Ms: at(0.99) };
}

const STEPS: Step[] = ['new', 'replay', 'conflict'];

/** The sides, in table order; the last is the baseline of every ratio. */
export const SIDES = ['ours (lean, Lambda-native)', 'ours (lean)', 'ours (SDK)', 'Powertools'] as const;
export type Side = (typeof SIDES)[number];
type Ours = Exclude<Side, 'Powertools'>;

/** Run every side through the three steps, taking turns; answers each side's steps. */
async function compare(sides: Partial<Record<Side, Subject>>, iterations: number, warmup: number) {
  const samples = new Map<string, Array<{ ms: number; calls: number }>>();
  const record = (who: Side, step: Step, sample: { ms: number; calls: number }, i: number) => {
    if (i < warmup) return;
    const name = `${who}:${step}`;
    samples.set(name, [...(samples.get(name) ?? []), sample]);
  };
  for (let i = 0; i < warmup + iterations; i++) {
    // Rotate who goes first, so no side always runs on a warmer connection.
    const present = SIDES.filter((who) => sides[who] !== undefined);
    const order = present.map((_, at) => present[(at + i) % present.length] as Side);
    for (const who of order) {
      const subject = sides[who] as Subject;
      const key = `bench-${SIDES.indexOf(who)}-${i}-${crypto.randomUUID()}`;
      record(who, 'new', await measure(subject, () => subject.fresh(key)), i);
      record(who, 'replay', await measure(subject, () => subject.replay(key)), i);
      const release = await subject.hold(`${key}-held`);
      record(who, 'conflict', await measure(subject, () => subject.conflict(`${key}-held`)), i);
      await release();
    }
  }
  return (who: Side, step: Step) => summarize(samples.get(`${who}:${step}`) ?? []);
}

/** A ratio over repeats: the median of the repeats' ratios, and their range. */
export interface Ratio {
  median: number;
  min: number;
  max: number;
}

/** One step at one level, every side, over all repeats. */
export interface DynamoDBRow {
  level: Level;
  step: Step;
  /** Per side: calls, and the median over repeats of each repeat's median and p99 (the Lambda-native side only at the Lambda level). */
  sides: Partial<Record<Side, StepMeasure>>;
  /** Ours / Powertools, medians (below 1: we are faster). */
  ratios: Partial<Record<Ours, Ratio>>;
}

const middle = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
};

/**
 * Start DynamoDB Local, create one table per library (each in its own schema: ours `pk`/`ttl`,
 * Powertools' default `id`/`expiration`), run all sides `repeats` times, stop DynamoDB Local.
 */
export async function compareWithPowertools({
  iterations = 300,
  warmup = 30,
  repeats = 3,
} = {}): Promise<DynamoDBRow[]> {
  const local = await startDynamoDBLocal();
  // One client per SDK side, so each counter sees only that side's requests; the lean side's
  // requests are the node:http requests without the SDK's x-amz-user-agent header.
  const sdkClient = local.client();
  const theirClient = local.client();
  let leanCalls = 0;
  const countLean = ({ request }: { request: { getHeader(name: string): unknown } }) => {
    if (request.getHeader('x-amz-target') && !request.getHeader('x-amz-user-agent')) leanCalls++;
  };
  diagnostics.subscribe('http.client.request.start', countLean as (message: unknown) => void);
  try {
    const sdkCalls = countCalls(sdkClient);
    const theirCalls = countCalls(theirClient);
    const ourTable = await createIdempotencyTable(sdkClient);
    const theirTable = await createIdempotencyTable(theirClient, {
      keyAttribute: 'id',
      ttlAttribute: 'expiration',
    });
    const lean = new DynamoDBStore({
      tableName: ourTable,
      endpoint: local.endpoint,
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
    });
    const sdk = new DynamoDBStore({ client: sdkClient, tableName: ourTable });
    const levels: Array<[Level, Partial<Record<Side, Subject>>]> = [
      [
        'lambda',
        {
          'ours (lean, Lambda-native)': ourLambda(lean, () => leanCalls, true),
          'ours (lean)': ourLambda(lean, () => leanCalls),
          'ours (SDK)': ourLambda(sdk, () => sdkCalls.total),
          Powertools: theirLambda(theirClient, theirTable, theirCalls),
        },
      ],
      [
        'store',
        {
          'ours (lean)': ourStoreSubject(lean, () => leanCalls),
          'ours (SDK)': ourStoreSubject(sdk, () => sdkCalls.total),
          Powertools: powertoolsStoreSubject(
            powertoolsLayer(theirClient, theirTable),
            () => theirCalls.total,
          ),
        },
      ],
    ];
    // DynamoDB Local is a JVM: warm every path up before measuring any, so the level that
    // happens to run first does not pay for the JIT.
    for (const [, sides] of levels) await compare(sides, 0, warmup);
    const runs: Array<Map<Level, Awaited<ReturnType<typeof compare>>>> = [];
    for (let repeat = 0; repeat < repeats; repeat++) {
      const run = new Map<Level, Awaited<ReturnType<typeof compare>>>();
      for (const [level, sides] of levels) run.set(level, await compare(sides, iterations, 0));
      runs.push(run);
    }
    return levels.flatMap(([level]) =>
      STEPS.map((step): DynamoDBRow => {
        const per = (who: Side) =>
          runs.map((run) => (run.get(level) as Awaited<ReturnType<typeof compare>>)(who, step));
        const present = SIDES.filter((who) => levels.find(([at]) => at === level)?.[1][who]);
        const sides = Object.fromEntries(
          present.map((who) => {
            const measures = per(who);
            return [
              who,
              {
                calls: measures[0]?.calls ?? 0,
                medianMs: middle(measures.map((m) => m.medianMs)),
                p99Ms: middle(measures.map((m) => m.p99Ms)),
              },
            ];
          }),
        ) as Partial<Record<Side, StepMeasure>>;
        const baseline = per('Powertools');
        const ratio = (who: Ours): Ratio => {
          const values = per(who).map((m, at) => m.medianMs / (baseline[at] as StepMeasure).medianMs);
          return { median: middle(values), min: Math.min(...values), max: Math.max(...values) };
        };
        return {
          level,
          step,
          sides,
          ratios: Object.fromEntries(
            present.filter((who): who is Ours => who !== 'Powertools').map((who) => [who, ratio(who)]),
          ),
        };
      }),
    );
  } finally {
    diagnostics.unsubscribe('http.client.request.start', countLean as (message: unknown) => void);
    sdkClient.destroy();
    theirClient.destroy();
    await local.stop();
  }
}

/** The three-sided DynamoDB rows as a Markdown table. */
export function formatDynamoDBComparison(rows: readonly DynamoDBRow[]): string {
  const ms = (n: number | undefined) => (n === undefined ? '—' : n.toFixed(2));
  const ratio = (r: Ratio | undefined) =>
    r ? `${r.median.toFixed(2)} (${r.min.toFixed(2)}–${r.max.toFixed(2)})` : '—';
  return [
    '| level | step | calls native / lean / SDK / Powertools | median ms native / lean / SDK / Powertools | p99 ms native / lean / SDK / Powertools | native / Powertools (range) | lean / Powertools (range) | SDK / Powertools (range) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => {
      const each = (pick: (m: StepMeasure) => string) =>
        SIDES.map((who) => {
          const m = r.sides[who];
          return m ? pick(m) : '—';
        }).join(' / ');
      return (
        `| ${r.level} | ${r.step} | ${each((m) => String(m.calls))} | ${each((m) => ms(m.medianMs))} | ` +
        `${each((m) => ms(m.p99Ms))} | ${ratio(r.ratios['ours (lean, Lambda-native)'])} | ${ratio(r.ratios['ours (lean)'])} | ${ratio(r.ratios['ours (SDK)'])} |`
      );
    }),
  ].join('\n');
}

/** Two-sided rows (ours / Powertools) as a Markdown table; the Redis comparison uses it. */
export function formatComparison(rows: readonly ComparisonRow[]): string {
  const ms = (n: number) => n.toFixed(2);
  const lines = [
    '| level | step | calls ours / Powertools | median ms ours / Powertools | p99 ms ours / Powertools | median ratio | p99 ratio |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.level} | ${r.step} | ${r.ours.calls} / ${r.powertools.calls} | ${ms(r.ours.medianMs)} / ${ms(r.powertools.medianMs)} | ` +
        `${ms(r.ours.p99Ms)} / ${ms(r.powertools.p99Ms)} | ${r.medianRatio.toFixed(2)} | ${r.p99Ratio.toFixed(2)} |`,
    ),
  ];
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const iterations = Number(process.argv[2] ?? 300);
  const repeats = Number(process.argv[3] ?? 3);
  const rows = await compareWithPowertools({ iterations, repeats });
  console.log(
    `DynamoDBStore (lean, SDK) vs @aws-lambda-powertools/idempotency on DynamoDB Local, ${iterations} iterations per side, ${repeats} repeats\n`,
  );
  console.log(formatDynamoDBComparison(rows));
}
