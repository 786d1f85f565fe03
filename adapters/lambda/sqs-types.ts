/**
 * The SQS event and partial batch response shapes, as AWS documents them
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html). Declared here, like the HTTP
 * shapes in `types.ts`, so the published types need no extra package;
 * `test/lambda/sqs-aws-types.ts` keeps `@types/aws-lambda`'s `SQSEvent` assignable to
 * these and these results assignable to its `SQSBatchResponse`.
 */

/** One message of an SQS event. */
export interface SqsRecord {
  /** Stays the same on every redelivery of the message: the default idempotency key. */
  messageId: string;
  /** New on every receive: never part of a key. */
  receiptHandle: string;
  body: string;
  attributes: {
    /** Grows on every receive. */
    ApproximateReceiveCount: string;
    SentTimestamp: string;
    SenderId: string;
    ApproximateFirstReceiveTimestamp: string;
    /** FIFO queues only. */
    SequenceNumber?: string;
    /** FIFO queues (and fair standard queues): messages of one group are delivered in order. */
    MessageGroupId?: string;
    /** FIFO queues only: the sender's deduplication id (or the body's SHA-256). */
    MessageDeduplicationId?: string;
    AWSTraceHeader?: string;
  };
  messageAttributes: Record<string, { dataType: string; stringValue?: string; binaryValue?: string }>;
  md5OfBody: string;
  eventSource: string;
  /** The queue's ARN; a FIFO queue's name ends in `.fifo`. */
  eventSourceARN: string;
  awsRegion: string;
}

/** What Lambda sends a function mapped to an SQS queue. */
export interface SqsEvent {
  Records: SqsRecord[];
}

/**
 * A partial batch response: the messages that failed go back to the queue, the others are
 * deleted. Needs `FunctionResponseTypes: [ReportBatchItemFailures]` on the event source mapping.
 */
export interface SqsBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}
