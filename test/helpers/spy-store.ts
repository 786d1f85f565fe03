import type { IdempotencyStore } from '../../src/types.ts';

/** Every argument a store was called with, for checks of what reaches a backend. */
export function spyOnStore(store: IdempotencyStore): {
  store: IdempotencyStore;
  calls: Array<[string, unknown[]]>;
} {
  const calls: Array<[string, unknown[]]> = [];
  const spied = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push([String(property), args]);
        return value.apply(target, args);
      };
    },
  });
  return { store: spied, calls };
}
