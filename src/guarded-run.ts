import { IdempotencyRecordTooLargeError, type IdempotencyStoreError } from './errors.ts';
import { isCorruptRecordError } from './record-codec.ts';
import { assertReplayable } from './replayable.ts';
import { sleep } from './sleep.ts';
import { callStore, checkedBegin, storeError } from './store-calls.ts';
import { type BeginResult, type IdempotencyStore, type StoredResponse, storedResponseSize } from './types.ts';

/** What a guard reports, once per decision, for metrics and logs. */
export interface IdempotencyEvent {
  type:
    | 'new' // the key was taken; the handler runs
    | 'replay' // a completed response was replayed
    | 'conflict' // the key is held by a running request (409, or waiting ran out)
    | 'mismatch' // the key was used with another request (422)
    | 'stored' // the handler's response was stored
    | 'not_retained' // the response was stored without its body (too large), or replayed so
    | 'released' // the handler threw or its response was not to be stored; the key is free
    | 'lease_lost' // the handler outlived its lease; its response was not stored
    | 'store_error'; // the store failed; `error` has the cause
  /** The storage key: a hash, never the client's raw key. */
  key: string;
  /** The store's name. */
  store: string;
  /** Milliseconds since the guard started on this request or call. */
  durationMs: number;
  /** The status answered, where there is one. */
  status?: number;
  error?: unknown;
}

/** Report an event; `extra` adds the status or error. */
export type Emit = (type: IdempotencyEvent['type'], extra?: Partial<IdempotencyEvent>) => void;

/** One guarded call: a storage key, a fingerprint and the store that keeps them. */
export interface GuardedCall {
  store: IdempotencyStore;
  key: string;
  fingerprint: string;
  /** The lease to take now, in milliseconds: asked again at each attempt, so a lease taken after waiting still ends by the deadline. */
  leaseMs: () => number;
  /** How long a completed record is kept, in milliseconds. */
  ttlMs: number;
  /** Poll a key held by a running call (same fingerprint) until this epoch-ms time; absent: answer at once. */
  waitUntil?: number;
  onEvent: ((event: IdempotencyEvent) => unknown) | undefined;
  startedAt: number;
}

/** What the store said about a key, as the guard acts on it. */
export type Decision =
  | { type: 'acquired'; lock: Lock }
  | { type: 'completed'; response: StoredResponse }
  | { type: 'mismatch' }
  | { type: 'in_progress'; expiresAt: number }
  /**
   * The store could not be asked. `answered` is true once the store has said anything about
   * this key (it is held; a record we cannot read): then the work must not run unguarded,
   * whatever `onStoreError` says, since a live holder may be running it.
   */
  | { type: 'unavailable'; error: IdempotencyStoreError; answered: boolean };

/**
 * Ask the store for the key: take it, or learn who holds it. Every guard (the fetch wrapper,
 * `idempotent(fn)`, the queue consumers) goes through here and through {@link Lock}, so the
 * rules of one guarded run are written once.
 */
export async function decide(call: GuardedCall, emit: Emit): Promise<Decision> {
  const { store, key, fingerprint } = call;
  const token = crypto.randomUUID();
  let result: BeginResult;
  let waited = false;
  let delay = 25;
  for (;;) {
    try {
      // The store is awaited here, not through a helper: every guarded call takes this step,
      // and each async frame between the store's answer and ours is garbage and a microtask.
      result = checkedBegin(await store.begin({ key, fingerprint, token, leaseMs: call.leaseMs() }));
    } catch (caught) {
      const error = storeError(store, 'begin', caught);
      emit('store_error', { error });
      // A record that fails validation is the store speaking: someone wrote this key. After a
      // wait, the store has already answered that the key is held.
      return { type: 'unavailable', error, answered: waited || isCorruptRecordError(error.cause) };
    }
    if (
      call.waitUntil === undefined ||
      result.acquired ||
      result.record.state !== 'in_progress' ||
      result.record.fingerprint !== fingerprint ||
      Date.now() + delay > call.waitUntil
    )
      break;
    await sleep(delay);
    delay = Math.min(delay * 2, 1000);
    waited = true;
  }
  if (result.acquired) {
    emit('new');
    return { type: 'acquired', lock: heldLock(call, token, emit) };
  }
  const { record } = result;
  if (record.fingerprint !== fingerprint) return { type: 'mismatch' };
  if (record.state === 'completed' && record.response)
    return { type: 'completed', response: record.response };
  return { type: 'in_progress', expiresAt: record.expiresAt };
}

