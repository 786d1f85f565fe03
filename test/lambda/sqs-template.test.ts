import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqsHandler } from '../../adapters/lambda/index.ts';
import { DYNAMODB_ACTIONS } from '../../src/stores/dynamodb/index.ts';
import {
  createIdempotencyTable,
  type DynamoDBLocal,
  startDynamoDBLocal,
} from '../dynamodb/dynamodb-local.ts';
import { readTemplate } from './cloudformation-yaml.ts';
import { lambdaContext } from './events.ts';
import { esbuildOptionsFromTemplate } from './sam-build.ts';
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
  let dynamodb: DynamoDBLocal;
  let outdir: string;
  let handler: SqsHandler;
  const savedEnv: Record<string, string | undefined> = {};

  beforeAll(async () => {
    outdir = mkdtempSync(join(tmpdir(), 'edge-idempotency-sqs-'));
    await build(esbuildOptionsFromTemplate(consumer.Metadata.BuildProperties, root, outdir));
    symlinkSync(join(root, 'node_modules'), join(outdir, 'node_modules'), 'dir');
    dynamodb = await startDynamoDBLocal();
    const client = dynamodb.client();
    const tableName = await createIdempotencyTable(client);
    client.destroy();
    const env = {
      IDEMPOTENCY_TABLE: tableName,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    };
    for (const [name, value] of Object.entries(env)) {
      savedEnv[name] = process.env[name];
      process.env[name] = value;
    }
    const [file, exportName] = consumer.Properties.Handler.split('.') as [string, string];
    const bundle = join(outdir, `${file}.mjs`);
    expect(existsSync(bundle), `${bundle} after the build`).toBe(true);
    handler = (await import(pathToFileURL(bundle).href))[exportName];
  });

  afterAll(async () => {
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await dynamodb?.stop();
    if (outdir) rmSync(outdir, { recursive: true, force: true });
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
