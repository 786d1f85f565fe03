import { argumentsKey } from './argument-encoding.ts';
import {
  IdempotencyConfigurationError,
  IdempotencyConflictError,
  IdempotencyMismatchError,
} from './errors.ts';
import { decide, eventReporter, type GuardedCall, type IdempotencyEvent, runLocked } from './guarded-run.ts';
import { functionKey, hashParts } from './hashing.ts';
import { checkTtl } from './options.ts';
import { jsonSerializer, type ResultSerializer, reviveError, serializeError } from './serialize.ts';
import { MemoryStore } from './stores/memory.ts';
import type { IdempotencyStore, StoredResponse } from './types.ts';

/** Options of {@link idempotent}. */
export interface IdempotentOptions<A extends unknown[], R> {
  /**
   * Where results are kept. Default: one MemoryStore shared by the whole process, which is
   * enough for one long-lived process only: serverless instances, Workers isolates and
   * several servers each have their own memory, so each would run the call. Use a shared store
   * there.
   */
  store?: IdempotencyStore;
  /**
   * The idempotency key of a call, e.g. a message id or `invoice:${userId}`. It decides alone:
   * a second call with the same key returns the first result whatever its other arguments (set
   * `fingerprint` to refuse different arguments instead). Answering `undefined` or `null` runs
   * the call unguarded, unless `required` is set. Default: the function's arguments, encoded so
   * that arguments that differ never share a key.
   */
  key?: (...args: A) => string | null | undefined;
  /**
   * Opt in to comparing calls that share a key: what makes two calls "the same" (e.g. the
   * message body). A call whose fingerprint differs from the first throws
   * {@link IdempotencyMismatchError}.
   */
  fingerprint?: (...args: A) => string;
  /** With a `key`: throw an {@link IdempotencyConfigurationError} when it answers nothing, instead of running unguarded. */
  required?: boolean;
  /**
   * Names the function in its keys; required for anonymous functions. Default `fn.name`. Two
   * functions with one name on one store share records: give each its own `name` (or `prefix`).
   */
  name?: string;
  /** Prepended to every storage key. Default `''`. */
  prefix?: string;
  /** How long a result is kept. Default 86,400. */
  ttlSeconds?: number;
  /** How long a running call holds its key before it counts as crashed. Default 60. */
  leaseSeconds?: number;
  /**
   * A call whose key is known: `'return'` the stored result (default; a call still running
   * throws {@link IdempotencyConflictError}), `'throw'` an IdempotencyConflictError either way,
   * or `'wait'` for the running call's result (up to `waitTimeoutMs`).
   */
  onDuplicate?: 'return' | 'throw' | 'wait';
  /** With `onDuplicate: 'wait'`. Default 10,000. */
  waitTimeoutMs?: number;
  /**
   * The function throws: `'release'` the key so the call can be retried (default), or `'keep'`
   * the failure, and throw it again (same class, via `errorClasses`) on duplicates.
   */
  onFailure?: 'release' | 'keep';
  /** Error classes a kept failure may be revived as, matched by name. Built-ins are known. */
  errorClasses?: ReadonlyArray<new (...args: never[]) => Error>;
  /** How results are stored. Default JSON. */
  serializer?: ResultSerializer<Awaited<R>>;
  /** Called once per decision (as `withIdempotency`'s); what it throws or rejects is ignored. */
  onEvent?: (event: IdempotencyEvent) => unknown;
}

const RESULT = 200;
const FAILURE = 500;
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();
let processStore: MemoryStore | undefined;
const defaultStore = (): MemoryStore => {
  processStore ??= new MemoryStore();
  return processStore;
};

/** The key of a call without a custom `key`, as `idempotent(fn)` makes it. */
export { argumentsKey };

/**
 * Run `fn` at most once per key, for queue consumers and jobs: a redelivered message gets the
 * first delivery's result instead of running again.
 *
 * @example
 * const chargeOnce = idempotent(charge, { store, key: (message) => message.id });
 */
