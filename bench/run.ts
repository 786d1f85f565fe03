/**
 * `npm run bench`: every figure from one run on this machine, printed as one table and written
 * to bench/RESULTS.md with the machine, Node version and date. Ratios compare rows of the same
 * run only. Nothing here asserts: a benchmark reports, CI's size check enforces budgets.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { measureWrapperOverhead } from './wrapper-overhead.ts';

const lines: string[] = [];
const out = (line = '') => {
  console.log(line);
  lines.push(line);
};
const fmt = (n: number, digits = 1) => n.toFixed(digits);

out('# edge-idempotency benchmark');
out();
out(
  `${new Date().toISOString()} · Node ${process.version} · ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}`,
);
out();

out('## Wrapper overhead (Node, MemoryStore)');
out();
out("Median of each task's samples (count in the last column). Overhead is over the bare handler.");
out();
const overhead = await measureWrapperOverhead();
out('| case | body | µs/op (median) | ops/s | overhead µs | samples |');
out('| --- | --- | ---: | ---: | ---: | ---: |');
for (const row of overhead) {
  out(
    `| ${row.case} | ${row.body} | ${fmt(row.medianUs)} | ${fmt(row.opsPerSec, 0)} | ${fmt(row.overheadUs)} | ${row.samples} |`,
  );
}
out();
for (const body of ['1 KB', '100 KB']) {
  for (const step of ['new', 'replay']) {
    const ours = overhead.find((r) => r.body === body && r.case === `withIdempotency ${step}`);
    const floor = overhead.find((r) => r.body === body && r.case === `floor ${step}`);
    if (ours && floor) {
      out(
        `- ${body} ${step}: our overhead is ${fmt(ours.overheadUs / floor.overheadUs, 2)}× the floor's (budget ≤ 1.25×)`,
      );
    }
  }
}
out();

writeFileSync(new URL('./RESULTS.md', import.meta.url), `${lines.join('\n')}\n`);
