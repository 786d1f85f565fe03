import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { expect } from 'vitest';
import {
  createIdempotencyTable,
  type DynamoDBLocal,
  startDynamoDBLocal,
} from '../dynamodb/dynamodb-local.ts';

/**
 * esbuild options equivalent to what `sam build` does with a function's `Metadata.BuildProperties`
 * (`BuildMethod: esbuild`), building into `outdir` from the template's directory `root`.
 */
export function esbuildOptionsFromTemplate(
  buildProperties: Record<string, unknown>,
  root: string,
  outdir: string,
): BuildOptions {
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

/** A function of the template, built as `sam build` would, with DynamoDB Local behind it. */
export interface LocalFunction {
  /** Where the build went. */
  outdir: string;
  /** The export a `Handler` setting (`file.export`) names, loaded from the built bundle. */
  load<T>(handlerSetting: string): Promise<T>;
  /** Restore the environment, stop DynamoDB Local, remove the build. */
  stop(): Promise<void>;
}

/**
 * Build a function from its BuildProperties into a temporary folder, start DynamoDB Local with
 * a table shaped like the template's, and put in `process.env` what Lambda and the template
 * would (the store reads the endpoint override as the SDK does).
 */
export async function startLocalFunction(
  buildProperties: Record<string, unknown>,
  root: string,
): Promise<LocalFunction> {
  const outdir = mkdtempSync(join(tmpdir(), 'edge-idempotency-lambda-'));
  const saved: Record<string, string | undefined> = {};
  let dynamodb: DynamoDBLocal | undefined;
  const stop = async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await dynamodb?.stop();
    rmSync(outdir, { recursive: true, force: true });
  };
  try {
    await build(esbuildOptionsFromTemplate(buildProperties, root, outdir));
    // No node_modules beside the bundle (nor above it, in the temporary directory): a handler
    // that imported the AWS SDK, which the template leaves external, would fail to load.
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
      saved[name] = process.env[name];
      process.env[name] = value;
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const extension = (buildProperties.OutExtension as string[] | undefined)?.[0]?.split('=')[1] ?? '.js';
  return {
    outdir,
    async load<T>(handlerSetting: string) {
      const [file, exportName] = handlerSetting.split('.') as [string, string];
      const bundle = join(outdir, `${file}${extension}`);
      expect(existsSync(bundle), `${bundle} after the build`).toBe(true);
      return (await import(pathToFileURL(bundle).href))[exportName] as T;
    },
    stop,
  };
}
