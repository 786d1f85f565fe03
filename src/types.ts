/**
 * The store contract. Every backend (memory, Upstash, DynamoDB, Durable Objects) implements
 * this one interface and passes the shared conformance suite in `test/conformance/`.
 *
 * Stores are deliberately dumb: they never compare fingerprints or build responses. They keep
 * one record per storage key and make `begin` atomic; the wrapper decides what a record means.
 */

/** A response as kept in a store: enough to replay it byte for byte. */
export interface StoredResponse {
  /** HTTP status (or, for `idempotent(fn)`, 200 for a result and 500 for a kept failure). */
  status: number;
  /** Header pairs in order; a repeated header (e.g. `set-cookie`) appears once per value. */
  headers: Array<[string, string]>;
  /**
   * The body bytes. `null` means the body was larger than `maxResponseBytes` and was not
   * retained: the request completed, but a replay cannot reproduce the body.
   */
  body: Uint8Array | null;
}

/** What a store knows about a key. The lock token is never part of it. */
export interface IdempotencyRecord {
  state: 'in_progress' | 'completed';
  /** Hex SHA-256 of the request that took the key; the wrapper compares it. */
  fingerprint: string;
  /** Epoch milliseconds: the end of the lease (in progress) or of the TTL (completed). */
  expiresAt: number;
  /** Present when `state` is `completed`. */
  response?: StoredResponse;
}

/** Arguments of {@link IdempotencyStore.begin}. */
export interface BeginInput {
  /** Storage key: a prefix plus a hash; never the raw idempotency key. */
  key: string;
  fingerprint: string;
  /** Random fencing token chosen by the caller; `complete` and `release` must present it. */
  token: string;
  /** Lease length in milliseconds. */
  leaseMs: number;
}

/**
 * The answer of {@link IdempotencyStore.begin}, from the same single round trip that tried to
 * take the lock.
 */
export type BeginResult = { acquired: true } | { acquired: false; record: IdempotencyRecord };

/** Arguments of {@link IdempotencyStore.complete}. */
export interface CompleteInput {
  key: string;
  token: string;
  response: StoredResponse;
  /** How long the completed record is kept, in milliseconds. */
  ttlMs: number;
}

/**
 * One backend. Every method is one round trip to the backend where the backend allows it, and
 * rejects with `IdempotencyStoreError` (with the backend's error as `cause`) when the
 * backend fails.
 */
export interface IdempotencyStore {
  /** Short name used in error messages and events, e.g. `"upstash"`. */
  readonly name: string;
  /** Largest TTL this backend can keep, in seconds, if it has a limit. */
  readonly maxTtlSeconds?: number;
  /**
   * Largest response this backend can keep in one record, in bytes, counted as
   * {@link storedResponseSize} counts it (body bytes plus header names and values). A response
   * over it is completed without its body (`not_retained`), never left in progress: a write the
   * backend refuses would otherwise leave the key locked and run the handler again after the
   * lease. Declare it below the backend's hard limit, leaving room for the store's own encoding
   * (base64, attribute names, the fingerprint). Absent: no limit beyond `maxResponseBytes`.
   */
  readonly maxRecordBytes?: number;

  /**
   * Atomically: if the key is absent, expired, or in progress with a lease that has run out,
   * write an in-progress record holding `token` for `leaseMs` and answer `{ acquired: true }`;
   * if it is in progress under this same `token` (a begin retried after its answer was lost),
   * answer `{ acquired: true }` too; otherwise answer the live record, unchanged.
   */
  begin(input: BeginInput): Promise<BeginResult>;

  /**
   * Turn the in-progress record into a completed one, only if it is still held by `token` and
   * its lease has not run out. Answers `false` (and writes nothing) when the lease was lost.
   */
  complete(input: CompleteInput): Promise<boolean>;

  /** Delete the in-progress record, only if it is held by `token`. Answers whether it did. */
  release(key: string, token: string): Promise<boolean>;

  /** The live record for a key, or `null` when it is absent or expired. */
  get(key: string): Promise<IdempotencyRecord | null>;

  /** Delete a record whatever its state. Answers whether a live record was deleted. */
  delete(key: string): Promise<boolean>;

  /** {@link get} for many keys, answers in the same order. */
  getMany(keys: readonly string[]): Promise<Array<IdempotencyRecord | null>>;

  /** {@link delete} for many keys; answers how many live records were deleted. */
  deleteMany(keys: readonly string[]): Promise<number>;
}

/** The size a store's {@link IdempotencyStore.maxRecordBytes} is compared with. */
export function storedResponseSize(response: StoredResponse): number {
  let size = response.body?.byteLength ?? 0;
  for (const [name, value] of response.headers) size += name.length + value.length;
  return size;
}
