import {
  IdempotencyConfigurationError,
  IdempotencyConflictError,
  IdempotencyMismatchError,
} from './errors.ts';
import { hashParts } from './hashing.ts';
import { checkTtl } from './options.ts';
import {
  jsonSerializer,
  type ResultSerializer,
  reviveError,
  serializeError,
  stableStringify,
} from './serialize.ts';
import { beginRecord, beginWhenSettled, callStore } from './store-calls.ts';
import type { IdempotencyStore, StoredResponse } from './types.ts';

/** Options of {@link idempotent}. */
export interface IdempotentOptions<A extends unknown[], R> {
  store: IdempotencyStore;
  /**
   * The idempotency key of a call, e.g. a message id. Default: a stable hash of the function's
   * name and its JSON arguments. With a custom key, arguments that differ under the same key
   * throw {@link IdempotencyMismatchError}.
   */
  key?: (...args: A) => string;
  /** Names the function in its keys; required for anonymous functions. Default `fn.name`. */
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
}

const RESULT = 200;
const FAILURE = 500;
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * Run `fn` at most once per key, for queue consumers and jobs: a redelivered message gets the
 * first delivery's result instead of running again.
 *
 * @example
 * const chargeOnce = idempotent(charge, { store, key: (message) => message.id });
 */
export function idempotent<A extends unknown[], R>(
  fn: (...args: A) => R,
  options: IdempotentOptions<A, R>,
): (...args: A) => Promise<Awaited<R>> {
  const { store, onDuplicate = 'return', onFailure = 'release', errorClasses = [] } = options;
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
    const argsText = stableStringify(args);
    const raw = options.key ? options.key(...args) : argsText;
    const [hashedKey, fingerprint] = await Promise.all([
      hashParts(['edge-idempotency/fn/v1', name, raw]),
      hashParts(['edge-idempotency/args/v1', argsText]),
    ]);
    const input = {
      key: prefix + hashedKey,
      fingerprint,
      token: crypto.randomUUID(),
      leaseMs: leaseSeconds * 1000,
    };

    let begun = await beginRecord(store, input);
    if (onDuplicate === 'wait') {
      begun = await beginWhenSettled(store, input, begun, Date.now() + (options.waitTimeoutMs ?? 10_000));
    }
    if (!begun.acquired) {
      const { record } = begun;
      if (record.fingerprint !== fingerprint) {
        throw new IdempotencyMismatchError(
          `${name || 'the function'} was already called under this key with other arguments`,
        );
      }
      if (record.state === 'in_progress' || onDuplicate === 'throw' || !record.response) {
        const retryAfter = Math.max(0, Math.ceil((record.expiresAt - Date.now()) / 1000));
        const running = record.state === 'in_progress';
        throw new IdempotencyConflictError(
          running ? 'a call with this key is still running' : 'a call with this key already completed',
          running ? 'in_progress' : 'completed',
          running ? retryAfter : 0,
        );
      }
      return storedOutcome(record.response, serializer, errorClasses);
    }

    const finish = (response: StoredResponse) =>
      callStore(store, 'complete', () =>
        store.complete({ key: input.key, token: input.token, response, ttlMs: ttlSeconds * 1000 }),
      );
    let result: Awaited<R>;
    try {
      result = await fn(...args);
    } catch (error) {
      if (onFailure === 'keep') await finish(outcome(FAILURE, serializeError(error)));
      else await callStore(store, 'release', () => store.release(input.key, input.token));
      throw error;
    }
    await finish(outcome(RESULT, serializer.serialize(result)));
    return result;
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
