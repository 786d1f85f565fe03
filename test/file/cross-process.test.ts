import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const PROCESSES = 6;
const REQUESTS_EACH = 20;

const dir = mkdtempSync(join(tmpdir(), 'edge-idempotency-file-processes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const child = (name: string) => fileURLToPath(new URL(`./children/${name}`, import.meta.url));

interface Child {
  ready: Promise<void>;
  done: Promise<string>;
  stdin: NodeJS.WritableStream;
}

function startChild(args: string[]): Child {
  const proc = spawn(
    process.execPath,
    [
      '--disable-warning=ExperimentalWarning',
      '--import',
      child('resolve-sources.ts'),
      child('hammer.ts'),
      ...args,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  proc.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk;
    if (stdout.startsWith('ready\n')) markReady();
  });
  proc.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const done = new Promise<string>((resolve, reject) => {
    proc.on('exit', (code) =>
      code === 0
        ? resolve(stdout.slice('ready\n'.length))
        : reject(new Error(`child exited with ${code}:\n${stderr}`)),
    );
  });
  // A child that died before saying ready must fail the test, not hang it.
  done.catch(() => markReady());
  return { ready, done, stdin: proc.stdin };
}

it(`runs the handler exactly once for one key hammered by ${PROCESSES} processes × ${REQUESTS_EACH} requests on one file`, async () => {
  const path = join(dir, 'records.sqlite');
  const runsFile = join(dir, 'runs.log');
  writeFileSync(runsFile, '');
  const key = `charge-${crypto.randomUUID()}`;
  const children = Array.from({ length: PROCESSES }, () =>
    startChild([path, runsFile, key, String(REQUESTS_EACH)]),
  );
  await Promise.all(children.map((c) => c.ready));
  // One start signal for all: opening the new file (WAL, schema) and the begins race too.
  for (const c of children) c.stdin.write('go\n');
  const outputs = await Promise.all(children.map((c) => c.done));

  const runs = readFileSync(runsFile, 'utf8').trim().split('\n');
  expect(runs).toHaveLength(1);

  const responses = outputs.flatMap((out) =>
    out
      .trim()
      .split('\n')
      .map(
        (line) => JSON.parse(line) as { status: number; replayed: string | null; pid: string; body: string },
      ),
  );
  expect(responses).toHaveLength(PROCESSES * REQUESTS_EACH);
  const expected = Buffer.from(Uint8Array.from({ length: 256 }, (_, i) => 255 - i)).toString('hex');
  for (const response of responses) {
    expect(response).toMatchObject({ status: 201, pid: runs[0], body: expected });
  }
  expect(responses.filter((r) => r.replayed === null)).toHaveLength(1);
});
