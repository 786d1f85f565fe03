import { readFileSync } from 'node:fs';
import type { SqsEvent, SqsRecord } from '../../adapters/lambda/index.ts';

/** A fresh copy of an SQS fixture (AWS's exact shape), safe to modify. */
export function loadSqsEvent(fixture: 'sqs-standard.json' | 'sqs-fifo.json'): SqsEvent {
  return JSON.parse(readFileSync(new URL(`./fixtures/${fixture}`, import.meta.url), 'utf8'));
}

/**
 * The batch as SQS delivers it again after the visibility timeout: the same messageIds and
 * bodies, a new receiptHandle per receive, ApproximateReceiveCount one higher.
 */
export function redelivered(event: SqsEvent, only?: ReadonlySet<string>): SqsEvent {
  const records = event.Records.filter((record) => !only || only.has(record.messageId));
  return {
    Records: records.map(
      (record): SqsRecord => ({
        ...record,
        receiptHandle: `AQEB${crypto.randomUUID().replaceAll('-', '')}${crypto.randomUUID().replaceAll('-', '')}`,
        attributes: {
          ...record.attributes,
          ApproximateReceiveCount: String(Number(record.attributes.ApproximateReceiveCount) + 1),
        },
      }),
    ),
  };
}

/** The event with fresh messageIds, so runs on one store never share keys. */
export function withFreshIds(event: SqsEvent): SqsEvent {
  return { Records: event.Records.map((record) => ({ ...record, messageId: crypto.randomUUID() })) };
}

/** `count` standard-queue messages with fresh ids. */
export function standardMessages(count: number): SqsEvent {
  const [template] = loadSqsEvent('sqs-standard.json').Records as [SqsRecord];
  return {
    Records: Array.from({ length: count }, (_, i) => ({
      ...template,
      messageId: crypto.randomUUID(),
      body: JSON.stringify({ orderId: `order-${i}` }),
    })),
  };
}
