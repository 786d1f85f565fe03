/**
 * `npm run bench`: every figure from one run on this machine, printed as one report and written
 * to bench/RESULTS.md with the machine, Node version and date. Ratios compare rows of the same
 * run only. Nothing here asserts: a benchmark reports, CI's size check (`npm run size`)
 * enforces the size budgets. Every backend runs on loopback and is stopped at the end.
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { formatColdStart, measureColdStart } from './cold-start.ts';
import { benchDurableObject } from './durable-object.ts';
import {
  compareWithPowertools,
  formatComparison,
  formatDynamoDBComparison,
} from './dynamodb-vs-powertools.ts';
import { formatFirstChunk, measureFirstChunk } from './first-chunk.ts';
import { formatLambdaColdStart, measureLambdaColdStart } from './lambda-cold-start.ts';
import { formatMemoryGrowth, measureMemoryGrowth } from './memory-growth.ts';
import { compareRedisWithPowertools } from './redis-vs-powertools.ts';
import { formatSizeLimit, formatSizes, measureSizes, sizeLimitRows } from './sizes.ts';
import { benchSqsBatches, formatSqsBatches } from './sqs-batches.ts';
import { SSE_EVENTS, SSE_GAP_MS } from './sse-handler.ts';
import type { StoreBenchResult } from './store-steps.ts';
import { benchDynamoDB, benchMemory, benchUpstash, formatStoreSteps, formatThroughput } from './stores.ts';
import {
  formatWorkerdOverhead,
  medianOfRuns,
  repeatWorkerdOverhead,
  workerdOverheadTargets,
} from './workerd-overhead.ts';
import {
  formatWrapperOverhead,
  measureWrapperOverhead,
  medianOverRounds,
  wrapperOverheadTargets,
} from './wrapper-overhead.ts';

const STORE_ITERATIONS = 200;
const POWERTOOLS_ITERATIONS = 300;
const COLD_START_SPAWNS = 21;
const SQS_BATCHES = 50;
const LAMBDA_COLD_START_SPAWNS = 11;

const lines: string[] = [];
const out = (line = '') => {
  console.log(line);
  lines.push(line);
};
const fmt = (n: number, digits = 1) => n.toFixed(digits);
const started = performance.now();
const section = (title: string) => {
  out(`## ${title}`);
  out();
  console.error(`[bench] ${title} (${fmt((performance.now() - started) / 1000, 0)} s in)`);
};

out('# edge-idempotency benchmark');
out();
out(
  `${new Date().toISOString()} · Node ${process.version} · ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length} · ` +
    `${fmt(totalmem() / 2 ** 30, 0)} GiB · ${process.platform}/${process.arch}`,
);
out();
out('Backends on loopback on this machine: real redis-server behind the test Upstash REST server,');
out('DynamoDB Local (a JVM), workerd through miniflare. Absolute figures are local ones; compare rows.');
out();

section('1. Wrapper overhead (Node, MemoryStore)');
out("Median of each task's samples (count in the last column). Overhead is over the bare handler.");
out();
const overheadRounds = await measureWrapperOverhead();
out(formatWrapperOverhead(medianOverRounds(overheadRounds)));
out();
for (const line of wrapperOverheadTargets(overheadRounds)) out(line);
out();

section('1b. Wrapper overhead (workerd, MemoryStore)');
out(
  'Each case runs in a Worker of its own (an isolate, with its own heap and garbage), as a Worker serving one',
);
out(
  'handler does. Each sample is one request to it running a batch of operations, timed from Node, minus the',
);
out(
  "median of the empty requests to the same Worker, one timed next to each batch (workerd's clock does not move",
);
out(
  'without I/O; a median, so that a stall of the machine during one empty request cannot skew a batch). Cases',
);
out(
  'take turns, the order turning by one case each round so that no case always follows the same one. Time per',
);
out(
  'request is the mean over the batches (garbage collection included); the median batch is shown beside it. The',
);
out(
  'floor hashes with Web Crypto, as a Worker must. The whole comparison runs 3 times, each in a fresh workerd:',
);
out("the table gives each case's median over the 3, the targets the median ratio with its range.");
out(
  "The floor reads the handler's response with one `arrayBuffer()`, so it never streams. The streaming floor is",
);
out(
  'the same floor reading the response as a layer that must not hold a stream back has to (with a reader, racing',
);
out(
  'a macrotask). The minimal layer keeps all our rules for a new request, written inline in one function (key',
);
out(
  'check, a body read bounded whatever Content-Length says, fingerprint of method, path, query, Content-Type and',
);
out(
  'body, hashed storage key, lock under a random token, the streaming read, a completion that checks the token):',
);
out('the least our rules cost any layer. The last lines compare new requests against both.');
out();
const workerdRuns = await repeatWorkerdOverhead();
out(formatWorkerdOverhead(medianOfRuns(workerdRuns)));
out();
for (const line of workerdOverheadTargets(workerdRuns)) out(line);
out();

section('1c. First chunk of a streamed response');
out(
  `An SSE-like handler (one event at once, ${SSE_EVENTS - 1} more ${SSE_GAP_MS} ms apart) bare and under \`withIdempotency\` on a`,
);
out(
  'MemoryStore, a new key each request: ms from sending the request until the client reads the first chunk, and',
);
out(
  'until the end. Node: @hono/node-server on loopback, read with fetch; workerd: miniflare, timed from Node with',
);
out(
  '`dispatchFetch`. Bare and wrapped samples alternate; medians of the repeats, the difference with its range.',
);
out();
out(formatFirstChunk(await measureFirstChunk()));
out();

section('2. Per store: round trips, latency, throughput');
out(
  `Store level (\`begin\` + \`complete\` for a new request, \`begin\` for a replay and for a conflict). ` +
    `Median, p99 and mean over ${STORE_ITERATIONS} timed runs per step after a warm-up; round trips must be 2 / 1 / 1.`,
);
out();
const storeResults: StoreBenchResult[] = [];
storeResults.push(await benchMemory(STORE_ITERATIONS));
storeResults.push(await benchUpstash(STORE_ITERATIONS));
storeResults.push(await benchDynamoDB(STORE_ITERATIONS));
storeResults.push(await benchDurableObject(STORE_ITERATIONS));
out(formatStoreSteps(storeResults));
out();
for (const r of storeResults) if (r.note) out(`- ${r.store}: ${r.note}`);
out(
  "- durable-object: workerd's clock moves only on I/O and in whole milliseconds, so its median and p99 are coarse; read the mean.",
);
out();
out('Throughput of `withIdempotency` on each store: 32 concurrent clients, each sending its requests');
out('one after another; one run each (total requests in the table). On one hot key, one request runs');
out('the handler, the others get a 409 while it runs and replays after.');
out();
out(formatThroughput(storeResults));
out();

section('2b. SQS batches (toSqsHandler on DynamoDB Local)');
out(
  `Batches of 10 through \`toSqsHandler\`, ${SQS_BATCHES} timed per case after a warm-up; requests per message must be`,
);
out('2 for a new message, 1 for a redelivered one that is done, 2 for one that throws (begin, release).');
out();
out(formatSqsBatches(await benchSqsBatches(SQS_BATCHES)));
out();

section('3. Versus @aws-lambda-powertools/idempotency');
out(
  `### DynamoDB Local, ${POWERTOOLS_ITERATIONS} runs per step and side, 3 repeats (medians and p99 over them)`,
);
out();
out(
  '"lambda": ours against `makeIdempotent(handler)` (Powertools), same HTTP API event, each handler parsing the',
);
out(
  'JSON body. Ours three ways: "native" is `withLambdaIdempotency(handler)` (no Request/Response) on the lean',
);
out(
  'store; "lean" and "SDK" are `toLambdaHandler(withIdempotency(handler))` on the lean store and on an SDK client.',
);
out('"store": the persistence calls alone (native is the lean store there, so it has no column).');
out(
  'Ratio = ours / Powertools, median of the 3 repeats with their range (below 1: we are faster; target ≤ 0.8).',
);
out(
  "Powertools' completion write is not fenced (unconditional `UpdateItem`); ours is conditional on the lock token.",
);
out();
out(formatDynamoDBComparison(await compareWithPowertools({ iterations: POWERTOOLS_ITERATIONS })));
out();
out(`### The same redis-server, ${POWERTOOLS_ITERATIONS} runs per step and side`);
out();
out(
  'Store level: UpstashStore (HTTP to the Upstash-compatible REST server, which forwards to Redis) against',
);
out(
  "Powertools' CachePersistenceLayer on `@redis/client` (RESP over TCP, straight to Redis). The transports",
);
out(
  'differ: ours pays an HTTP request and a proxy hop per call, which is what Upstash over REST costs; calls are',
);
out('HTTP requests for ours, Redis commands for Powertools.');
out();
const redis = await compareRedisWithPowertools({ iterations: POWERTOOLS_ITERATIONS });
out(formatComparison(redis.rows));
out();
out(
  `Transport floor, one GET, median of ${redis.floor.runs}: ${fmt(redis.floor.oursMs, 2)} ms through the REST server, ` +
    `${fmt(redis.floor.powertoolsMs, 2)} ms over RESP/TCP.`,
);
out();

section('4. Sizes (esbuild, minified + gzip level 9)');
out('Entries from dist/, store SDKs, `next` and `cloudflare:*` external. "Own code only" leaves the core');
out('modules (dist/src/*.js) external too.');
out();
const sizes = await measureSizes();
out(formatSizes(sizes));
out();
out(
  "The budgets as CI checks them (`npm run size`): size-limit's own figures, from its own esbuild settings.",
);
out();
out(formatSizeLimit(sizeLimitRows()));
out();
for (const r of sizes) if (r.note) out(`- ${r.name}: ${r.note}`);
out();

section('5. Cold start (Node)');
out(
  `Time of \`await import(...)\` inside a fresh \`node\` process (start-up excluded), median and p90 of ${COLD_START_SPAWNS} ` +
    'spawns, all modules interleaved. Target for `edge-idempotency`: ≤ 10 ms.',
);
out();
out(formatColdStart(measureColdStart(COLD_START_SPAWNS)));
out();
out('### A Lambda handler module: `import()` plus its first request');
out();
out(
  'Built as template.yaml builds it (esbuild, ESM, minified, `@aws-sdk/*` left to the runtime), in a fresh `node` ' +
    `process: \`import()\` of the handler, then its first HTTP API event (a new key, on DynamoDB Local). Medians of ${LAMBDA_COLD_START_SPAWNS} ` +
    'spawns, interleaved. Target: lean ≤ 0.3 × Powertools.',
);
out();
out(formatLambdaColdStart(await measureLambdaColdStart(LAMBDA_COLD_START_SPAWNS)));
out();

section('6. Memory (MemoryStore with maxEntries)');
out('One run in a child process (`node --expose-gc`).');
out();
out(formatMemoryGrowth(measureMemoryGrowth(100_000, 10_000)));
out();

out(`Whole run: ${fmt((performance.now() - started) / 1000, 0)} s.`);
writeFileSync(new URL('./RESULTS.md', import.meta.url), `${lines.join('\n')}\n`);
