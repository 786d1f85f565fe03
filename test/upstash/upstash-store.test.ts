import { Redis } from '@upstash/redis';
import { afterAll, beforeAll } from 'vitest';
import { UpstashStore } from '../../src/stores/upstash/index.ts';
import { describeStoreContract } from '../conformance/store-contract.ts';
import { freePort } from '../helpers/free-port.ts';
import { RELAXED_TIMEOUT_MS, startUpstashBackend, type UpstashBackend } from './backend.ts';

// The store over the REST server with the client's defaults (auto-pipelining, base64
// responses, JSON parsing, retries): a round trip is one HTTP request the server received.
let backend: UpstashBackend;
beforeAll(async () => {
  backend = await startUpstashBackend();
});
afterAll(async () => {
  await backend?.stop();
});

const unreachableStore = async () =>
  new UpstashStore({
    redis: new Redis({ url: `http://127.0.0.1:${await freePort()}`, token: 'x', enableTelemetry: false }),
    timeoutMs: 500,
  });

describeStoreContract(
  'upstash',
  () => new UpstashStore({ redis: backend.client(), prefix: 'contract:', timeoutMs: RELAXED_TIMEOUT_MS }),
  {
    roundTrips: () => backend.rest.requests,
    // Nothing listens there: the client retries for seconds, the store's budget cuts it short.
    makeUnreachableStore: unreachableStore,
  },
);

// The same with every client convenience off: one command per request, raw text results.
describeStoreContract(
  'upstash (plain client)',
  () =>
    new UpstashStore({
      redis: backend.client({
        enableAutoPipelining: false,
        responseEncoding: false,
        automaticDeserialization: false,
      }),
      timeoutMs: RELAXED_TIMEOUT_MS,
    }),
  { roundTrips: () => backend.rest.requests, makeUnreachableStore: unreachableStore },
);