/** How a lock ended, as reported. */
export type Settled = 'stored' | 'not_retained' | 'lease_lost' | 'released' | 'store_error';

/**
 * A key taken by {@link decide}. Settle it once: `complete` with what to replay, or `release`
 * so the call can be retried; a second settle is a no-op. Neither throws: the work already ran,
 * so its outcome, not the store's, is what the caller gets (a failure is reported as an event).
 */
export interface Lock {
  /**
   * Store the outcome for replay. A response the store cannot keep whole (over its declared
   * `maxRecordBytes`, or refused as too large) is stored without its body; one that could not
   * be replayed at all (status outside 200–599, an invalid header) is not stored and the key is
   * released.
   */
  complete(response: StoredResponse): Promise<Settled>;
  /** Free the key, so the call can be retried now rather than after the lease. */
  release(status?: number): Promise<Settled>;
}

/** The lock `decide` took on `call` under `token`. */
function heldLock(call: GuardedCall, token: string, emit: Emit): Lock {
  const { store, key, ttlMs } = call;
  let settled: Promise<Settled> | undefined;

  // Awaited in place, not through `callStore`: one async frame less on every completion.
  const write = async (response: StoredResponse) => {
    try {
      return await store.complete({ key, token, response, ttlMs });
    } catch (error) {
      throw storeError(store, 'complete', error);
    }
  };

  const release = async (status?: number): Promise<Settled> => {
    try {
      await callStore(store, 'release', () => store.release(key, token));
      emit('released', { status });
      return 'released';
    } catch (error) {
      // The lease still frees the key later; the caller's own outcome matters more.
      emit('store_error', { error, status });
      return 'store_error';
    }
  };

  const complete = async (response: StoredResponse): Promise<Settled> => {
    try {
      assertReplayable(response);
    } catch {
      return release(response.status);
    }
    const limit = store.maxRecordBytes;
    let stored =
      response.body !== null && limit !== undefined && storedResponseSize(response) > limit
        ? { ...response, body: null }
        : response;
    try {
      let completed: boolean;
      try {
        completed = await write(stored);
      } catch (error) {
        if (!(error instanceof IdempotencyRecordTooLargeError) || stored.body === null) throw error;
        // The operation happened: keep that much rather than leave the key to run again.
        stored = { ...stored, body: null };
        completed = await write(stored);
      }
      const outcome = !completed ? 'lease_lost' : stored.body === null ? 'not_retained' : 'stored';
      emit(outcome, { status: stored.status });
      return outcome;
    } catch (error) {
      emit('store_error', { error, status: stored.status });
      return 'store_error';
    }
  };

  return {
    complete(response) {
      settled ??= complete(response);
      return settled;
    },
    release(status) {
      settled ??= release(status);
      return settled;
    },
  };
}

/**
 * Run `work` under a lock: if it throws (or rejects), the key is released and the original
 * error is rethrown, so a failure between `begin` and `complete` never holds the key for a
 * whole lease. `work` settles the lock itself on success.
 */
export async function runLocked<T>(lock: Lock, work: (lock: Lock) => Promise<T>): Promise<T> {
  try {
    return await work(lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** An {@link Emit} that builds the event and calls `onEvent`, never letting it throw or reject. */
export function eventReporter(call: Pick<GuardedCall, 'key' | 'store' | 'onEvent' | 'startedAt'>): Emit {
  return (type, extra) => {
    if (!call.onEvent) return;
    try {
      const result = call.onEvent({
        type,
        key: call.key,
        store: call.store.name,
        durationMs: Date.now() - call.startedAt,
        ...extra,
      });
      // An async hook that rejects would be an unhandled rejection: in Node, a crash.
      Promise.resolve(result).catch(() => {});
    } catch {
      // Metrics must never change what a caller receives.
    }
  };
}
