import { env as anyEnv } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { BrokerEnv } from './worker.ts';

const env = anyEnv as unknown as BrokerEnv;
const log = () => env.DELIVERY_LOG.get(env.DELIVERY_LOG.idFromName('log'));

/** The order's log once it holds `last`, polled (the broker delivers on its own schedule). */
async function eventsUntil(orderId: string, last: string): Promise<string[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const events = await log().events(orderId);
    if (events.includes(last)) return events;
    if (Date.now() > deadline) throw new Error(`${orderId}: no "${last}" in ${JSON.stringify(events)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 2_500));

describe('toQueueConsumer behind a real queue (miniflare broker, workerd)', () => {
  it('runs a message sent through the producer once', async () => {
    const orderId = crypto.randomUUID();
    await env.ORDERS.send({ orderId });
    expect(await eventsUntil(orderId, 'ran:1')).toEqual(['delivered:1', 'ran:1']);
  });

  it('a message the broker delivers again after its work was done replays, and does not run again', async () => {
    const orderId = crypto.randomUUID();
    await env.ORDERS.send({ orderId, crashBeforeAck: true });
    await eventsUntil(orderId, 'delivered:2');
    await settle(); // a second run, if there were one, would log after the delivery
    expect(await log().events(orderId)).toEqual(['delivered:1', 'ran:1', 'delivered:2']);
  });

  it('a message that failed is retried by the broker and runs on its next delivery', async () => {
    const orderId = crypto.randomUUID();
    await env.ORDERS.send({ orderId, failOnFirstAttempt: true });
    expect(await eventsUntil(orderId, 'ran:2')).toEqual(['delivered:1', 'delivered:2', 'ran:2']);
    await settle();
    expect(await log().events(orderId)).toEqual(['delivered:1', 'delivered:2', 'ran:2']);
  });
});
