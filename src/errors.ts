// Fields a constructor sets are `declare`d: the constructor defines them, so no empty field
// declaration is emitted ahead of it (the same own properties, in the same order, fewer bytes).

/** Base class of every error this library throws on purpose. */
export class IdempotencyError extends Error {
  override name = 'IdempotencyError';
}

/** The `Idempotency-Key` value is empty, too long, not printable ASCII or badly quoted. */
export class InvalidIdempotencyKeyError extends IdempotencyError {
  override name = 'InvalidIdempotencyKeyError';
}

/**
 * A duplicate: the key is held by a request or call that has not finished (`in_progress`), or,
 * for `idempotent(fn, { onDuplicate: 'throw' })`, already finished (`completed`).
 */
export class IdempotencyConflictError extends IdempotencyError {
  override name = 'IdempotencyConflictError';
  declare readonly state: 'in_progress' | 'completed';
  /** Seconds until the holder's lease runs out (0 when completed): a sensible `Retry-After`. */
  declare readonly retryAfterSeconds: number;
  constructor(message: string, state: 'in_progress' | 'completed', retryAfterSeconds: number) {
    super(message);
    this.state = state;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The key was first used with a different request or arguments. */
export class IdempotencyMismatchError extends IdempotencyError {
  override name = 'IdempotencyMismatchError';
}

/** The store could not be reached or answered with an error; `cause` holds the backend's. */
export class IdempotencyStoreError extends IdempotencyError {
  override name = 'IdempotencyStoreError';
  /** The store's {@link IdempotencyStore.name}. */
  declare readonly store: string;
  constructor(store: string, message: string, options?: { cause?: unknown }) {
    super(`${store} store: ${message}`, options);
    this.store = store;
  }
}

/** Options that cannot work together, found when the wrapper or store is built. */
export class IdempotencyConfigurationError extends IdempotencyError {
  override name = 'IdempotencyConfigurationError';
}

/**
 * The backend refused a record as too large (a DynamoDB item over 400 KB, a Durable Object
 * value over its limit, a request over Upstash's size limit). Stores throw it from `complete`
 * so the wrapper can complete the key without the body (`not_retained`) instead of leaving it
 * locked, which would run the handler again once the lease ran out.
 */
export class IdempotencyRecordTooLargeError extends IdempotencyStoreError {
  override name = 'IdempotencyRecordTooLargeError';
}
