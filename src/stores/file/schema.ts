/**
 * The table and the statements of {@link FileStore}. Times are epoch milliseconds compared with
 * the caller's clock (`?now`): every process shares one host, so one clock. A row whose
 * `expires_at` has passed counts as absent everywhere; the sweep only reclaims its space.
 */
export const TABLE = 'idempotency_records';

export const CREATE_SCHEMA = `
CREATE TABLE IF NOT EXISTS ${TABLE} (
  key TEXT PRIMARY KEY,
  state TEXT NOT NULL CHECK (state IN ('in_progress', 'completed')),
  fingerprint TEXT NOT NULL,
  -- The lock holder's fencing token while in progress; NULL once completed.
  token TEXT,
  -- End of the lease (in progress) or of the TTL (completed).
  expires_at INTEGER NOT NULL,
  -- encodeStoredResponse(...) once completed.
  response BLOB
);
CREATE INDEX IF NOT EXISTS ${TABLE}_expires_at ON ${TABLE} (expires_at);
`;

const COLUMNS = 'state, fingerprint, token, expires_at, response';

/**
 * Take the key when it is absent or its row has expired (a completed record past its TTL, or a
 * lock whose lease ran out). A live row is left untouched: `changes` is 0 and the caller reads
 * it in the same immediate transaction. Parameters: key, fingerprint, token, expiresAt, now.
 */
export const TAKE = `
INSERT INTO ${TABLE} (key, state, fingerprint, token, expires_at, response)
VALUES (?1, 'in_progress', ?2, ?3, ?4, NULL)
ON CONFLICT (key) DO UPDATE SET
  state = 'in_progress', fingerprint = excluded.fingerprint, token = excluded.token,
  expires_at = excluded.expires_at, response = NULL
WHERE ${TABLE}.expires_at <= ?5`;

/** The live row of a key. Parameters: key, now. */
export const SELECT_LIVE = `SELECT ${COLUMNS} FROM ${TABLE} WHERE key = ?1 AND expires_at > ?2`;

/**
 * Fencing: only the token that took the lock completes it, and only while its lease lasts.
 * Parameters: key, token, expiresAt, response, now.
 */
export const COMPLETE = `
UPDATE ${TABLE} SET state = 'completed', token = NULL, expires_at = ?3, response = ?4
WHERE key = ?1 AND state = 'in_progress' AND token = ?2 AND expires_at > ?5`;

/** Only the holder releases its own live lock. Parameters: key, token, now. */
export const RELEASE = `
DELETE FROM ${TABLE} WHERE key = ?1 AND state = 'in_progress' AND token = ?2 AND expires_at > ?3`;

/** Delete whatever is there; answers the expiry so the caller can tell a live row. Parameters: key. */
export const DELETE = `DELETE FROM ${TABLE} WHERE key = ?1 RETURNING expires_at`;

/** Reclaim expired rows. Parameters: now. */
export const SWEEP = `DELETE FROM ${TABLE} WHERE expires_at <= ?1`;
