/**
 * `npm run build`: declarations from tsc, JavaScript from esbuild. Each entry is one file plus
 * shared chunks (the core), so `import('edge-idempotency')` loads a few modules instead of one
 * per source file (cold start ~20 ms → ~6 ms on Node 22), and every entry shares one copy of
 * the core (one `IdempotencyStoreError` class for `instanceof`). `#sha256` stays a runtime
 * import (and `#dynamodb-runtime`), so the package's `node` condition still picks `node:crypto`
 * (`node:http`, `node:zlib`) on Node only.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

process.chdir(fileURLToPath(new URL('..', import.meta.url)));

const ENTRIES = [
  'src/index.ts',
  'src/record-codec.ts',
  'src/sha256.ts',
  'src/sha256.node.ts',
  'src/stores/upstash/index.ts',
  'src/stores/dynamodb/index.ts',
  'src/stores/dynamodb/runtime.ts',
  'src/stores/dynamodb/runtime.node.ts',
  'src/stores/cloudflare/index.ts',
  'src/stores/file/index.ts',
  'adapters/lambda/index.ts',
  'adapters/next.ts',
  'adapters/hono/index.ts',
  'src/webhooks.ts',
  'adapters/cloudflare-queues.ts',
];

rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
  stdio: 'inherit',
});
await build({
  entryPoints: ENTRIES,
  outbase: '.',
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  packages: 'external',
  external: ['#sha256', '#dynamodb-runtime', 'cloudflare:*', 'node:*'],
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
});
