/**
 * A model of the store contract, and a property that drives a real store with random schedules
 * of commands from several clients and checks it against the model after every step. Runs
 * unchanged in Node and in workerd: it imports nothing but vitest, fast-check and the core.
 *
 * Per key the model holds: absent, in progress (token, fingerprint, lease end) or completed
 * (fingerprint, response, TTL end). Stores use real clocks, so the model keeps, for every
 * record, the window in which it expires (the write started at t0 and answered at t1: it
 * expires between t0 + duration and t1 + duration). An observation made wholly before that
 * window must see the record, one wholly after it must not, and one that overlaps it may see
 * either; the model then follows what the store showed.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { assertRecord } from '../../src/record-codec.ts';
import type { IdempotencyRecord, IdempotencyStore, StoredResponse } from '../../src/types.ts';
import { propertyParameters } from './runs.ts';

export interface StoreModelOptions {
  /** A short lease or TTL, waited out by the `elapse` command. Default 200 ms. */
  shortMs?: number;
  /** Clock difference tolerated between the test and the backend. Default 50 ms. */
  slackMs?: number;
  /** Schedules tried (times `HARDENING_RUNS`). Default 6. */
  runs?: number;
  /** Most commands in one schedule. Default 14. */
  maxCommands?: number;
}

const LONG_MS = 120_000;
const KEYS = 2;
const CLIENTS = 3;

const FINGERPRINTS = ['a'.repeat(64), 'b'.repeat(64)];

type Live =
  | { state: 'in_progress'; token: string; fingerprint: string; from: number; to: number }
  | { state: 'completed'; fingerprint: string; response: StoredResponse; from: number; to: number };

type Command =
  | { type: 'begin'; key: number; client: number; fingerprint: number; short: boolean }
  | { type: 'complete'; key: number; client: number; short: boolean; response: StoredResponse }
  | { type: 'release'; key: number; client: number }
  | { type: 'get'; key: number }
  | { type: 'delete'; key: number }
  | { type: 'elapse' };

// Plain objects, as the wrapper builds them (structured clone refuses null-prototype ones).
const plainObject = { noNullPrototype: true };

const storedResponse: fc.Arbitrary<StoredResponse> = fc.record(
  {
    status: fc.constantFrom(200, 201, 204, 400, 404, 409, 422),
    headers: fc.array(
      fc.tuple(fc.constantFrom('content-type', 'set-cookie', 'x-a', 'etag'), fc.string({ maxLength: 12 })),
      { maxLength: 3 },
    ),
    body: fc.option(fc.uint8Array({ maxLength: 64 }), { nil: null }),
  },
  plainObject,
);

const key = fc.nat({ max: KEYS - 1 });
const client = fc.nat({ max: CLIENTS - 1 });

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      {
        type: fc.constant('begin' as const),
        key,
        client,
        fingerprint: fc.nat({ max: 1 }),
        short: fc.boolean(),
      },
      plainObject,
    ),
  },
  {
    weight: 3,
    arbitrary: fc.record(
      { type: fc.constant('complete' as const), key, client, short: fc.boolean(), response: storedResponse },
      plainObject,
    ),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('release' as const), key, client }, plainObject) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('get' as const), key }, plainObject) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('delete' as const), key }, plainObject) },
  { weight: 1, arbitrary: fc.constant({ type: 'elapse' as const }) },
);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A response as comparable plain data (stores may answer a Uint8Array subclass). */
const plain = (response: StoredResponse | undefined) =>
  response && {
    status: response.status,
    headers: response.headers.map(([name, value]) => [name, value]),
    body: response.body === null ? null : Array.from(response.body),
  };

/**
 * Drive `makeStore()` with random schedules and check it against the model after every step.
 * Call it inside a test (`it`); it rejects with fast-check's counterexample and seed.
 */
