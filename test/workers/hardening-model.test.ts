/** The model-based property test of test/hardening/store-model.ts, on DurableObjectStore in workerd. */
import { env } from 'cloudflare:workers';
import { describe, it } from 'vitest';
import { DurableObjectStore } from '../../src/stores/cloudflare/index.ts';
import { checkStoreAgainstModel } from '../hardening/store-model.ts';
import { checkWrapperAgainstModel, checkWrapperLeaseExpiry } from '../hardening/wrapper-model.ts';

describe('DurableObjectStore against the model', () => {
  it('agrees with the model after every step of random schedules', async () => {
    await checkStoreAgainstModel(() => new DurableObjectStore({ namespace: env.IDEMPOTENCY }));
  });

  it('runs the handler once per key through the wrapper, and replays or rejects every duplicate', async () => {
    await checkWrapperAgainstModel(() => new DurableObjectStore({ namespace: env.IDEMPOTENCY }));
  });

  it('runs the handler at most once per lease when a run outlives its lease', async () => {
    await checkWrapperLeaseExpiry(() => new DurableObjectStore({ namespace: env.IDEMPOTENCY }));
  });
});
