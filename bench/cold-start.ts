/**
 * Cold start: how long `import()` of a module takes in a fresh Node process, measured inside
 * the child around the `import()` alone (process start-up excluded), median of N spawns, ours
 * and Powertools' side by side. Run after `npm run build` (the package resolves into dist/).
 *
 *   npm run build && node bench/cold-start.ts [spawns]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import { percentile } from './store-steps.ts';

export interface ColdStartRow {
  module: string;
  medianMs: number;
  p90Ms: number;
  spawns: number;
}

/** What each row imports; the label says what it is when the specifier does not. */
interface Subject {
  label: string;
  specifier: string;
}

const SUBJECTS: Subject[] = [
  // The floor: the first dynamic import() of a process sets up the ESM loader.
  { label: 'an empty module (loader floor)', specifier: 'data:text/javascript,export default 1' },
  { label: '`edge-idempotency`', specifier: 'edge-idempotency' },
  { label: '`edge-idempotency` bundled into one file (esbuild)', specifier: 'BUNDLED_CORE' },
  { label: '`edge-idempotency/dynamodb` (lean: no AWS SDK)', specifier: 'edge-idempotency/dynamodb' },
  {
    label: '`edge-idempotency/dynamodb` + AWS SDK client',
    specifier: new URL('./fixtures/dynamodb-with-sdk.js', import.meta.url).href,
  },
  { label: '`@aws-lambda-powertools/idempotency`', specifier: '@aws-lambda-powertools/idempotency' },
  {
    label: '`@aws-lambda-powertools/idempotency/dynamodb` (+ AWS SDK client)',
    specifier: '@aws-lambda-powertools/idempotency/dynamodb',
  },
];

const root = fileURLToPath(new URL('../', import.meta.url));

function importOnce(specifier: string): number {
  // The package imports itself by name from the repository root (package.json "exports").
  const script = `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
  });
  return Number(out);
}

export function measureColdStart(spawns = 21): ColdStartRow[] {
  // For reference: the whole core in a single file (dist/ ships each entry plus shared chunks).
  const dir = mkdtempSync(join(tmpdir(), 'cold-start-'));
  const bundled = join(dir, 'core.mjs');
  buildSync({
    entryPoints: [join(root, 'dist/src/index.js')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    outfile: bundled,
    logLevel: 'silent',
  });
  const specifier = (s: Subject) =>
    s.specifier === 'BUNDLED_CORE' ? pathToFileURL(bundled).href : s.specifier;
  const samples = new Map<string, number[]>(SUBJECTS.map((s) => [s.label, []]));
  try {
    // Interleaved, so a busy moment on the machine hits every module alike; one unrecorded
    // round first warms the file system cache.
    for (let i = -1; i < spawns; i++) {
      for (const subject of SUBJECTS) {
        const ms = importOnce(specifier(subject));
        if (i >= 0) samples.get(subject.label)?.push(ms);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return SUBJECTS.map(({ label }) => {
    const sorted = (samples.get(label) ?? []).sort((a, b) => a - b);
    return {
      module: label,
      medianMs: percentile(sorted, 0.5),
      p90Ms: percentile(sorted, 0.9),
      spawns: sorted.length,
    };
  });
}

export function formatColdStart(rows: readonly ColdStartRow[]): string {
  return [
    '| module | import() median ms | p90 ms | spawns |',
    '| --- | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.module} | ${r.medianMs.toFixed(1)} | ${r.p90Ms.toFixed(1)} | ${r.spawns} |`),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(formatColdStart(measureColdStart(Number(process.argv[2] ?? 21))));
}
