import { IdempotencyConfigurationError, InvalidIdempotencyKeyError } from './errors.ts';
import type { GuardedCall } from './guarded-run.ts';
import { parseIdempotencyKey } from './idempotency-key.ts';
import type { ResolvedOptions } from './options.ts';

// The steps every HTTP entry point (withIdempotency, withLambdaIdempotency) takes the same way
// between reading a request and asking the store.

/** How long before an invocation's deadline a wait gives up, leaving time to answer the 409. */
const DEADLINE_MARGIN_MS = 500;

/** A key from a header or a `key` option, or the reason it is not one (answered as a 400). */
export function parseKey(value: string): string | InvalidIdempotencyKeyError {
  try {
    return parseIdempotencyKey(value);
  } catch (error) {
    if (error instanceof InvalidIdempotencyKeyError) return error;
    throw error;
  }
}

/** What a `key` option answered, as a key, `undefined` for none, or why it is not a key. */
export function optionKey(found: unknown): string | undefined | InvalidIdempotencyKeyError {
  if (found === undefined || found === null) return undefined;
  return typeof found === 'string'
    ? parseKey(found)
    : new InvalidIdempotencyKeyError('the key is not a string');
}

/** A scope must be a string: never fall back to a shared one, which could serve one principal another's response. */
export function assertScope(scope: unknown): asserts scope is string {
  if (typeof scope !== 'string') {
    throw new IdempotencyConfigurationError(`scope must return a string, got ${typeof scope}`);
  }
}

/**
 * The guarded call of one HTTP request, as every HTTP entry point makes it: the lease is capped
 * by the invocation's deadline (asked again at each attempt, so a lease taken after waiting
 * still ends with the invocation), and a wait gives up {@link DEADLINE_MARGIN_MS} before it.
 */
export function requestCall(
  config: Pick<ResolvedOptions<never>, 'leaseMs' | 'ttlMs' | 'onConflict' | 'waitTimeoutMs' | 'onEvent'>,
  fields: Pick<GuardedCall, 'store' | 'key' | 'fingerprint' | 'startedAt'> & { deadline: number | undefined },
): GuardedCall {
  const { deadline, startedAt } = fields;
  // The call carries the deadline too, unread: one spread instead of copying four fields.
  return {
    ...fields,
    leaseMs: () =>
      deadline === undefined ? config.leaseMs : Math.max(1, Math.min(config.leaseMs, deadline - Date.now())),
    ttlMs: config.ttlMs,
    waitUntil:
      config.onConflict === 'wait'
        ? Math.min(
            startedAt + config.waitTimeoutMs,
            (deadline ?? Number.POSITIVE_INFINITY) - DEADLINE_MARGIN_MS,
          )
        : undefined,
    onEvent: config.onEvent,
  };
}
