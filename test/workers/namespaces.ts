import { runInDurableObject } from 'cloudflare:test';
import type { IdempotencyObjectNamespace, IdempotencyObjectStub } from '../../src/stores/cloudflare/index.ts';

type Namespace = IdempotencyObjectNamespace<DurableObjectId>;

/** Counts RPC calls made through the namespace's stubs, and the most in flight at once. */
export interface RpcCounter {
  calls: number;
  inFlight: number;
  maxInFlight: number;
}

export const newRpcCounter = (): RpcCounter => ({ calls: 0, inFlight: 0, maxInFlight: 0 });

/** The namespace, with every RPC call on its stubs counted: one call is one round trip. */
export function countingNamespace(namespace: Namespace, counter: RpcCounter): Namespace {
  return {
    idFromName: (name) => namespace.idFromName(name),
    get(id) {
      const stub = namespace.get(id);
      const count = async <T>(call: () => Promise<T>): Promise<T> => {
        counter.calls++;
        counter.maxInFlight = Math.max(counter.maxInFlight, ++counter.inFlight);
        try {
          return await call();
        } finally {
          counter.inFlight--;
        }
      };
      return {
        begin: (input) => count(() => stub.begin(input)),
        complete: (input) => count(() => stub.complete(input)),
        release: (key, token) => count(() => stub.release(key, token)),
        get: (key) => count(() => stub.get(key)),
        delete: (key) => count(() => stub.delete(key)),
      } satisfies IdempotencyObjectStub;
    },
  };
}

/**
 * A namespace whose every stub points at an object that was reset (`ctx.abort()`, what a code
 * update or an overloaded object does to it). A Durable Object has no server to stop, so this
 * is the failure a Worker really meets: the runtime's own error, thrown by each call on the
 * broken stub, with `durableObjectReset: true`. The object's storage is untouched.
 */
export async function resetObjectNamespace(namespace: Namespace): Promise<Namespace> {
  const stub = namespace.get(namespace.idFromName(`reset:${crypto.randomUUID()}`));
  await stub.get('wake-up');
  await runInDurableObject(stub as unknown as DurableObjectStub, (_object, state) =>
    state.abort('reset by the test'),
  ).catch(() => undefined);
  return { idFromName: (name) => namespace.idFromName(name), get: () => stub };
}
