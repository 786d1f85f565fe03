/** The model-based property test of test/hardening/store-model.ts, on DurableObjectStore in workerd. */
import { env } from 'cloudflare:workers';
import { describe, it } from 'vitest';
import { DurableObjectStore } from '../../src/stores/cloudflare/index.ts';
import { checkStoreAgainstModel } from '../hardening/store-model.ts';

describe('DurableObjectStore against the model', () => {
  it('agrees with the model after every step of random schedules', async () => {
    await checkStoreAgainstModel(() => new DurableObjectStore({ namespace: env.IDEMPOTENCY }));
  });
});
