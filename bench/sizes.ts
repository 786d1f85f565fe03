/**
 * Bundle sizes, minified and gzipped, measured with esbuild the way a user's bundler sees the
 * package: every entry from dist/ (run `npm run build` first) with the store SDKs, `next` and
 * `cloudflare:*` left external (a user pays for those whichever library they pick), plus the
 * demo Worker with the Durable Object store. CI enforces the budgets with size-limit (the
 * "size-limit" field of package.json, `npm run size`); this module breaks the sizes down, and
 * {@link sizeLimitRows} gives size-limit's own figures, on which the budgets are judged.
 *
 *   npm run build && node bench/sizes.ts
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Plugin } from 'esbuild';

export interface SizeRow {
  name: string;
  /** What the row bundles, relative to the repository root. */
  entry: string;
  /** Minified bytes, and gzip of those bytes (level 9). */
  minBytes: number;
  gzipBytes: number;
  /** The same entry with the core (dist/src/*.js outside the entry's own folder) external: its own code only. */
  ownGzipBytes?: number;
  note?: string;
}

const root = new URL('../', import.meta.url);
const PEERS = ['@upstash/redis', '@aws-sdk/*', 'next', 'next/*', 'cloudflare:*'];
const KB = 1024;

/** Marks the core external: dist/src/*.js (not the stores' folders) and the shared chunks. */
function coreExternal(): Plugin {
  return {
    name: 'core-external',
    setup(b) {
      b.onResolve({ filter: /^(\.|#sha256$)/ }, async (args) => {
        if (args.pluginData === 'inner') return undefined;
        const resolved = await b.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: 'inner',
        });
        const core = /[/\\]dist[/\\](src|chunks)[/\\][^/\\]+\.js$/.test(resolved.path);
        return core ? { path: resolved.path, external: true } : resolved;
      });
    },
  };
}

async function bundle(
  entry: string,
  { ownOnly = false, alias }: { ownOnly?: boolean; alias?: Record<string, string> } = {},
) {
  const result = await build({
    entryPoints: [new URL(entry, root).pathname],
    absWorkingDir: root.pathname,
    bundle: true,
    minify: true,
    treeShaking: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    // Web Crypto flavour of `#sha256`, as a browser/worker bundler picks ("default" condition).
    conditions: ['worker', 'browser'],
    external: PEERS,
    alias,
    // A user's bundler does not see our tsconfig "paths" (they map #sha256 to src/ for tsc).
    tsconfigRaw: '{}',
    plugins: ownOnly ? [coreExternal()] : [],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  return {
    minBytes: code.byteLength,
    gzipBytes: gzipSync(code, { level: 9 }).byteLength,
    metafile: result.metafile,
  };
}

interface Target {
  name: string;
  entry: string;
  own?: boolean;
}

const TARGETS: Target[] = [
  { name: 'core (edge-idempotency)', entry: 'dist/src/index.js' },
  { name: 'core: withIdempotency + MemoryStore only', entry: 'bench/fixtures/core-typical.js' },
  {
    name: 'store: edge-idempotency/upstash',
    entry: 'dist/src/stores/upstash/index.js',
    own: true,
  },
  {
    name: 'store: edge-idempotency/dynamodb',
    entry: 'dist/src/stores/dynamodb/index.js',
    own: true,
  },
  {
    name: 'store: the lean DynamoDB transport alone (SigV4, credentials, retries, HTTP)',
    entry: 'src/stores/dynamodb/lean-transport.ts',
  },
  {
    name: 'store: edge-idempotency/cloudflare',
    entry: 'dist/src/stores/cloudflare/index.js',
    own: true,
  },
  { name: 'adapter: edge-idempotency/lambda', entry: 'dist/adapters/lambda/index.js', own: true },
  {
    name: 'adapter: withLambdaIdempotency (with the core it uses)',
    entry: 'bench/fixtures/lambda-native.js',
  },
  { name: 'adapter: edge-idempotency/next', entry: 'dist/adapters/next.js', own: true },
];

/** Every row: entries from dist/ and the demo Worker. */
export async function measureSizes(): Promise<SizeRow[]> {
  const rows: SizeRow[] = [];
  for (const target of TARGETS) {
    const full = await bundle(target.entry);
    const row: SizeRow = {
      name: target.name,
      entry: target.entry,
      minBytes: full.minBytes,
      gzipBytes: full.gzipBytes,
    };
    if (target.own) row.ownGzipBytes = (await bundle(target.entry, { ownOnly: true })).gzipBytes;
    rows.push(row);
  }
  // The demo Worker from its sources, as wrangler bundles it (wrangler.toml aliases #sha256).
  const worker = await bundle('examples/worker/index.ts', {
    alias: { '#sha256': new URL('src/sha256.ts', root).pathname },
  });
  const output = Object.values(worker.metafile.outputs)[0];
  let libraryMin = 0;
  let demoMin = 0;
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    if (input.startsWith('examples/')) demoMin += bytesInOutput;
    else libraryMin += bytesInOutput;
  }
  rows.push({
    name: 'demo Worker + DurableObjectStore (all our code)',
    entry: 'examples/worker/index.ts',
    minBytes: worker.minBytes,
    gzipBytes: worker.gzipBytes,
    note: `minified: ${libraryMin} B library, ${demoMin} B demo handler`,
  });
  return rows;
}

/** The rows as a Markdown table. */
export function formatSizes(rows: readonly SizeRow[]): string {
  const kb = (n: number) => `${(n / KB).toFixed(2)} KB`;
  return [
    '| bundle | min | min+gzip | own code only (gzip) |',
    '| --- | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${kb(r.minBytes)} | ${kb(r.gzipBytes)} | ${r.ownGzipBytes === undefined ? '' : kb(r.ownGzipBytes)} |`,
    ),
  ].join('\n');
}

/** One budget as size-limit checks it in CI. */
export interface SizeLimitRow {
  name: string;
  size: number;
  sizeLimit: number;
  passed: boolean;
}

/**
 * The budgets exactly as CI checks them: size-limit's own report (`size-limit --json`, on the
 * built dist/). Its esbuild settings differ from the table above, so its bytes do too: the
 * budgets are judged on these.
 */
export function sizeLimitRows(): SizeLimitRow[] {
  const bin = fileURLToPath(new URL('node_modules/.bin/size-limit', root));
  return JSON.parse(
    execFileSync(bin, ['--json'], {
      cwd: fileURLToPath(root),
      encoding: 'utf8',
      // Its esbuild warnings about side-effect-free chunk imports are not ours to print.
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  );
}

/** The size-limit budgets as a Markdown table (bytes, as size-limit counts them). */
export function formatSizeLimit(rows: readonly SizeLimitRow[]): string {
  return [
    '| budget (package.json "size-limit") | bytes | limit | within |',
    '| --- | ---: | ---: | --- |',
    ...rows.map((r) => `| ${r.name} | ${r.size} | ${r.sizeLimit} | ${r.passed ? 'yes' : '**no**'} |`),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await measureSizes();
  console.log(formatSizes(rows));
  for (const r of rows) if (r.note) console.log(`- ${r.name}: ${r.note}`);
}
