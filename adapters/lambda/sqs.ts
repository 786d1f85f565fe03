import { IdempotencyError, type IdempotentOptions, idempotent } from '../../src/index.ts';
import { checkConcurrency, processBatch } from '../process-batch.ts';
import type { SqsBatchResponse, SqsEvent, SqsRecord } from './sqs-types.ts';
import type { LambdaContextLike } from './types.ts';

/** The event is not an SQS event (no `Records`, or a record without a `messageId`). */
export class MalformedSqsEventError extends IdempotencyError {
  override name = 'MalformedSqsEventError';
}

/** Options of {@link toSqsHandler}: those of `idempotent`, plus how a batch is run. */
export type SqsHandlerOptions = Omit<IdempotentOptions<[SqsRecord], void>, 'serializer' | 'onDuplicate'> & {
  /**
   * A message whose key is known: `'return'` (default) counts a done one as done and fails one
   * still running elsewhere; `'wait'` waits for that run (up to `waitTimeoutMs`). There is no
   * `'throw'`: it would fail every redelivery of a done message until the dead-letter queue.
   */
  onDuplicate?: 'return' | 'wait';
  /**
   * Most messages run at once. Default 10. On a FIFO queue, the messages of one
   * `MessageGroupId` always run one after another, in order.
   */
  concurrency?: number;
  /** Told of every message that failed (its error, or why it was not run), e.g. for logs. */
  onMessageError?: (error: unknown, record: SqsRecord) => void;
};

/** A Lambda handler for SQS events that answers a partial batch response. */
export type SqsHandler<C extends LambdaContextLike = LambdaContextLike> = (
  event: SqsEvent,
  context: C,
) => Promise<SqsBatchResponse>;

/**
 * Turn a per-message function into a Lambda handler for SQS events that runs each message at
 * most once per key, and reports the messages that failed in `batchItemFailures`, so a
 * redelivered batch replays the messages already done and runs only the others.
 *
 * - Key: the `messageId` (the same on every redelivery), or your `key(record)`, e.g. a FIFO
 *   `MessageDeduplicationId` or a business id from the body. It decides alone: the new
 *   `receiptHandle` and `ApproximateReceiveCount` of a redelivery are never compared.
 * - A message that throws, or whose key another consumer still holds (in progress), is
 *   reported failed and comes back after the visibility timeout.
 * - FIFO queues (`.fifo`): messages of one `MessageGroupId` run in order, and after one fails
 *   the rest of its group is reported failed without running, as AWS requires to keep the
 *   order (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
 * - The lease is capped at the invocation's remaining time: a timed-out invocation frees its
 *   keys.
 *
 * The function's results are not kept (a message is done or not); records are stored under
 * `name` (default `'sqs'`): give each consumer its own `name` or `prefix` when two consumers
 * share a store and their keys could meet.
 *
 * @example
 * export const handler = toSqsHandler(async (record) => ship(JSON.parse(record.body)), { store });
 */
export function toSqsHandler<C extends LambdaContextLike>(
  fn: (record: SqsRecord, context: C) => unknown,
  options: SqsHandlerOptions,
): SqsHandler<C> {
  const concurrency = checkConcurrency(options.concurrency);
  const { onMessageError, concurrency: _, ...rest } = options;
  const guardOptions = {
    ...rest,
    name: options.name ?? 'sqs',
    key: options.key ?? ((record: SqsRecord) => record.messageId),
  };
  const leaseSeconds = options.leaseSeconds ?? 60;
  // The guard is built per invocation (its lease follows the time left); built once here too,
  // so options that cannot work fail when the module loads, not on every message.
  idempotent(async (_record: SqsRecord) => undefined, guardOptions);

  return async (event, context) => {
    const records = recordsOf(event);
    const remainingSeconds =
      typeof context?.getRemainingTimeInMillis === 'function'
        ? context.getRemainingTimeInMillis() / 1000
        : Number.POSITIVE_INFINITY;
    const once = idempotent(
      async (record: SqsRecord) => {
        await fn(record, context);
      },
      { ...guardOptions, leaseSeconds: Math.max(1, Math.min(leaseSeconds, remainingSeconds)) },
    );
    const outcomes = await processBatch(records, {
      concurrency,
      groupOf: (record) =>
        record.eventSourceARN?.endsWith('.fifo') ? (record.attributes?.MessageGroupId ?? '') : undefined,
      run: once,
    });
    const batchItemFailures: SqsBatchResponse['batchItemFailures'] = [];
    outcomes.forEach((outcome, index) => {
      if (outcome.ok) return;
      const record = records[index] as SqsRecord;
      batchItemFailures.push({ itemIdentifier: record.messageId });
      try {
        onMessageError?.(outcome.error, record);
      } catch {
        // Logging must never change which messages are retried.
      }
    });
    return { batchItemFailures };
  };
}

function recordsOf(event: SqsEvent): SqsRecord[] {
  const records = (event as Partial<SqsEvent> | null)?.Records;
  if (!Array.isArray(records)) throw new MalformedSqsEventError('the event has no Records: not an SQS event');
  for (const record of records) {
    // Without a messageId, a failure could not be reported: the whole batch must fail instead.
    if (typeof record?.messageId !== 'string' || record.messageId === '') {
      throw new MalformedSqsEventError('an SQS record has no messageId');
    }
  }
  return records;
}
