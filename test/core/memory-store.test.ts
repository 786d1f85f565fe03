import { MemoryStore } from '../../src/index.ts';
import { describeStoreContract } from '../conformance/store-contract.ts';
import { countRoundTrips } from '../helpers/count-round-trips.ts';

// In memory a round trip is one call into the store, so the counter wraps the store itself.
const counter = { calls: 0 };

describeStoreContract('memory', () => countRoundTrips(new MemoryStore(), counter), {
  roundTrips: () => counter.calls,
  makeUnreachableStore: () => {
    const store = new MemoryStore();
    store.close();
    return store;
  },
});
