import type {
  BatchGetItemInput,
  BatchGetItemOutput,
  BatchWriteItemInput,
  BatchWriteItemOutput,
  DeleteItemInput,
  DeleteItemOutput,
  GetItemInput,
  GetItemOutput,
  PutItemInput,
  PutItemOutput,
  UpdateItemInput,
  UpdateItemOutput,
} from '@aws-sdk/client-dynamodb';

/** The DynamoDB operations the store sends, with their input and output (low-level form). */
export interface Operations {
  PutItem: [PutItemInput, PutItemOutput];
  UpdateItem: [UpdateItemInput, UpdateItemOutput];
  DeleteItem: [DeleteItemInput, DeleteItemOutput];
  GetItem: [GetItemInput, GetItemOutput];
  BatchGetItem: [BatchGetItemInput, BatchGetItemOutput];
  BatchWriteItem: [BatchWriteItemInput, BatchWriteItemOutput];
}

export type Operation = keyof Operations;

/**
 * How the store reaches DynamoDB: an SDK client (`sdk-transport.ts`) or signed JSON over HTTP
 * (`lean-transport.ts`). Either rejects with an error whose `name` is DynamoDB's error type
 * (`ConditionalCheckFailedException` carrying the old `Item` in raw form, ...), so the store's
 * logic and its error mapping are the same over both.
 */
export interface DynamoDBTransport {
  send<O extends Operation>(operation: O, input: Operations[O][0]): Promise<Operations[O][1]>;
}
