/**
 * The queue consumer of `template.yaml`: fulfils each order message at most once. A message
 * SQS delivers again (after a timeout, a crash, or a batch that partly failed) replays instead
 * of shipping twice; only the messages that failed come back (`ReportBatchItemFailures`).
 *
 * `sam build` bundles this file with esbuild, like the HTTP demo. The table is the same
 * `IDEMPOTENCY_TABLE`: records of the two functions live under different names and never meet.
 */
import { type SqsRecord, toSqsHandler } from '../../adapters/lambda/index.ts';
import { DynamoDBStore } from '../../src/stores/dynamodb/index.ts';

const tableName = process.env.IDEMPOTENCY_TABLE;
if (!tableName) throw new Error('Set IDEMPOTENCY_TABLE to the name of the idempotency table');

// No AWS SDK: the store signs its own requests (region and credentials from Lambda's environment).
const store = new DynamoDBStore({ tableName });

/** Stands in for the side effect that must not happen twice (a shipment, an email). */
async function fulfil(record: SqsRecord): Promise<void> {
  const order = JSON.parse(record.body) as { orderId?: unknown };
  if (typeof order.orderId !== 'string') throw new Error(`message ${record.messageId} has no orderId`);
  console.log(JSON.stringify({ fulfilled: order.orderId, messageId: record.messageId }));
}

export const handler = toSqsHandler(fulfil, {
  store,
  name: 'fulfil-order',
  onMessageError: (error, record) =>
    console.error(JSON.stringify({ failed: record.messageId, error: String(error) })),
});
