/**
 * The lock rules of the store contract, for stores whose atomic step is plain JavaScript
 * (MemoryStore, the Durable Object). Upstash and DynamoDB say the same in Lua and in condition
 * expressions, beside their own writes.
 */

/** What a store holds for a key, as far as the lock rules care. */
export interface LockState {
  readonly state: string;
  /** The token of an in-progress record; absent or null once completed. */
  readonly token?: string | null;
  /** Epoch milliseconds: end of the lease (in progress) or of the TTL (completed). */
  readonly expiresAt: number;
}

/**
 * What `begin` does: `acquire` (write a new in-progress record: the key is absent, expired, or
 * its lease ran out), `own-token` (answer acquired and write nothing: the lock is held under
 * this very token, so this is a begin retried after its first answer was lost), or `held`
 * (answer the live record, unchanged).
 */
export type BeginDecision = 'acquire' | 'own-token' | 'held';

/** See {@link BeginDecision}. `current` is whatever the store holds, expired or not. */
export function decideBegin(
  current: LockState | undefined,
  input: { readonly token: string },
  now: number,
): BeginDecision {
  if (current === undefined || current.expiresAt <= now) return 'acquire';
  return holdsLock(current, input.token, now) ? 'own-token' : 'held';
}

/**
 * Whether `token` holds the live lock: the condition for `complete` and `release`, so a holder
 * whose lease ran out (or a stranger) can neither overwrite nor free a newer run's record.
 */
export function holdsLock<S extends LockState>(
  current: S | undefined,
  token: string,
  now: number,
): current is S {
  return (
    current !== undefined &&
    current.state === 'in_progress' &&
    current.token === token &&
    current.expiresAt > now
  );
}
