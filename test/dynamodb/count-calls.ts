import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Requests sent so far, in total and per command (`PutItemCommand`, ...). */
export interface CallCounter {
  total: number;
  byCommand: Record<string, number>;
}

/**
 * Count every request the client sends to DynamoDB, retries included: the middleware sits
 * inside the SDK's retry loop. A `DynamoDBDocumentClient` built on this client shares its
 * middleware stack, so its calls are counted too.
 */
export function countCalls(client: DynamoDBClient): CallCounter {
  const counter: CallCounter = { total: 0, byCommand: {} };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      counter.total++;
      const command = context.commandName ?? 'unknown';
      counter.byCommand[command] = (counter.byCommand[command] ?? 0) + 1;
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'countCalls' },
  );
  return counter;
}