export function idempotent<A extends unknown[], R>(
  fn: (...args: A) => R,
  options: IdempotentOptions<A, R> = {},
): (...args: A) => Promise<Awaited<R>> {
  const { onDuplicate = 'return', onFailure = 'release', errorClasses = [] } = options;
  const store = options.store ?? defaultStore();
  const name = options.name ?? fn.name;
  if (!name && !options.key) {
    throw new IdempotencyConfigurationError(
      'idempotent(fn) needs a named function, a `name` or a `key` option',
    );
  }
  const ttlSeconds = options.ttlSeconds ?? 86_400;
  const leaseSeconds = options.leaseSeconds ?? 60;
  checkTtl(ttlSeconds, leaseSeconds, store);
  const serializer = (options.serializer ?? jsonSerializer) as ResultSerializer<Awaited<R>>;
  const prefix = options.prefix ?? '';

  return async (...args: A): Promise<Awaited<R>> => {
    const startedAt = Date.now();
    const raw = options.key ? options.key(...args) : argumentsKey(args);
    if (raw === undefined || raw === null) {
      if (options.required) {
        throw new IdempotencyConfigurationError(`the key of ${name || 'the function'} answered ${raw}`);
      }
      return (await fn(...args)) as Awaited<R>;
    }
    if (typeof raw !== 'string') {
      throw new IdempotencyConfigurationError(
        `the key of ${name || 'the function'} must be a string, got ${typeof raw}`,
      );
    }
    const [key, fingerprint] = await Promise.all([
      functionKey(prefix, name, raw),
      hashParts(['edge-idempotency/call/v2', options.fingerprint ? options.fingerprint(...args) : '']),
    ]);
    const call: GuardedCall = {
      store,
      key,
      fingerprint,
      leaseMs: () => leaseSeconds * 1000,
      ttlMs: ttlSeconds * 1000,
      waitUntil: onDuplicate === 'wait' ? startedAt + (options.waitTimeoutMs ?? 10_000) : undefined,
      onEvent: options.onEvent,
      startedAt,
    };
    const emit = eventReporter(call);
    const decision = await decide(call, emit);
    switch (decision.type) {
      case 'unavailable':
        throw decision.error;
      case 'mismatch':
        emit('mismatch');
        throw new IdempotencyMismatchError(
          `${name || 'the function'} was already called under this key with another fingerprint`,
        );
      case 'in_progress': {
        emit('conflict');
        const retryAfter = Math.max(0, Math.ceil((decision.expiresAt - Date.now()) / 1000));
        throw new IdempotencyConflictError(
          'a call with this key is still running',
          'in_progress',
          retryAfter,
        );
      }
      case 'completed':
        if (onDuplicate === 'throw' || decision.response.body === null) {
          emit('conflict');
          throw new IdempotencyConflictError('a call with this key already completed', 'completed', 0);
        }
        emit('replay', { status: decision.response.status });
        return storedOutcome(decision.response, serializer, errorClasses);
      case 'acquired': {
        const { lock } = decision;
        return runLocked(lock, async (): Promise<Awaited<R>> => {
          let result: Awaited<R>;
          try {
            result = (await fn(...args)) as Awaited<R>;
          } catch (error) {
            if (onFailure === 'keep') await lock.complete(outcome(FAILURE, serializeError(error)));
            throw error;
          }
          let text: string;
          try {
            text = serializer.serialize(result);
          } catch (error) {
            // fn ran: say so to duplicates (without a result) rather than let it run again.
            emit('store_error', { error });
            await lock.complete({ ...outcome(RESULT, ''), body: null });
            return result;
          }
          await lock.complete(outcome(RESULT, text));
          return result;
        });
      }
    }
  };
}

function outcome(status: number, text: string): StoredResponse {
  return { status, headers: [['content-type', 'application/json']], body: utf8.encode(text) };
}

function storedOutcome<R>(
  response: StoredResponse,
  serializer: ResultSerializer<R>,
  errorClasses: ReadonlyArray<new (...args: never[]) => Error>,
): R {
  const text = utf8Decoder.decode(response.body ?? undefined);
  if (response.status === FAILURE) throw reviveError(text, errorClasses);
  return serializer.deserialize(text);
}
