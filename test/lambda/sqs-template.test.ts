import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqsHandler } from '../../adapters/lambda/index.ts';
import { DYNAMODB_ACTIONS } from '../../src/stores/dynamodb/index.ts';
import { readTemplate } from './cloudformation-yaml.ts';
import { lambdaContext } from './events.ts';
import { type LocalFunction, startLocalFunction } from './sam-build.ts';
import { loadSqsEvent, redelivered, withFreshIds } from './sqs-events.ts';

interface Statement {
  Effect: string;
  Action: string[];
  Resource: unknown;
}

interface ConsumerResource {
  Type: string;
  Properties: {
    Runtime: string;
    Handler: string;
    Timeout: number;
    Environment: { Variables: Record<string, unknown> };
    Events: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    Policies: Array<{ Statement?: Statement[] }>;
  };
  Metadata: { BuildMethod: string; BuildProperties: Record<string, unknown> };
}

interface QueueResource {
  Type: string;
  Properties: {
    VisibilityTimeout?: number;
    MessageRetentionPeriod?: number;
    RedrivePolicy?: { deadLetterTargetArn: unknown; maxReceiveCount: number };
  };
}

const root = fileURLToPath(new URL('../../', import.meta.url));
const resources = readTemplate(join(root, 'template.yaml')).Resources as Record<string, unknown>;
const consumer = resources.OrdersConsumerFunction as ConsumerResource;
const queue = resources.OrdersQueue as QueueResource;
const deadLetterQueue = resources.OrdersDeadLetterQueue as QueueResource;

describe('template.yaml: the SQS consumer', () => {
  it('declares the queue with a dead-letter queue and a redrive policy', () => {
    expect(queue.Type).toBe('AWS::SQS::Queue');
    expect(deadLetterQueue.Type).toBe('AWS::SQS::Queue');
    expect(queue.Properties.RedrivePolicy?.deadLetterTargetArn).toEqual({
      'Fn::GetAtt': ['OrdersDeadLetterQueue', 'Arn'],
    });
    expect(queue.Properties.RedrivePolicy?.maxReceiveCount).toBeGreaterThan(1);
    // AWS: a Lambda event source queue's visibility timeout is at least 6× the function's timeout.
    expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * consumer.Properties.Timeout);
  });

  it('maps the queue to the consumer with ReportBatchItemFailures', () => {
    expect(consumer.Type).toBe('AWS::Serverless::Function');
    expect(consumer.Properties.Runtime).toBe('nodejs22.x');
    const events = Object.values(consumer.Properties.Events);
    expect(events.map((event) => event.Type)).toEqual(['SQS']);
    expect(events[0]?.Properties.Queue).toEqual({ 'Fn::GetAtt': ['OrdersQueue', 'Arn'] });
    expect(events[0]?.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(consumer.Properties.Environment.Variables).toEqual({
      IDEMPOTENCY_TABLE: { Ref: 'IdempotencyTable' },
    });
  });

  it('grants the queue actions on the queue and the store actions on the table, nothing else', () => {
    const statements = consumer.Properties.Policies.flatMap((policy) => policy.Statement ?? []);
    expect(statements).toHaveLength(2);
    const [sqs, table] = statements as [Statement, Statement];
    expect([sqs.Effect, table.Effect]).toEqual(['Allow', 'Allow']);
    expect([...sqs.Action].sort()).toEqual([
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
    ]);
    expect(sqs.Resource).toEqual({ 'Fn::GetAtt': ['OrdersQueue', 'Arn'] });
    expect([...table.Action].sort()).toEqual([...DYNAMODB_ACTIONS].sort());
    expect(table.Resource).toEqual({ 'Fn::GetAtt': ['IdempotencyTable', 'Arn'] });
  });
});

describe('the consumer built as sam build would', () => {
  let local: LocalFunction;
  let handler: SqsHandler;

  beforeAll(async () => {
    local = await startLocalFunction(consumer.Metadata.BuildProperties, root);
    handler = await local.load<SqsHandler>(consumer.Properties.Handler);
  });

  afterAll(async () => {
    await local?.stop();
  });

  it('fulfils a batch, replays its redelivery, and reports a bad message alone', async () => {
    const event = withFreshIds(loadSqsEvent('sqs-standard.json'));
    const bad = event.Records[2];
    if (bad) bad.body = '{"sku":"no order id"}';
    expect(await handler(event, lambdaContext(10_000))).toEqual({
      batchItemFailures: [{ itemIdentifier: bad?.messageId }],
    });
    expect(await handler(redelivered(event), lambdaContext(10_000))).toEqual({
      batchItemFailures: [{ itemIdentifier: bad?.messageId }],
    });
  });
});
