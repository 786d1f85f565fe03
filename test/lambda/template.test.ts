import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LambdaHttpHandler } from '../../adapters/lambda/index.ts';
import { DEFAULT_ATTRIBUTE_NAMES, DYNAMODB_ACTIONS } from '../../src/stores/dynamodb/index.ts';
import {
  createIdempotencyTable,
  type DynamoDBLocal,
  startDynamoDBLocal,
} from '../dynamodb/dynamodb-local.ts';
import { readTemplate } from './cloudformation-yaml.ts';
import { lambdaContext, loadEvent, resultHeader, setHeader } from './events.ts';

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
const [, fn] = onlyResource<FunctionResource>('AWS::Serverless::Function');
const buildProperties = fn.Metadata.BuildProperties;

/** esbuild options equivalent to what `sam build` does with the function's BuildProperties. */
function esbuildOptionsFromTemplate(outdir: string): BuildOptions {
  const properties: Record<string, unknown> = { ...buildProperties };
  const options: BuildOptions = {
    bundle: true,
    platform: 'node',
    outdir,
    absWorkingDir: root,
    logLevel: 'silent',
  };
  const take = <T>(name: string) => {
    const value = properties[name];
    delete properties[name];
    return value as T;
  };
  options.entryPoints = take<string[]>('EntryPoints');
  options.format = take<BuildOptions['format']>('Format');
  options.target = take<string>('Target');
  options.minify = take<boolean>('Minify');
  options.sourcemap = take<boolean>('Sourcemap');
  options.external = take<string[]>('External');
  options.mainFields = take<string | undefined>('MainFields')?.split(',');
  options.outExtension = Object.fromEntries(
    (take<string[] | undefined>('OutExtension') ?? []).map((pair) => pair.split('=') as [string, string]),
  );
  // A property this test does not model would make the build here differ from `sam build`.
  expect(Object.keys(properties), 'BuildProperties this test does not translate').toEqual([]);
  return options;
}

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
  let dynamodb: DynamoDBLocal;
  let outdir: string;
  let handler: LambdaHttpHandler;
  const demoEnv: Record<string, string> = {};
  const savedEnv: Record<string, string | undefined> = {};

  beforeAll(async () => {
    outdir = mkdtempSync(join(tmpdir(), 'edge-idempotency-lambda-'));
    await build(esbuildOptionsFromTemplate(outdir));
    // No node_modules beside the bundle (nor above it, in the temporary directory): were the
    // handler to import the AWS SDK, which the template leaves external, it would fail to load.
    dynamodb = await startDynamoDBLocal();
    const tableName = await createIdempotencyTable(dynamodb.client());
    // What Lambda and the template put in the environment, and the endpoint override the
    // store reads like the SDK does.
    Object.assign(demoEnv, {
      IDEMPOTENCY_TABLE: tableName,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
    for (const [name, value] of Object.entries(demoEnv)) {
      savedEnv[name] = process.env[name];
      process.env[name] = value;
    }
  });

  afterAll(async () => {
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await dynamodb?.stop();
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  it('never imports the AWS SDK: the store signs its own requests', () => {
    const bundle = readFileSync(join(outdir, 'handler.mjs'), 'utf8');
    expect(bundle).not.toMatch(/(?:from|import)\s*["']@aws-sdk\//);
    expect(bundle).not.toMatch(/require\(\s*["']@aws-sdk\//);
    // The one mention: the lazy import in the store's SDK-client path, never taken without a client.
    expect(bundle.match(/@aws-sdk\//g)).toEqual(['@aws-sdk/']);
    expect(bundle).toMatch(/import\(\s*["']@aws-sdk\/client-dynamodb["']\)/);
    expect(existsSync(join(outdir, 'node_modules'))).toBe(false);
  });

  it('has the handler the template names, at the artifact root', async () => {
    const [file, exportName] = (fn.Properties.Handler as string).split('.') as [string, string];
    const extension = (buildProperties.OutExtension as string[] | undefined)?.[0]?.split('=')[1] ?? '.js';
    const bundle = join(outdir, `${file}${extension}`);
    expect(existsSync(bundle), `${bundle} after the build`).toBe(true);
    const module = await import(pathToFileURL(bundle).href);
    expect(typeof module[exportName]).toBe('function');
    handler = module[exportName];
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
