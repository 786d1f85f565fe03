// Compile-time checks, run by `npm run typecheck`: the SQS shapes stay interchangeable with
// @types/aws-lambda, so users may type their code with either.
import type { Context, SQSBatchResponse, SQSEvent, SQSHandler, SQSRecord } from 'aws-lambda';
import { type SqsBatchResponse, type SqsEvent, toSqsHandler } from '../../adapters/lambda/index.ts';
import { MemoryStore } from '../../src/index.ts';

export function sqsEventFromAwsTypesIsAccepted(event: SQSEvent): SqsEvent {
  return event;
}

export function batchResponseSatisfiesAwsTypes(response: SqsBatchResponse): SQSBatchResponse {
  return response;
}

export const handlerTypedWithAwsTypes: SQSHandler = toSqsHandler(
  async (record: SQSRecord, context: Context) => `${record.messageId} ${context.awsRequestId}`,
  { store: new MemoryStore() },
);
