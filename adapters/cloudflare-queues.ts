import {
  IdempotencyConflictError,
  type IdempotencyStore,
  type IdempotentOptions,
  idempotent,
} from '../src/index.ts';
import { checkConcurrency, processBatch } from './process-batch.ts';

/** One message of a Cloudflare Queues batch; a Worker's `Message<Body>` fits it. */
export interface QueueMessage<Body = unknown> {
  /** Stays the same on every redelivery: the default idempotency key. */
  readonly id: string;
  readonly timestamp: Date;
  readonly body: Body;
  /** Grows on every delivery. */
  readonly attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

/** A batch as a Worker's `queue(batch, env, ctx)` handler gets it; `MessageBatch<Body>` fits it. */
export interface QueueBatch<Body = unknown> {
  readonly queue: string;
  readonly messages: readonly QueueMessage<Body>[];
}

/** Options of {@link toQueueConsumer}: those of `idempotent`, plus how a batch is run. */
export type QueueConsumerOptions<Body, Env> = Omit<
  IdempotentOptions<[QueueMessage<Body>], void>,
  'store' | 'serializer' | 'onDuplicate'
> & {
  /**
   * A message whose key is known: `'return'` (default) acks a done one and retries one still
   * running elsewhere; `'wait'` waits for that run (up to `waitTimeoutMs`). There is no
   * `'throw'`: it would retry every redelivery of a done message until it is dropped.
   */
  onDuplicate?: 'return' | 'wait';
  /** The store, or a function that builds it from `env` (e.g. a `DurableObjectStore`). */
  store: IdempotencyStore | ((env: Env) => IdempotencyStore);
  /** Most messages running at once. Default 10. */
  concurrency?: number;
  /**
   * Seconds before a failed message is delivered again (`message.retry({ delaySeconds })`, at
   * most 43,200). Default: the queue's own retry delay, except for a message whose key another
   * consumer still holds, which comes back when that holder's lease ends.
   */
  retryDelaySeconds?: number | ((error: unknown, message: QueueMessage<Body>) => number | undefined);
  /** Told of every message that failed, e.g. for logs. */
  onMessageError?: (error: unknown, message: QueueMessage<Body>) => void;
};

/** Cloudflare Queues' longest retry delay (12 hours). */
const MAX_DELAY_SECONDS = 43_200;

/**
 * A Cloudflare Queues `queue(batch, env, ctx)` handler that runs `fn` at most once per message
 * (key: `message.id`, or your `key(message)`), then acks each message that succeeded or was
 * already done and retries each one that failed. A redelivered message replays instead of
 * running; one whose key another consumer still runs is retried after that consumer's lease.
 * `fn` must not ack or retry messages itself. Records are stored under `name` (default
 * `'queue'`): give each consumer its own `name` or `prefix` when consumers share a store.
 *
 * @example
 * export default {
 *   queue: toQueueConsumer(async (message, env) => ship(message.body), {
 *     store: (env) => new DurableObjectStore({ namespace: env.IDEMPOTENCY }),
 *   }),
 * } satisfies ExportedHandler<Env>;
 */
export function toQueueConsumer<Body, Env, Ctx = unknown>(
  fn: (message: QueueMessage<Body>, env: Env, ctx: Ctx) => unknown,
  options: QueueConsumerOptions<Body, Env>,
): (batch: QueueBatch<Body>, env: Env, ctx: Ctx) => Promise<void> {
  const concurrency = checkConcurrency(options.concurrency);
  const { store, retryDelaySeconds, onMessageError, concurrency: _, ...guardOptions } = options;

  return async (batch, env, ctx) => {
    const once = idempotent(
      async (message: QueueMessage<Body>) => {
        await fn(message, env, ctx);
      },
      {
        ...guardOptions,
        store: typeof store === 'function' ? store(env) : store,
        name: options.name ?? 'queue',
        key: options.key ?? ((message: QueueMessage<Body>) => message.id),
      },
    );
    const outcomes = await processBatch(batch.messages, { concurrency, run: once });
    outcomes.forEach((outcome, index) => {
      const message = batch.messages[index] as QueueMessage<Body>;
      if (outcome.ok) {
        message.ack();
        return;
      }
      try {
        onMessageError?.(outcome.error, message);
      } catch {
        // Logging must never change which messages are retried.
      }
      const delay = delayFor(retryDelaySeconds, outcome.error, message);
      message.retry(delay === undefined ? undefined : { delaySeconds: delay });
    });
  };
}

function delayFor<Body>(
  option: QueueConsumerOptions<Body, unknown>['retryDelaySeconds'],
  error: unknown,
  message: QueueMessage<Body>,
): number | undefined {
  let seconds = typeof option === 'function' ? option(error, message) : option;
  if (seconds === undefined && error instanceof IdempotencyConflictError && error.state === 'in_progress') {
    seconds = error.retryAfterSeconds;
  }
  if (seconds === undefined || !Number.isFinite(seconds)) return undefined;
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(seconds)));
}
