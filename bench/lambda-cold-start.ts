/**
 * Cold start of a Lambda handler module as a user sees it: in a fresh Node process, `import()`
 * of the handler bundle (built like template.yaml builds one: esbuild, ESM, `@aws-sdk/*` left
 * to the runtime) plus its first request (an HTTP API event, a new key, against DynamoDB
 * Local). Ours with the lean store (no SDK), ours with an SDK client, and Powertools'
 * `makeIdempotent` with its DynamoDB layer, interleaved.
 *
 *   npm run build && node bench/lambda-cold-start.ts [spawns]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import {
  createIdempotencyTable,
  LOCAL_CREDENTIALS,
  startDynamoDBLocal,
} from '../test/dynamodb/dynamodb-local.ts';
import { httpApiEvent } from './dynamodb-vs-powertools.ts';
import { percentile } from './store-steps.ts';

export interface LambdaColdStartRow {
  handler: string;
  bundleKB: number;
  importMs: number;
  firstRequestMs: number;
  totalMs: number;
  /** Total / Powertools' total (medians). */
  ratio: number;
  spawns: number;
}

const ORDER = `async (request) => {
  const order = await request.json();
  return Response.json({ id: crypto.randomUUID(), amount: order.amount }, { status: 201 });
}`;

/** The handler modules, as a user would write them. */
const HANDLERS: Record<string, string> = {
  'ours, lean DynamoDBStore (no SDK)': `
import { withIdempotency } from 'edge-idempotency';
import { DynamoDBStore } from 'edge-idempotency/dynamodb';
import { toLambdaHandler } from 'edge-idempotency/lambda';
const store = new DynamoDBStore({ tableName: process.env.OUR_TABLE });
export const handler = toLambdaHandler(withIdempotency(${ORDER}, { store }));`,
  'ours, withLambdaIdempotency + lean DynamoDBStore (no Request/Response)': `
import { DynamoDBStore } from 'edge-idempotency/dynamodb';
import { withLambdaIdempotency } from 'edge-idempotency/lambda';
const store = new DynamoDBStore({ tableName: process.env.OUR_TABLE });
export const handler = withLambdaIdempotency(
  async (event) => ({ statusCode: 201, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: crypto.randomUUID(), amount: JSON.parse(event.body).amount }) }),
  { store },
);`,
  'ours, DynamoDBStore with an SDK client': `
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { withIdempotency } from 'edge-idempotency';
import { DynamoDBStore } from 'edge-idempotency/dynamodb';
import { toLambdaHandler } from 'edge-idempotency/lambda';
const store = new DynamoDBStore({ client: new DynamoDBClient({}), tableName: process.env.OUR_TABLE });
export const handler = toLambdaHandler(withIdempotency(${ORDER}, { store }));`,
  'Powertools makeIdempotent + DynamoDBPersistenceLayer': `
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
const persistenceStore = new DynamoDBPersistenceLayer({ tableName: process.env.THEIR_TABLE });
export const handler = makeIdempotent(
  async (event) => ({ statusCode: 201, body: JSON.stringify({ id: crypto.randomUUID(), amount: JSON.parse(event.body).amount }) }),
  { persistenceStore, config: new IdempotencyConfig({ eventKeyJmesPath: 'headers."idempotency-key"', payloadValidationJmesPath: 'body' }) },
);`,
};

const EVENT = httpApiEvent('set by the child');

// Runs in the child: the import, then the first request, each timed; prints both.
const CHILD = `
const event = JSON.parse(process.env.EVENT);
event.headers['idempotency-key'] = crypto.randomUUID();
const context = { functionName: 'cold', awsRequestId: 'cold', getRemainingTimeInMillis: () => 10000 };
const t0 = performance.now();
const { handler } = await import(process.env.HANDLER);
const t1 = performance.now();
const result = await handler(event, context);
const t2 = performance.now();
if (result.statusCode !== 201) throw new Error('first request answered ' + result.statusCode + ' ' + result.body);
process.stdout.write(JSON.stringify([t1 - t0, t2 - t1]));`;

const root = fileURLToPath(new URL('../', import.meta.url));

export async function measureLambdaColdStart(spawns = 11): Promise<LambdaColdStartRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'lambda-cold-start-'));
  const local = await startDynamoDBLocal();
  const client = local.client();
  try {
    const ourTable = await createIdempotencyTable(client);
    const theirTable = await createIdempotencyTable(client, {
      keyAttribute: 'id',
      ttlAttribute: 'expiration',
    });
    // The runtime's AWS SDK: template.yaml leaves @aws-sdk/* external.
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const bundles = Object.entries(HANDLERS).map(([label, source], at) => {
      const outfile = join(dir, `handler-${at}.mjs`);
      buildSync({
        stdin: { contents: source, resolveDir: root, loader: 'js' },
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node22',
        mainFields: ['module', 'main'],
        external: ['@aws-sdk/*'],
        minify: true,
        outfile,
        // The package as installed (package.json exports and imports), not the repo's tsconfig paths.
        tsconfigRaw: '{}',
        logLevel: 'silent',
      });
      return { label, file: pathToFileURL(outfile).href, bytes: readFileSync(outfile).byteLength };
    });
    const env = {
      ...process.env,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: local.endpoint,
      OUR_TABLE: ourTable,
      THEIR_TABLE: theirTable,
      EVENT: JSON.stringify(EVENT),
    };
    const samples = new Map(bundles.map((b) => [b.label, [] as Array<[number, number]>]));
    // Interleaved; one unrecorded round first warms the file system cache and DynamoDB Local.
    for (let i = -1; i < spawns; i++) {
      for (const bundle of bundles) {
        const out = execFileSync(process.execPath, ['--input-type=module', '-e', CHILD], {
          cwd: dir,
          env: { ...env, HANDLER: bundle.file },
          encoding: 'utf8',
        });
        if (i >= 0) samples.get(bundle.label)?.push(JSON.parse(out));
      }
    }
    const median = (values: number[]) =>
      percentile(
        [...values].sort((a, b) => a - b),
        0.5,
      );
    const rows = bundles.map((b) => {
      const s = samples.get(b.label) ?? [];
      return {
        handler: b.label,
        bundleKB: b.bytes / 1000,
        importMs: median(s.map(([load]) => load)),
        firstRequestMs: median(s.map(([, first]) => first)),
        totalMs: median(s.map(([load, first]) => load + first)),
        ratio: 0,
        spawns: s.length,
      };
    });
    const baseline = rows.at(-1)?.totalMs ?? Number.NaN;
    for (const row of rows) row.ratio = row.totalMs / baseline;
    return rows;
  } finally {
    client.destroy();
    await local.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatLambdaColdStart(rows: readonly LambdaColdStartRow[]): string {
  return [
    '| handler module | bundle KB (SDK external) | import() ms | first request ms | total ms | total / Powertools | spawns |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.handler} | ${r.bundleKB.toFixed(1)} | ${r.importMs.toFixed(1)} | ${r.firstRequestMs.toFixed(1)} | ` +
        `${r.totalMs.toFixed(1)} | ${r.ratio.toFixed(2)} | ${r.spawns} |`,
    ),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(formatLambdaColdStart(await measureLambdaColdStart(Number(process.argv[2] ?? 11))));
}
