/**
 * The library on Deno and Bun for real: each runtime serves a `withIdempotency` handler with
 * its own server (Deno.serve, Bun.serve), with MemoryStore and with FileStore (both runtimes
 * provide `node:sqlite`), and runs `idempotent(fn)`. Nothing here is skipped: a runtime that
 * did not install fails these tests.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Runtime, runtimeBinary, runtimeScript, type Started, start } from './runtimes.ts';

const dir = mkdtempSync(join(tmpdir(), 'edge-idempotency-runtimes-'));
const running: Started[] = [];
afterEach(async () => {
  for (const started of running.splice(0)) {
    started.process.kill();
    await started.exited;
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// Every byte value, twice, so a text decoding anywhere on the way would show.
const binary = Uint8Array.from({ length: 512 }, (_, i) => i % 256);
const reversed = binary.slice().reverse();

async function startServer(runtime: Runtime, store: string): Promise<string> {
  const server = start(runtime, runtimeScript('server.ts'), [store], dir);
  running.push(server);
  const line = await server.firstLine;
  const [, port, name] = line.split(' ');
  expect(line).toMatch(/^listening \d+ /);
  expect(name).toBe(runtime);
  return `http://127.0.0.1:${port}`;
}

const post = (base: string, key: string, body: BodyInit, headers: Record<string, string> = {}) =>
  fetch(`${base}/orders`, {
    method: 'POST',
    headers: { 'idempotency-key': key, 'content-type': 'application/octet-stream', ...headers },
    body,
  });

const runsOf = async (base: string, key: string) =>
  (await (await fetch(`${base}/runs?key=${key}`)).json()) as number;

async function expectBytes(response: Response, bytes: Uint8Array) {
  expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
}

describe.each(['deno', 'bun'] as const)('%s', (runtime) => {
  it('is installed from npm and runs', () => {
    const version = spawnSync(runtimeBinary(runtime), ['--version'], { encoding: 'utf8' });
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout).toMatch(/\d+\.\d+\.\d+/);
  });

  const stores: Array<[string, () => string]> = [
    ['MemoryStore', () => 'memory'],
    ['FileStore', () => `file:${join(dir, `${runtime}-${crypto.randomUUID()}.sqlite`)}`],
  ];
  describe.each(stores)('%s behind withIdempotency', (_name, storeSpec) => {
    it('replays a binary response byte for byte, and answers 422 to another body under the key', async () => {
      const base = await startServer(runtime, storeSpec());
      const first = await post(base, 'order-1', binary);
      expect(first.status).toBe(201);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      await expectBytes(first, reversed);

      const replay = await post(base, 'order-1', binary);
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.headers.get('x-run')).toBe('1');
      expect(replay.headers.get('content-type')).toBe('application/octet-stream');
      await expectBytes(replay, reversed);

      const mismatch = await post(base, 'order-1', 'another body');
      expect(mismatch.status).toBe(422);
      expect(mismatch.headers.get('content-type')).toBe('application/problem+json');
      expect(await mismatch.json()).toMatchObject({ status: 422 });
      expect(await runsOf(base, 'order-1')).toBe(1);
    });

    it('answers 409 with Retry-After while the first request runs, then replays its answer', async () => {
      const base = await startServer(runtime, storeSpec());
      const first = post(base, 'order-2', binary, { 'x-hold': '1' });
      while ((await runsOf(base, 'order-2')) === 0) await sleep(10);

      const duplicate = await post(base, 'order-2', binary, { 'x-hold': '1' });
      expect(duplicate.status).toBe(409);
      expect(Number(duplicate.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await duplicate.json()).toMatchObject({ status: 409 });

      expect(await (await fetch(`${base}/release?key=order-2`)).text()).toBe('released');
      const answered = await first;
      expect(answered.status).toBe(201);
      await expectBytes(answered, reversed);
      const replay = await post(base, 'order-2', binary, { 'x-hold': '1' });
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      await expectBytes(replay, reversed);
      expect(await runsOf(base, 'order-2')).toBe(1);
    });

    it('runs idempotent(fn) once per key', async () => {
      const script = start(runtime, runtimeScript('idempotent-fn.ts'), [storeSpec()], dir);
      running.push(script);
      const result = JSON.parse(await script.firstLine);
      expect(await script.exited, script.output().stderr).toBe(0);
      expect(result).toEqual({
        runtime,
        runs: 3 + 1,
        first: { charge: 'ch_1', customer: 'cus_1', cents: 500 },
        again: { charge: 'ch_1', customer: 'cus_1', cents: 500 },
        other: { charge: 'ch_2', customer: 'cus_2', cents: 500 },
        concurrent: Array.from({ length: 10 }, () => ({ charge: 'ch_3', customer: 'cus_3', cents: 700 })),
        duplicate: 'conflict:in_progress',
      });
    });
  });

  it('keeps FileStore records across a restart of the server', async () => {
    const store = `file:${join(dir, `${runtime}-restart.sqlite`)}`;
    const before = await startServer(runtime, store);
    await expectBytes(await post(before, 'order-3', binary), reversed);
    const stopped = running.pop() as Started;
    stopped.process.kill();
    await stopped.exited;

    const after = await startServer(runtime, store);
    const replay = await post(after, 'order-3', binary);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    await expectBytes(replay, reversed);
    expect(await runsOf(after, 'order-3')).toBe(0);
  });
});

describe('FileStore, step by step', () => {
  it.each(['node', 'deno', 'bun'] as const)('answers every operation the same on %s', async (runtime) => {
    const script = start(
      runtime,
      runtimeScript('file-store-steps.ts'),
      [join(dir, `${runtime}-steps.sqlite`)],
      dir,
    );
    running.push(script);
    const steps = JSON.parse(await script.firstLine);
    expect(await script.exited, script.output().stderr).toBe(0);
    expect(steps).toEqual({
      runtime,
      takeA: 'acquired',
      otherOnA: 'in_progress',
      ownTokenOnA: 'acquired',
      completeA: true,
      getA: {
        state: 'completed',
        fingerprint: true,
        expiresAt: 'number',
        status: 201,
        headers: [
          ['set-cookie', 'x=1'],
          ['set-cookie', 'y=2'],
          ['x-text', 'caf\u00e9'],
        ],
        body: '00ffefbbbf0a',
      },
      replayA: 'completed',
      releaseCompletedA: false,
      takeB: 'acquired',
      releaseBWrongToken: false,
      releaseB: true,
      getB: null,
      takeC: 'acquired',
      getExpiredC: null,
      completeExpiredC: false,
      retakeC: 'acquired',
      getMany: ['completed', null, 'in_progress'],
      deleteA: true,
      deleteAAgain: false,
      deleteMany: 1,
      afterClose: 'IdempotencyStoreError',
    });
  });
});
