/**
 * The consumer under test in `workers-queues`: `toQueueConsumer` with `DurableObjectStore`,
 * fed by miniflare's queue broker. Every delivery and every run is written to a `DeliveryLog`
 * object, which the test reads. A message with `crashBeforeAck` does its work on its first
 * delivery and then dies before acking (the isolate is lost after the record was completed),
 * so the broker delivers it again: the case the guard exists for.
 */
import { DurableObject } from 'cloudflare:workers';
import { type QueueMessage, toQueueConsumer } from '../../../adapters/cloudflare-queues.ts';
import { DurableObjectStore, IdempotencyObject } from '../../../src/stores/cloudflare/index.ts';

export { IdempotencyObject };

export interface OrderMessage {
  orderId: string;
  crashBeforeAck?: boolean;
  failOnFirstAttempt?: boolean;
}

export interface BrokerEnv {
  IDEMPOTENCY: DurableObjectNamespace<IdempotencyObject>;
  DELIVERY_LOG: DurableObjectNamespace<DeliveryLog>;
  ORDERS: Queue<OrderMessage>;
}

/** What happened to each order, in order: `delivered:<attempt>`, `ran:<attempt>`. */
export class DeliveryLog extends DurableObject {
  async record(orderId: string, event: string): Promise<void> {
    const events = (await this.ctx.storage.get<string[]>(orderId)) ?? [];
    await this.ctx.storage.put(orderId, [...events, event]);
  }

  async events(orderId: string): Promise<string[]> {
    return (await this.ctx.storage.get<string[]>(orderId)) ?? [];
  }
}

const log = (env: BrokerEnv) => env.DELIVERY_LOG.get(env.DELIVERY_LOG.idFromName('log'));

const fulfil = toQueueConsumer<OrderMessage, BrokerEnv, ExecutionContext>(
  async (message, env) => {
    if (message.body.failOnFirstAttempt && message.attempts === 1) throw new Error('carrier API down');
    await log(env).record(message.body.orderId, `ran:${message.attempts}`);
  },
  { store: (env) => new DurableObjectStore({ namespace: env.IDEMPOTENCY }), name: 'fulfil' },
);

/** The message as the consumer sees it, with ack and retry lost (the isolate died before them). */
function lostAcks(message: QueueMessage<OrderMessage>): QueueMessage<OrderMessage> {
  return {
    id: message.id,
    timestamp: message.timestamp,
    body: message.body,
    attempts: message.attempts,
    ack: () => undefined,
    retry: () => undefined,
  };
}

export default {
  async queue(batch, env, ctx) {
    for (const message of batch.messages) {
      await log(env).record(message.body.orderId, `delivered:${message.attempts}`);
    }
    if (batch.messages.some((message) => message.body.crashBeforeAck && message.attempts === 1)) {
      await fulfil({ queue: batch.queue, messages: batch.messages.map(lostAcks) }, env, ctx);
      throw new Error('the isolate died before acking');
    }
    await fulfil(batch, env, ctx);
  },
} satisfies ExportedHandler<BrokerEnv, OrderMessage>;
