import { afterAll, beforeAll } from 'vitest';
import { UpstashStore } from '../../src/stores/upstash/index.ts';
import { describeWrapperRules } from '../conformance/wrapper-rules.ts';
import { RELAXED_TIMEOUT_MS, startUpstashBackend, type UpstashBackend } from './backend.ts';

let backend: UpstashBackend;
beforeAll(async () => {
  backend = await startUpstashBackend();
});
afterAll(async () => {
  await backend?.stop();
});

describeWrapperRules(
  'upstash',
  () => new UpstashStore({ redis: backend.client(), prefix: 'rules:', timeoutMs: RELAXED_TIMEOUT_MS }),
);
