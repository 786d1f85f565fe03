/**
 * Heap growth of MemoryStore under 100,000 distinct keys with `maxEntries` set: every request
 * goes through withIdempotency (a 1 KB body, a small JSON answer), and the heap is read after a
 * forced GC at checkpoints, with a macrotask turn every 100 requests as a server has. Runs in a child Node process started with --expose-gc, so the
 * parent's own heap does not blur the figures.
 *
 *   npm run build && node bench/memory-growth.ts
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface MemoryGrowth {
  maxEntries: number;
  keys: number;
  /** [keys so far, heap used in MB after GC]. */
  checkpoints: Array<[number, number]>;
  entriesHeld: number;
}

const CHILD = 'child';

async function child(keys: number, maxEntries: number): Promise<MemoryGrowth> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const { MemoryStore, withIdempotency } = await import('edge-idempotency');
  const store = new MemoryStore({ maxEntries });
  const handler = withIdempotency(
    async (request: Request) => {
      await request.arrayBuffer();
      return Response.json({ id: 'order-1', status: 'accepted' }, { status: 201 });
    },
    { store },
  );
  const body = new Uint8Array(1024).fill(97);
  // FinalizationRegistry callbacks (undici's, for the signal a `new Request(request, init)`
  // follows) only run on a macrotask turn: collect, give them turns, collect again.
  const turn = () => new Promise((resolve) => setTimeout(resolve, 10));
  const heapMb = async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await turn();
    }
    gc();
    return process.memoryUsage().heapUsed / 2 ** 20;
  };
  const checkpoints: Array<[number, number]> = [[0, await heapMb()]];
  const marks = new Set([maxEntries, 2 * maxEntries, keys / 2, keys]);
  for (let i = 1; i <= keys; i++) {
    const response = await handler(
      new Request('https://bench.example/orders', {
        method: 'POST',
        body,
        headers: { 'idempotency-key': `key-${i}`, 'content-type': 'application/json' },
      }),
    );
    if (response.status !== 201) throw new Error(`request ${i} answered ${response.status}`);
    await response.arrayBuffer();
    // A server gets a macrotask turn between requests (socket I/O); a loop of awaits alone
    // would run only microtasks and starve the finalizers above.
    if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    if (marks.has(i)) checkpoints.push([i, await heapMb()]);
  }
  // Every key was new: the store holds at most maxEntries of them.
  const entriesHeld = store.size;
  return { maxEntries, keys, checkpoints, entriesHeld };
}

export function measureMemoryGrowth(keys = 100_000, maxEntries = 10_000): MemoryGrowth {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', fileURLToPath(import.meta.url), CHILD, String(keys), String(maxEntries)],
    { cwd: fileURLToPath(new URL('../', import.meta.url)), encoding: 'utf8' },
  );
  return JSON.parse(out) as MemoryGrowth;
}

export function formatMemoryGrowth(m: MemoryGrowth): string {
  const base = m.checkpoints[0]?.[1] ?? 0;
  return [
    `MemoryStore({ maxEntries: ${m.maxEntries.toLocaleString('en')} }), ${m.keys.toLocaleString('en')} distinct keys through withIdempotency (1 KB bodies), heap after a forced GC:`,
    '',
    '| keys so far | heap used MB | growth MB |',
    '| ---: | ---: | ---: |',
    ...m.checkpoints.map(
      ([k, mb]) => `| ${k.toLocaleString('en')} | ${mb.toFixed(1)} | ${(mb - base).toFixed(1)} |`,
    ),
    '',
    `Entries held at the end: ${m.entriesHeld.toLocaleString('en')}.`,
  ].join('\n');
}

if (process.argv[2] === CHILD) {
  process.stdout.write(JSON.stringify(await child(Number(process.argv[3]), Number(process.argv[4]))));
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(formatMemoryGrowth(measureMemoryGrowth()));
}
