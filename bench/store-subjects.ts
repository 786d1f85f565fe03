/**
 * The store-level sides of the Powertools comparisons (DynamoDB and Redis): our store's
 * `begin`/`complete` and a Powertools persistence layer's `saveInProgress`/`saveSuccess`,
 * driven through the same three steps with the same payload, each step checked for what it did.
 */
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { IdempotencyStore } from '../src/types.ts';

export const BODY = JSON.stringify({ amount: 100, currency: 'EUR', note: 'x'.repeat(200) });
export const RESULT = JSON.stringify({ id: 'order-1', status: 'accepted', amount: 100 });

/** One implementation under test, driven through the three steps. */
export interface Subject {
  /** Backend requests made so far. */
  calls(): number;
  /** A new request on `key`, run to completion. */
  fresh(key: string): Promise<void>;
  /** A duplicate of the completed request on `key`. */
  replay(key: string): Promise<void>;
  /** Start a request on `key` and keep it in progress until the answered function is called. */
  hold(key: string): Promise<() => Promise<void>>;
  /** A duplicate while the request on `key` is held. */
  conflict(key: string): Promise<void>;
}

export function fail(message: string): never {
  throw new Error(`bench sanity check failed: ${message}`);
}

/** Our store, stepped directly (the wrapper's hashing is left out: ours gets a ready fingerprint). */
export function ourStoreSubject(store: IdempotencyStore, calls: () => number): Subject {
  const fingerprint = 'f'.repeat(64);
  const response = {
    status: 201,
    headers: [['content-type', 'application/json']] as Array<[string, string]>,
    body: new TextEncoder().encode(RESULT),
  };
  const begin = (key: string, token: string) => store.begin({ key, fingerprint, token, leaseMs: 30_000 });
  return {
    calls,
    async fresh(key) {
      if (!(await begin(key, 'a')).acquired) fail('ours: new key not acquired');
      if (!(await store.complete({ key, token: 'a', response, ttlMs: 3_600_000 })))
        fail('ours: not completed');
    },
    async replay(key) {
      const result = await begin(key, 'b');
      if (result.acquired || result.record.state !== 'completed') fail('ours: no replay');
    },
    async hold(key) {
      await begin(key, 'a');
      return async () => void (await store.complete({ key, token: 'a', response, ttlMs: 3_600_000 }));
    },
    async conflict(key) {
      const result = await begin(key, 'b');
      if (result.acquired || result.record.state !== 'in_progress') fail('ours: no conflict');
    },
  };
}

/** A Powertools persistence layer, keyed on `key` and validating the body like our fingerprint. */
export function powertoolsStoreSubject(layer: BasePersistenceLayer, calls: () => number): Subject {
  layer.configure({
    config: new IdempotencyConfig({ eventKeyJmesPath: 'key', payloadValidationJmesPath: 'body' }),
    functionName: 'bench',
  });
  const data = (key: string) => ({ key, body: BODY });
  const existing = async (key: string) => {
    const error = await layer.saveInProgress(data(key), 30_000).then(
      () => null,
      (e: Error & { existingRecord?: { getStatus(): string } }) => e,
    );
    return error?.existingRecord?.getStatus();
  };
  return {
    calls,
    async fresh(key) {
      await layer.saveInProgress(data(key), 30_000);
      await layer.saveSuccess(data(key), RESULT);
    },
    async replay(key) {
      if ((await existing(key)) !== 'COMPLETED') fail('powertools: no replay');
    },
    async hold(key) {
      await layer.saveInProgress(data(key), 30_000);
      return () => layer.saveSuccess(data(key), RESULT);
    },
    async conflict(key) {
      if ((await existing(key)) !== 'INPROGRESS') fail('powertools: no conflict');
    },
  };
}