export async function checkStoreAgainstModel(
  makeStore: () => IdempotencyStore | Promise<IdempotencyStore>,
  options: StoreModelOptions = {},
): Promise<void> {
  const shortMs = options.shortMs ?? 200;
  const slackMs = options.slackMs ?? 50;
  const store = await makeStore();

  await fc.assert(
    fc.asyncProperty(
      fc.array(command, { minLength: 1, maxLength: options.maxCommands ?? 14 }),
      async (commands) => {
        const run = crypto.randomUUID();
        const keyName = (k: number) => `model:${run}:${k}`;
        const model: Array<Live | undefined> = Array.from({ length: KEYS }, () => undefined);
        // Each client's latest token per key: a stale one is presented after it lost the key.
        const tokens = new Map<string, string>();

        /** 'live', 'gone' or 'either' for the model's record, seen during [t0, t1]. */
        const status = (k: number, t0: number, t1: number): 'live' | 'gone' | 'either' => {
          const live = model[k];
          if (!live) return 'gone';
          if (t1 < live.from - slackMs) return 'live';
          if (t0 > live.to + slackMs) return 'gone';
          return 'either';
        };
        const expectRecordMatches = (k: number, record: IdempotencyRecord) => {
          assertRecord(record);
          const live = model[k] as Live;
          expect(record.state).toBe(live.state);
          expect(record.fingerprint).toBe(live.fingerprint);
          expect(record.expiresAt).toBeGreaterThanOrEqual(live.from - slackMs);
          expect(record.expiresAt).toBeLessThanOrEqual(live.to + slackMs);
          if (live.state === 'completed') expect(plain(record.response)).toEqual(plain(live.response));
          expect(record).not.toHaveProperty('token');
        };

        for (const step of commands) {
          const t0 = Date.now();
          switch (step.type) {
            case 'begin': {
              const token = crypto.randomUUID();
              const leaseMs = step.short ? shortMs : LONG_MS;
              const fingerprint = FINGERPRINTS[step.fingerprint] as string;
              const result = await store.begin({ key: keyName(step.key), fingerprint, token, leaseMs });
              const t1 = Date.now();
              const seen = status(step.key, t0, t1);
              if (seen === 'gone') expect(result.acquired, 'begin on an absent or expired key').toBe(true);
              if (seen === 'live') expect(result.acquired, 'begin on a live key').toBe(false);
              tokens.set(`${step.client}:${step.key}`, token);
              if (result.acquired) {
                model[step.key] = {
                  state: 'in_progress',
                  token,
                  fingerprint,
                  from: t0 + leaseMs,
                  to: t1 + leaseMs,
                };
              } else {
                expectRecordMatches(step.key, result.record);
              }
              break;
            }
            case 'complete': {
              const token = tokens.get(`${step.client}:${step.key}`) ?? 'never-held';
              const ttlMs = step.short ? shortMs : LONG_MS;
              const done = await store.complete({
                key: keyName(step.key),
                token,
                response: step.response,
                ttlMs,
              });
              const t1 = Date.now();
              const live = model[step.key];
              const held = live?.state === 'in_progress' && live.token === token;
              const seen = held ? status(step.key, t0, t1) : 'gone';
              if (seen === 'gone') expect(done, 'complete without a live lock').toBe(false);
              if (seen === 'live') expect(done, 'complete by the live holder').toBe(true);
              if (done) {
                const fingerprint = (live as Live).fingerprint;
                model[step.key] = {
                  state: 'completed',
                  fingerprint,
                  response: step.response,
                  from: t0 + ttlMs,
                  to: t1 + ttlMs,
                };
              } else if (held && seen === 'either') {
                model[step.key] = undefined; // the lease ran out under our feet
              }
              break;
            }
            case 'release': {
              const token = tokens.get(`${step.client}:${step.key}`) ?? 'never-held';
              const released = await store.release(keyName(step.key), token);
              const t1 = Date.now();
              const live = model[step.key];
              const held = live?.state === 'in_progress' && live.token === token;
              const seen = held ? status(step.key, t0, t1) : 'gone';
              // A store may or may not report releasing a lock whose lease just ran out.
              if (!held) expect(released, 'release without holding the lock').toBe(false);
              if (seen === 'live') expect(released, 'release by the live holder').toBe(true);
              if (held) model[step.key] = undefined;
              break;
            }
            case 'get': {
              const record = await store.get(keyName(step.key));
              const seen = status(step.key, t0, Date.now());
              if (seen === 'gone') expect(record, 'get on an absent or expired key').toBeNull();
              if (seen === 'live') expect(record, 'get on a live key').not.toBeNull();
              if (record) expectRecordMatches(step.key, record);
              else model[step.key] = undefined;
              break;
            }
            case 'delete': {
              const deleted = await store.delete(keyName(step.key));
              const seen = status(step.key, t0, Date.now());
              if (seen === 'gone') expect(deleted, 'delete of an absent key').toBe(false);
              if (seen === 'live') expect(deleted, 'delete of a live key').toBe(true);
              model[step.key] = undefined;
              break;
            }
            case 'elapse':
              // Past every short lease and TTL written so far.
              await sleep(shortMs + 2 * slackMs + 20);
              break;
          }
        }
      },
    ),
    propertyParameters(options.runs ?? 6),
  );
}
