import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LambdaHttpHandler } from '../../adapters/lambda/index.ts';
import { DEFAULT_ATTRIBUTE_NAMES, DYNAMODB_ACTIONS } from '../../src/stores/dynamodb/index.ts';
import { readTemplate } from './cloudformation-yaml.ts';
import { lambdaContext, loadEvent, resultHeader, setHeader } from './events.ts';
import { type LocalFunction, startLocalFunction } from './sam-build.ts';

/** The parts of the table resource this test reads. */
interface TableResource {
  Properties: {
    BillingMode: string;
    KeySchema: unknown;
    AttributeDefinitions: unknown;
    TimeToLiveSpecification: unknown;
  };
}

interface PolicyStatement {
  Effect: string;
  Action: string[];
  Resource: unknown;
}

/** The parts of the function resource this test reads. */
interface FunctionResource {
  Properties: {
    Runtime: string;
    Handler: string;
    Environment: { Variables: Record<string, unknown> };
    Events: Record<string, { Type: string }>;
    Policies: Array<{ Statement?: PolicyStatement[] }>;
  };
  Metadata: { BuildMethod: string; BuildProperties: Record<string, unknown> };
}

const root = fileURLToPath(new URL('../../', import.meta.url));
const template = readTemplate(join(root, 'template.yaml'));

function onlyResource<T>(type: string): [string, T] {
  const found = Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
  expect(found, `exactly one ${type} in template.yaml`).toHaveLength(1);
  const [id, resource] = found[0] as [string, unknown];
  return [id, resource as T];
}

const [tableId, table] = onlyResource<TableResource>('AWS::DynamoDB::Table');
// The HTTP demo; the SQS consumer, the other function, is checked by sqs-template.test.ts.
const fn = template.Resources.OrdersFunction as unknown as FunctionResource;
const buildProperties = fn.Metadata.BuildProperties;

describe('template.yaml', () => {
  it('is a SAM template', () => {
    expect(template.Transform).toBe('AWS::Serverless-2016-10-31');
  });

  it('declares an on-demand table keyed and expired the way DynamoDBStore writes items', () => {
    const { key, ttl } = DEFAULT_ATTRIBUTE_NAMES;
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties.KeySchema).toEqual([{ AttributeName: key, KeyType: 'HASH' }]);
    expect(table.Properties.AttributeDefinitions).toEqual([{ AttributeName: key, AttributeType: 'S' }]);
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: ttl, Enabled: true });
  });

  it('runs the demo on Node.js 22 with the table name in its environment', () => {
    expect(fn.Properties.Runtime).toBe('nodejs22.x');
    expect(fn.Properties.Environment.Variables).toEqual({ IDEMPOTENCY_TABLE: { Ref: tableId } });
    expect(Object.values(fn.Properties.Events).map((event) => event.Type)).toEqual(['HttpApi']);
    expect(fn.Metadata.BuildMethod).toBe('esbuild');
    expect(buildProperties.Format).toBe('esm');
    for (const entry of buildProperties.EntryPoints as string[])
      expect(existsSync(join(root, entry))).toBe(true);
  });

  it('grants exactly the item actions the store uses, on that table only', () => {
    const statements = fn.Properties.Policies.flatMap((policy) => policy.Statement ?? []);
    expect(statements).toHaveLength(1);
    const [statement] = statements as [PolicyStatement];
    expect(statement.Effect).toBe('Allow');
    expect([...statement.Action].sort()).toEqual([...DYNAMODB_ACTIONS].sort());
    expect(statement.Resource).toEqual({ 'Fn::GetAtt': [tableId, 'Arn'] });
  });
});

describe('the demo function built as sam build would', () => {
  let local: LocalFunction;
  let handler: LambdaHttpHandler;

  beforeAll(async () => {
    local = await startLocalFunction(buildProperties, root);
  });

  afterAll(async () => {
    await local?.stop();
  });

  it('never imports the AWS SDK: the store signs its own requests', () => {
    const bundle = readFileSync(join(local.outdir, 'handler.mjs'), 'utf8');
    expect(bundle).not.toMatch(/(?:from|import)\s*["']@aws-sdk\//);
    expect(bundle).not.toMatch(/require\(\s*["']@aws-sdk\//);
    // The one mention: the lazy import in the store's SDK-client path, never taken without a client.
    expect(bundle.match(/@aws-sdk\//g)).toEqual(['@aws-sdk/']);
    expect(bundle).toMatch(/import\(\s*["']@aws-sdk\/client-dynamodb["']\)/);
    expect(existsSync(join(local.outdir, 'node_modules'))).toBe(false);
  });

  it('has the handler the template names, at the artifact root', async () => {
    handler = await local.load<LambdaHttpHandler>(fn.Properties.Handler);
    expect(typeof handler).toBe('function');
  });

  it('serves an HTTP API event and replays its duplicate from DynamoDB Local', async () => {
    expect(handler, 'the previous test loads the bundle').toBeTypeOf('function');
    const event = () => {
      const e = loadEvent('api-gateway-v2-http.json');
      setHeader(e, 'idempotency-key', `demo-${crypto.randomUUID()}`);
      return e;
    };
    const first = event();
    const created = await handler(first, lambdaContext(10_000));
    expect(created.statusCode).toBe(201);
    expect(resultHeader(created, 'idempotent-replayed')).toBeUndefined();
    const replayed = await handler(structuredClone(first), lambdaContext(10_000));
    expect(replayed.statusCode).toBe(201);
    expect(resultHeader(replayed, 'idempotent-replayed')).toBe('true');
    expect(replayed.body).toBe(created.body);
    const other = await handler(event(), lambdaContext(10_000));
    expect(JSON.parse(other.body).id).not.toBe(JSON.parse(created.body).id);
  });

  it('requires the Idempotency-Key header', async () => {
    const event = loadEvent('api-gateway-v2-http.json');
    setHeader(event, 'idempotency-key', undefined);
    const result = await handler(event, lambdaContext(10_000));
    expect(result.statusCode).toBe(400);
    expect(resultHeader(result, 'content-type')).toBe('application/problem+json');
  });
});
