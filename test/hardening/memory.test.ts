/** Hardening on MemoryStore: the model-based property test, and proof that it can fail. */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/index.ts';
import type { CompleteInput } from '../../src/types.ts';
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
