/**
 * The Durable Object store bench, run inside workerd (bench/durable-object.ts bundles this
 * Worker and starts it in miniflare): bench/store-steps.ts on a DurableObjectStore, with every
 * RPC call on the namespace's stubs counted (one call is one round trip to the object).
 */

import type { IdempotencyObjectNamespace, IdempotencyObjectStub } from '../../src/stores/cloudflare/index.ts';
import { DurableObjectStore, IdempotencyObject } from '../../src/stores/cloudflare/index.ts';
import { benchStore } from '../store-steps.ts';

export { IdempotencyObject };

// Typed structurally (no Workers globals), so the repository's Node typecheck covers this file.
interface Env {
  IDEMPOTENCY: IdempotencyObjectNamespace;
}

function countingNamespace(
  namespace: IdempotencyObjectNamespace,
  counter: { calls: number },
): IdempotencyObjectNamespace {
  return {
    idFromName: (name: string) => namespace.idFromName(name),
    get(id: unknown): IdempotencyObjectStub {
      const stub = namespace.get(id);
      const count = <T>(call: () => Promise<T>): Promise<T> => {
        counter.calls++;
        return call();
      };
      return {
        begin: (input) => count(() => stub.begin(input)),
        complete: (input) => count(() => stub.complete(input)),
        release: (key, token) => count(() => stub.release(key, token)),
        get: (key) => count(() => stub.get(key)),
        delete: (key) => count(() => stub.delete(key)),
      };
    },
  };
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const iterations = Number(url.searchParams.get('iterations') ?? 200);
    const counter = { calls: 0 };
    const namespace = countingNamespace(env.IDEMPOTENCY, counter);
    const store = new DurableObjectStore({ namespace });
    const result = await benchStore({
      name: 'durable-object',
      store,
      roundTrips: () => counter.calls,
      iterations,
    });
    return Response.json(result);
  },
};
