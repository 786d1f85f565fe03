import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { type Runtime, start } from '../runtimes/runtimes.ts';

const REQUESTS_EACH = 20;
const hammer = fileURLToPath(new URL('./children/hammer.ts', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'edge-idempotency-file-processes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Answer {
  status: number;
  replayed: string | null;
  pid: string;
  body: string;
}

/**
 * Start one process per entry of `runtimes`, all on one new file and one key, release them at
 * once, and answer what they saw and which pids ran the handler.
 */
async function hammerOneKey(
  name: string,
  runtimes: Runtime[],
): Promise<{ runs: string[]; answers: Answer[] }> {
  const path = join(dir, `${name}.sqlite`);
  const runsFile = join(dir, `${name}.runs`);
  writeFileSync(runsFile, '');
  const key = `charge-${crypto.randomUUID()}`;
  const children = runtimes.map((runtime) =>
    start(runtime, hammer, [path, runsFile, key, String(REQUESTS_EACH)], dir, 'pipe'),
  );
  try {
    for (const child of children) expect(await child.firstLine).toBe('ready');
    // One start signal for all: opening the new file (WAL, schema) and the begins race too.
    for (const child of children) child.process.stdin?.write('go\n');
    const codes = await Promise.all(children.map((child) => child.exited));
    for (const [i, child] of children.entries()) {
      expect(codes[i], `${runtimes[i]}: ${child.output().stderr}`).toBe(0);
    }
  } finally {
    for (const child of children) child.process.kill();
  }
  const answers = children.flatMap((child) =>
    child
      .output()
      .stdout.trim()
      .split('\n')
      .slice(1)
      .map((line) => JSON.parse(line) as Answer),
  );
  return { runs: readFileSync(runsFile, 'utf8').trim().split('\n'), answers };
}

function expectOneRunReplayedToAll(result: { runs: string[]; answers: Answer[] }, processes: number) {
  expect(result.runs).toHaveLength(1);
  expect(result.answers).toHaveLength(processes * REQUESTS_EACH);
  const expected = Buffer.from(Uint8Array.from({ length: 256 }, (_, i) => 255 - i)).toString('hex');
  for (const answer of result.answers) {
    expect(answer).toMatchObject({ status: 201, pid: result.runs[0], body: expected });
  }
  expect(result.answers.filter((a) => a.replayed === null)).toHaveLength(1);
}

it(`runs the handler exactly once for one key hammered by 6 Node processes × ${REQUESTS_EACH} requests on one file`, async () => {
  expectOneRunReplayedToAll(await hammerOneKey('node', Array(6).fill('node')), 6);
});

it('runs it exactly once when Node, Deno and Bun processes share the file (three SQLite builds, one lock)', async () => {
  const runtimes: Runtime[] = ['node', 'deno', 'bun', 'node', 'deno', 'bun'];
  expectOneRunReplayedToAll(await hammerOneKey('mixed', runtimes), runtimes.length);
});
