/** Hardening on UpstashStore over the REST server and a real redis-server. */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { UpstashStore } from '../../src/stores/upstash/index.ts';
import { startUpstashBackend, type UpstashBackend } from '../upstash/backend.ts';
import { checkStoreAgainstModel } from './store-model.ts';
import { checkWrapperAgainstModel } from './wrapper-model.ts';

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

  it('runs the handler once per key through the wrapper, and replays or rejects every duplicate', async () => {
    await checkWrapperAgainstModel(() => new UpstashStore({ redis: backend.client() }));
  });
});
