import type { IdempotencyStore } from '../../src/types.ts';

/** A store that counts calls into the one it wraps: for stores whose round trip is a call. */
export function countRoundTrips(store: IdempotencyStore, counter: { calls: number }): IdempotencyStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        counter.calls++;
        return value.apply(target, args);
      };
    },
  });
}
