/**
 * The demo function of `template.yaml`: an orders endpoint made safe to retry. A client that
 * repeats `POST /orders` with the same `Idempotency-Key` gets the first order back (marked
 * `Idempotent-Replayed: true`) instead of a second one.
 *
 * `sam build` bundles this file with esbuild (see the function's Metadata in template.yaml).
 * The table name comes from the `IDEMPOTENCY_TABLE` environment variable the template sets;
 * region and credentials from the ones Lambda sets. No AWS SDK: the store signs its own
 * requests, so the bundle stays small and the cold start short.
 */
import { toLambdaHandler } from '../../adapters/lambda/index.ts';
import { withIdempotency } from '../../src/index.ts';
import { DynamoDBStore } from '../../src/stores/dynamodb/index.ts';

const tableName = process.env.IDEMPOTENCY_TABLE;
if (!tableName) throw new Error('Set IDEMPOTENCY_TABLE to the name of the idempotency table');

// Created once per container, outside the handler, so warm invocations reuse its connection.
const store = new DynamoDBStore({ tableName });

async function orders(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (request.method !== 'POST' || url.pathname !== '/orders') {
    return Response.json({ error: 'POST /orders with an Idempotency-Key header' }, { status: 404 });
  }
  const order = await request.json().catch(() => null);
  if (typeof order?.amount !== 'number') {
    return Response.json({ error: 'body must be JSON with a numeric "amount"' }, { status: 400 });
  }
  // Stands in for the side effect that must not happen twice (charging a card, sending mail).
  return Response.json(
    { id: crypto.randomUUID(), amount: order.amount, createdAt: new Date().toISOString() },
    { status: 201 },
  );
}

export const handler = toLambdaHandler(withIdempotency(orders, { store, required: true }));
