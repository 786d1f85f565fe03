/** Base class of every error this library throws on purpose. */
export class IdempotencyError extends Error {
  override name = 'IdempotencyError';
}

/** The `Idempotency-Key` value is empty, too long, not printable ASCII or badly quoted. */
export class InvalidIdempotencyKeyError extends IdempotencyError {
  override name = 'InvalidIdempotencyKeyError';
}

/** The key is held by a request (or call) that has not finished yet. */
export class IdempotencyConflictError extends IdempotencyError {
  override name = 'IdempotencyConflictError';
  /** Seconds until the holder's lease runs out: a sensible `Retry-After`. */
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
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
  readonly store: string;
  constructor(store: string, message: string, options?: { cause?: unknown }) {
    super(`${store} store: ${message}`, options);
    this.store = store;
  }
}

/** Options that cannot work together, found when the wrapper or store is built. */
export class IdempotencyConfigurationError extends IdempotencyError {
  override name = 'IdempotencyConfigurationError';
}
