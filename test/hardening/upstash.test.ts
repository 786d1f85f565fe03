/** Hardening on UpstashStore over the REST server and a real redis-server. */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { UpstashStore } from '../../src/stores/upstash/index.ts';
import { startUpstashBackend, type UpstashBackend } from '../upstash/backend.ts';
import { checkStoreAgainstModel } from './store-model.ts';

let backend: UpstashBackend;
beforeAll(async () => {
  backend = await startUpstashBackend();
});
afterAll(async () => {
  await backend?.stop();
});

describe('UpstashStore against the model', () => {
  it('agrees with the model after every step of random schedules', async () => {
    await checkStoreAgainstModel(() => new UpstashStore({ redis: backend.client() }));
  });
});
