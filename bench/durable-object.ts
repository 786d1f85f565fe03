/**
 * The Durable Object store inside workerd: bundles bench/workerd/store-bench-worker.ts with
 * esbuild (`#sha256` aliased to the Web Crypto implementation, as wrangler.toml does), runs it in
 * miniflare with a SQLite-backed IdempotencyObject, and answers what the Worker measured.
 *
 *   npm run build && node bench/durable-object.ts [iterations]
 */

import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type { StoreBenchResult } from './store-steps.ts';

const root = new URL('../', import.meta.url);

/** The part of miniflare 4's API used here. */
interface MiniflareLike {
  dispatchFetch(
    url: string,
    init?: { method?: string; headers?: Record<string, string>; body?: string },
  ): Promise<{
    ok: boolean;
    status: number;
    body: ReadableStream<Uint8Array> | null;
    text(): Promise<string>;
  }>;
  dispose(): Promise<void>;
}

/**
 * The miniflare wrangler ships (4.x, FACTS.md): the top-level `miniflare` in node_modules is a
 * 5.x beta that @cloudflare/vitest-plugin pulls in, with another constructor.
 */
export async function loadMiniflare(): Promise<new (options: object) => MiniflareLike> {
  const fromWrangler = createRequire(createRequire(import.meta.url).resolve('wrangler/package.json'));
  const module = await import(pathToFileURL(fromWrangler.resolve('miniflare')).href);
  return module.Miniflare;
}

/** A Worker entry bundled as wrangler would: `#sha256` is the Web Crypto implementation. */
export async function bundleWorker(entry: string): Promise<string> {
  const bundled = await build({
    entryPoints: [fileURLToPath(new URL(entry, root))],
    absWorkingDir: fileURLToPath(root),
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    external: ['cloudflare:*'],
    alias: { '#sha256': fileURLToPath(new URL('src/sha256.ts', root)) },
    write: false,
    logLevel: 'silent',
  });
  const script = bundled.outputFiles[0]?.text;
  if (!script) throw new Error(`esbuild produced no bundle for ${entry}`);
  return script;
}

export async function benchDurableObject(iterations = 200): Promise<StoreBenchResult> {
  const script = await bundleWorker('bench/workerd/store-bench-worker.ts');
  const Miniflare = await loadMiniflare();
  const mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: '2026-05-01',
    durableObjects: { IDEMPOTENCY: { className: 'IdempotencyObject', useSQLite: true } },
  });
  try {
    const response = await mf.dispatchFetch(`http://bench.local/?iterations=${iterations}`);
    const text = await response.text();
    if (!response.ok) throw new Error(`the workerd bench answered ${response.status}: ${text.slice(0, 500)}`);
    const result = JSON.parse(text) as StoreBenchResult;
    result.note = 'measured inside workerd (miniflare); round trips are RPC calls on the object stubs';
    return result;
  } finally {
    await mf.dispose();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await benchDurableObject(Number(process.argv[2] ?? 200)), null, 2));
}
