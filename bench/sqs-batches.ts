/**
 * What `toSqsHandler` costs per SQS batch on DynamoDB Local: DynamoDB requests per message and
 * batch latency for a new batch, the same batch redelivered, and a batch with one message that
 * throws; beside the same per-message function unguarded (no store calls) as the baseline.
 * Batches of 10 (Lambda's default batch size), the handler's default concurrency (10), and the
 * same new batch at concurrency 1 to show what running messages in parallel buys.
 *
 *   npm run build && node bench/sqs-batches.ts [batches]
 */
import { fileURLToPath } from 'node:url';
import { type SqsEvent, type SqsRecord, toSqsHandler } from '../adapters/lambda/index.ts';
import { DynamoDBStore } from '../src/stores/dynamodb/index.ts';
import { countCalls } from '../test/dynamodb/count-calls.ts';
import { createIdempotencyTable, startDynamoDBLocal } from '../test/dynamodb/dynamodb-local.ts';
import { percentile } from './store-steps.ts';

const BATCH_SIZE = 10;

export interface SqsBatchRow {
  case: string;
  /** DynamoDB requests per message: the same on every batch, or the run fails. */
  callsPerMessage: number;
  medianMs: number;
  p99Ms: number;
  batches: number;
}

function batch(): SqsEvent {
  return {
    Records: Array.from({ length: BATCH_SIZE }, (_, i): SqsRecord => {
      const body = JSON.stringify({ orderId: `order-${i}`, amount: 100 + i });
      return {
        messageId: crypto.randomUUID(),
        receiptHandle: `AQEB${crypto.randomUUID()}`,
        body,
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(Date.now()),
          SenderId: 'AIDAIENQZJOLO23YVJ4VO',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:orders',
        awsRegion: 'us-east-1',
      };
    }),
  };
}

function redelivered(event: SqsEvent): SqsEvent {
  return {
    Records: event.Records.map((record) => ({
      ...record,
      receiptHandle: `AQEB${crypto.randomUUID()}`,
      attributes: { ...record.attributes, ApproximateReceiveCount: '2' },
    })),
  };
}

const context = { getRemainingTimeInMillis: () => 30_000 };

/** Batches through `toSqsHandler` on DynamoDB Local, each case timed over `batches` runs. */
export async function benchSqsBatches(batches = 50): Promise<SqsBatchRow[]> {
  const local = await startDynamoDBLocal();
  const client = local.client();
  try {
    const calls = countCalls(client);
    const store = new DynamoDBStore({ client, tableName: await createIdempotencyTable(client) });
    // The per-message work: parse the body, as a consumer does before its side effect.
    const work = async (record: SqsRecord) => {
      JSON.parse(record.body);
    };
    const poisoned = new Set<string>();
    const failing = async (record: SqsRecord) => {
      if (poisoned.has(record.messageId)) throw new Error('poisoned');
      JSON.parse(record.body);
    };
    const unguarded = async (event: SqsEvent) => {
      await Promise.all(event.Records.map(work));
      return { batchItemFailures: [] };
    };
    const guarded = toSqsHandler(work, { store });
    const serial = toSqsHandler(work, { store, concurrency: 1 });
    const withFailure = toSqsHandler(failing, { store });

    const rows: SqsBatchRow[] = [];
    const measure = async (
      name: string,
      prepare: () => SqsEvent | Promise<SqsEvent>,
      run: (event: SqsEvent) => Promise<{ batchItemFailures: unknown[] }>,
      expectedFailures: number,
    ) => {
      const samples: number[] = [];
      const perMessage = new Set<number>();
      for (let i = 0; i < batches + 5; i++) {
        const event = await prepare();
        const before = calls.total;
        const started = performance.now();
        const response = await run(event);
        const elapsed = performance.now() - started;
        if (response.batchItemFailures.length !== expectedFailures) {
          throw new Error(
            `bench sanity check failed (${name}): ${response.batchItemFailures.length} failures`,
          );
        }
        if (i < 5) continue; // warm-up
        samples.push(elapsed);
        perMessage.add((calls.total - before) / BATCH_SIZE);
      }
      if (perMessage.size !== 1) throw new Error(`bench sanity check failed (${name}): calls varied`);
      samples.sort((a, b) => a - b);
      rows.push({
        case: name,
        callsPerMessage: [...perMessage][0] as number,
        medianMs: percentile(samples, 0.5),
        p99Ms: percentile(samples, 0.99),
        batches,
      });
    };

    // The JVM behind DynamoDB Local needs a long warm-up before its figures settle.
    for (let i = 0; i < 40; i++) {
      const event = batch();
      await guarded(event, context);
      await guarded(redelivered(event), context);
    }
    await measure('unguarded (baseline)', batch, unguarded, 0);
    await measure('new batch', batch, (event) => guarded(event, context), 0);
    await measure('new batch, concurrency 1', batch, (event) => serial(event, context), 0);
    await measure(
      'redelivered batch (all done)',
      async () => {
        const event = batch();
        await guarded(event, context);
        return redelivered(event);
      },
      (event) => guarded(event, context),
      0,
    );
    await measure(
      'new batch, one message throws',
      () => {
        const event = batch();
        poisoned.add(event.Records[3]?.messageId as string);
        return event;
      },
      (event) => withFailure(event, context),
      1,
    );
    return rows;
  } finally {
    client.destroy();
    await local.stop();
  }
}

export function formatSqsBatches(rows: readonly SqsBatchRow[]): string {
  return [
    `| case (batches of ${BATCH_SIZE}) | DynamoDB requests per message | median ms per batch | p99 ms | batches |`,
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.case} | ${r.callsPerMessage} | ${r.medianMs.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${r.batches} |`,
    ),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(formatSqsBatches(await benchSqsBatches(Number(process.argv[2] ?? 50))));
}
