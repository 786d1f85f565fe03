/**
 * Our DynamoDBStore and @aws-lambda-powertools/idempotency side by side on one DynamoDB Local:
 * requests to DynamoDB and latency for a new request, a replay and a conflict, at two levels:
 * - "lambda": what a Lambda user writes. Ours: `toLambdaHandler(withIdempotency(handler))`;
 *   theirs: `makeIdempotent(handler)` keyed on the Idempotency-Key header and validating the
 *   body (our wrapper always compares the body). Same HTTP API (v2) event for both.
 * - "store": the persistence calls alone. Ours: `begin`/`complete`; theirs:
 *   `saveInProgress`/`saveSuccess` (which also hash the payload; ours get a ready fingerprint).
 * Both take turns on every iteration, so drift on the machine hits both alike.
 *
 *   npm run build && node bench/dynamodb-vs-powertools.ts [iterations]
 *
 * (`npm run build` because the core's `#sha256` import resolves into dist/.)
 */
import { fileURLToPath } from 'node:url';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { toLambdaHandler } from '../adapters/lambda/index.ts';
import { withIdempotency } from '../src/index.ts';
import { DynamoDBStore } from '../src/stores/dynamodb/index.ts';
import { type CallCounter, countCalls } from '../test/dynamodb/count-calls.ts';
import { createIdempotencyTable, startDynamoDBLocal } from '../test/dynamodb/dynamodb-local.ts';
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
function httpApiEvent(key: string) {
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

function ourLambda(client: DynamoDBClient, tableName: string, counter: CallCounter): Subject {
  const held = holds();
  const handler = toLambdaHandler(
    withIdempotency(
      async (request: Request) => {
        await held.wait(request.headers.get('idempotency-key') ?? undefined);
        await request.text();
        return new Response(RESULT, { status: 201, headers: { 'content-type': 'application/json' } });
      },
      { store: new DynamoDBStore({ client, tableName }) },
    ),
  );
  const invoke = async (key: string) =>
    (await handler(httpApiEvent(key), context)) as { statusCode: number; headers?: Record<string, string> };
  return {
    calls: () => counter.total,
    async fresh(key) {
      if ((await invoke(key)).statusCode !== 201) fail('ours: new request did not answer 201');
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

async function compare(level: Level, ours: Subject, theirs: Subject, iterations: number, warmup: number) {
  const samples = new Map<string, Array<{ ms: number; calls: number }>>();
  const record = (who: string, step: Step, sample: { ms: number; calls: number }, i: number) => {
    if (i < warmup) return;
    const name = `${who}:${step}`;
    samples.set(name, [...(samples.get(name) ?? []), sample]);
  };
  for (let i = 0; i < warmup + iterations; i++) {
    // Alternate who goes first, so neither always runs on a warmer connection.
    const order: Array<[string, Subject]> =
      i % 2
        ? [
            ['ours', ours],
            ['powertools', theirs],
          ]
        : [
            ['powertools', theirs],
            ['ours', ours],
          ];
    for (const [who, subject] of order) {
      const key = `bench-${level}-${who}-${i}-${crypto.randomUUID()}`;
      record(who, 'new', await measure(subject, () => subject.fresh(key)), i);
      record(who, 'replay', await measure(subject, () => subject.replay(key)), i);
      const release = await subject.hold(`${key}-held`);
      record(who, 'conflict', await measure(subject, () => subject.conflict(`${key}-held`)), i);
      await release();
    }
  }
  if (iterations === 0) return [];
  return STEPS.map((step): ComparisonRow => {
    const o = summarize(samples.get(`ours:${step}`) ?? []);
    const p = summarize(samples.get(`powertools:${step}`) ?? []);
    return {
      level,
      step,
      ours: o,
      powertools: p,
      medianRatio: o.medianMs / p.medianMs,
      p99Ratio: o.p99Ms / p.p99Ms,
    };
  });
}

/**
 * Start DynamoDB Local, create one table per library (each in its own schema: ours `pk`/`ttl`,
 * Powertools' default `id`/`expiration`), run both, stop DynamoDB Local, answer the rows.
 */
export async function compareWithPowertools({
  iterations = 300,
  warmup = 30,
} = {}): Promise<ComparisonRow[]> {
  const local = await startDynamoDBLocal();
  // One client per library, so each counter sees only that library's requests.
  const ourClient = local.client();
  const theirClient = local.client();
  try {
    const ourCalls = countCalls(ourClient);
    const theirCalls = countCalls(theirClient);
    const ourTable = await createIdempotencyTable(ourClient);
    const theirTable = await createIdempotencyTable(theirClient, {
      keyAttribute: 'id',
      ttlAttribute: 'expiration',
    });
    const subjects = [
      ['lambda', ourLambda(ourClient, ourTable, ourCalls), theirLambda(theirClient, theirTable, theirCalls)],
      [
        'store',
        ourStoreSubject(new DynamoDBStore({ client: ourClient, tableName: ourTable }), () => ourCalls.total),
        powertoolsStoreSubject(powertoolsLayer(theirClient, theirTable), () => theirCalls.total),
      ],
    ] as const;
    // DynamoDB Local is a JVM: warm every path up before measuring any, so the level that
    // happens to run first does not pay for the JIT.
    for (const [level, ours, theirs] of subjects) await compare(level, ours, theirs, 0, warmup);
    const rows: ComparisonRow[] = [];
    for (const [level, ours, theirs] of subjects)
      rows.push(...(await compare(level, ours, theirs, iterations, 0)));
    return rows;
  } finally {
    ourClient.destroy();
    theirClient.destroy();
    await local.stop();
  }
}

/** The rows as a Markdown table. */
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
  const rows = await compareWithPowertools({ iterations });
  console.log(
    `DynamoDBStore vs @aws-lambda-powertools/idempotency on DynamoDB Local, ${iterations} iterations each\n`,
  );
  console.log(formatComparison(rows));
}
