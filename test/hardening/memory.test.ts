/**
 * Hardening on MemoryStore: the model-based property test and proof that it can fail, and its
 * bounds seen through the wrapper (a flood of keys never evicts a live lock).
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore, PROBLEM_TYPES, withIdempotency } from '../../src/index.ts';
import type { CompleteInput } from '../../src/types.ts';
import { expectNotRetainedThroughWrapper } from '../conformance/store-contract.ts';
import { checkStoreAgainstModel } from './store-model.ts';
import { checkWrapperAgainstModel, checkWrapperLeaseExpiry } from './wrapper-model.ts';

/** A store with a classic bug: complete ignores the fencing token. */
class UnfencedStore extends MemoryStore {
  override async complete(input: CompleteInput): Promise<boolean> {
    const live = await this.get(input.key);
    if (live?.state !== 'in_progress') return false;
    await this.delete(input.key);
    await super.begin({ key: input.key, fingerprint: live.fingerprint, token: input.token, leaseMs: 60_000 });
    return super.complete(input);
  }
}

describe('MemoryStore against the model', () => {
  it('agrees with the model after every step of random schedules', async () => {
    await checkStoreAgainstModel(() => new MemoryStore({ sweepIntervalMs: 0 }), { runs: 10 });
  });

  it('runs the handler once per key through the wrapper, and replays or rejects every duplicate', async () => {
    await checkWrapperAgainstModel(() => new MemoryStore({ sweepIntervalMs: 0 }));
  });

  it('runs the handler at most once per lease when a run outlives its lease', async () => {
    await checkWrapperLeaseExpiry(() => new MemoryStore({ sweepIntervalMs: 0 }));
  });

  it('catches a store whose complete ignores the fencing token', async () => {
    await expect(
      checkStoreAgainstModel(() => new UnfencedStore({ sweepIntervalMs: 0 }), { runs: 50 }),
    ).rejects.toThrow(/Property failed/);
  });
});

const post = (key: string, body = '{}') =>
  new Request('http://store.test/orders', { method: 'POST', headers: { 'idempotency-key': key }, body });

/**
 * A handler whose first run for a `slow…` key waits until `finish()`; every other run answers
 * at once (so a second run, the bug, shows as a status instead of a hang).
 */
function gatedHandler() {
  const runs = new Map<string, number>();
  let finish: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const handler = async (request: Request) => {
    const key = request.headers.get('idempotency-key') ?? '';
    const run = (runs.get(key) ?? 0) + 1;
    runs.set(key, run);
    if (key.startsWith('slow') && run === 1) await gate;
    return new Response(`done ${key}`, { status: 201 });
  };
  return { handler, runs, finish };
}

describe('MemoryStore bounds through the wrapper', () => {
  it('keeps a live lock through a flood of 10x maxEntries other keys: its duplicate gets 409, not a second run', async () => {
    const maxEntries = 50;
    const store = new MemoryStore({ maxEntries, sweepIntervalMs: 0 });
    const { handler, runs, finish } = gatedHandler();
    const serve = withIdempotency(handler, { store });

    const first = serve(post('slow'));
    await expect.poll(() => runs.get('slow')).toBe(1);
    for (let i = 0; i < 10 * maxEntries; i++) {
      const response = await serve(post(`flood-${i}`));
      expect(response.status).toBe(201);
    }
    expect(store.size).toBeLessThanOrEqual(maxEntries);

    const duplicate = await serve(post('slow'));
    expect(duplicate.status).toBe(409);
    expect((await duplicate.json()).type).toBe(PROBLEM_TYPES.inProgress);
    expect(runs.get('slow')).toBe(1);

    finish();
    expect((await first).status).toBe(201);
    const replay = await serve(post('slow'));
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.text()).toBe('done slow');
    expect(runs.get('slow')).toBe(1);
  });

  it('answers 503 without running the handler when every record is a live lock', async () => {
    const store = new MemoryStore({ maxEntries: 3, sweepIntervalMs: 0 });
    const { handler, runs, finish } = gatedHandler();
    const serve = withIdempotency(handler, { store });
    const running = ['slow-a', 'slow-b', 'slow-c'].map((key) => serve(post(key)));
    await expect.poll(() => runs.size).toBe(3);

    const refused = await serve(post('new'));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await refused.json()).type).toBe(PROBLEM_TYPES.storeUnavailable);
    expect(runs.has('new')).toBe(false);
    // The running requests are untouched: their duplicates are still held off.
    expect((await serve(post('slow-a'))).status).toBe(409);

    finish();
    for (const response of await Promise.all(running)) expect(response.status).toBe(201);
    expect((await serve(post('new'))).status).toBe(201);
    expect(runs.get('new')).toBe(1);
    expect(runs.get('slow-a')).toBe(1);
  });

  // Needs the wrapper to honour `store.maxRecordBytes` (issue 12, item 2, core side).
  it('completes a response over maxRecordBytes without its body: reported not_retained, replayed as such, run once', async () => {
    const store = new MemoryStore({ maxBytes: 64 * 1024, sweepIntervalMs: 0 }); // records up to 4 KiB
    await expectNotRetainedThroughWrapper(store, 10 * 1024);
    expect(store.bytes).toBeLessThan(1024);
  });
});
