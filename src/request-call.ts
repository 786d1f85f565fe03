import { IdempotencyConfigurationError, InvalidIdempotencyKeyError } from './errors.ts';
import { decide, eventReporter, type GuardedCall, type Lock, runLocked } from './guarded-run.ts';
import { parseIdempotencyKey } from './idempotency-key.ts';
import type { ResolvedOptions } from './options.ts';
import { type Problem, type ProblemStyle, problemOf } from './problem.ts';
import type { StoredResponse } from './types.ts';

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

/** How one HTTP entry point answers a request, in its own result type (a `Response`, a Lambda result). */
export interface RequestAnswers<T> {
  /** The key is ours: run the handler and settle the lock. A throw releases the key. */
  acquired(lock: Lock): Promise<T>;
  /** The key completed: replay what it stored. */
  replay(response: StoredResponse): T | Promise<T>;
  /** The wrapper's own answer: a 409, 422 or 503. */
  problem(problem: Problem, retryAfterSeconds?: number): T | Promise<T>;
  /** Run the handler without the guard (fail-open, the store never having answered). */
  unguarded(): T | Promise<T>;
}

/**
 * Ask the store for the call's key and answer as every HTTP entry point does: run under the
 * lock, replay, 422 for a key reused with another request, 409 for one in progress, and 503 when
 * the store fails, unless fail-open and the store has said nothing about the key (once it has, a
 * live holder may be running: the work must not run unguarded).
 */
export async function answerRequest<T>(
  config: ProblemStyle & Pick<ResolvedOptions<never>, 'headerName' | 'onStoreError'>,
  call: GuardedCall,
  answers: RequestAnswers<T>,
): Promise<T> {
  const emit = eventReporter(call);
  const decision = await decide(call, emit);
  switch (decision.type) {
    case 'acquired':
      return await runLocked(decision.lock, answers.acquired);
    case 'completed':
      emit(decision.response.body === null ? 'not_retained' : 'replay', { status: decision.response.status });
      return answers.replay(decision.response);
    case 'mismatch':
      emit('mismatch', { status: 422 });
      return answers.problem(problemOf('mismatch', config, config.headerName));
    case 'in_progress':
      emit('conflict', { status: 409 });
      return answers.problem(
        problemOf('inProgress', config, config.headerName),
        (decision.expiresAt - Date.now()) / 1000,
      );
    case 'unavailable':
      if (config.onStoreError === 'fail-open' && !decision.answered) return answers.unguarded();
      return answers.problem(problemOf('storeUnavailable', config), 1);
  }
}
