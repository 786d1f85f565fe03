import { DurableObject } from 'cloudflare:workers';
import { assertRecord, decodeStoredResponse, encodeStoredResponse } from '../../record-codec.ts';
import type { BeginInput, BeginResult, CompleteInput, IdempotencyRecord } from '../../types.ts';
import { decideBegin, holdsLock } from '../begin-decision.ts';

const TABLE = 'idempotency_records';

type RecordRow = {
  key: string;
  state: string;
  fingerprint: string;
  token: string | null;
  expiresAt: number;
  response: ArrayBuffer | null;
};

/** The columns of a record, `expires_at` read under the name the lock rules use. */
const COLUMNS = 'key, state, fingerprint, token, expires_at AS expiresAt, response';

/**
 * The Durable Object behind `DurableObjectStore`: one object per storage key (the store
 * addresses it with `idFromName(key)`), so every request for a key is serialized by the
 * object itself. The record lives in the object's SQLite storage, and the object's alarm,
 * set to the record's expiry, deletes it and the object's whole storage.
 *
 * Re-export it from your Worker and bind it with a `new_sqlite_classes` migration:
 *
 * @example
 * // worker.ts
 * export { IdempotencyObject } from 'edge-idempotency/cloudflare';
 * // wrangler.toml
 * // [[durable_objects.bindings]]
 * // name = "IDEMPOTENCY"
 * // class_name = "IdempotencyObject"
 * // [[migrations]]
 * // tag = "v1"
 * // new_sqlite_classes = ["IdempotencyObject"]
 */
export class IdempotencyObject extends DurableObject<unknown> {
  /** Whether the table exists; unknown until first asked, false after `deleteAll`. */
  #hasTable: boolean | undefined;

  /** See `IdempotencyStore.begin`. */
  async begin(input: BeginInput): Promise<BeginResult> {
    const { key, fingerprint, token, leaseMs } = input;
    const now = Date.now();
    const live = this.#live(key, now);
    const decision = decideBegin(live, input, now);
    if (decision === 'own-token') return { acquired: true };
    if (decision === 'held' && live) return { acquired: false, record: toRecord(live) };
    // The check above and this write are synchronous SQLite calls with no await between them:
    // nothing else can run in this object in between, which is what makes `begin` atomic.
    this.#createTable();
    this.#sql(
      `INSERT OR REPLACE INTO ${TABLE} (key, state, fingerprint, token, expires_at, response)
       VALUES (?, 'in_progress', ?, ?, ?, NULL)`,
      key,
      fingerprint,
      token,
      now + leaseMs,
    );
    await this.ctx.storage.setAlarm(now + leaseMs);
    return { acquired: true };
  }

  /** See `IdempotencyStore.complete`. */
  async complete({ key, token, response, ttlMs }: CompleteInput): Promise<boolean> {
    const now = Date.now();
    if (!holdsLock(this.#live(key, now), token, now)) return false;
    // A value over SQLite's limit throws SQLITE_TOOBIG here and leaves the lock as it was; the
    // store turns that into IdempotencyRecordTooLargeError and the wrapper completes without the body.
    this.#sql(
      `UPDATE ${TABLE} SET state = 'completed', token = NULL, expires_at = ?, response = ? WHERE key = ?`,
      now + ttlMs,
      encodeStoredResponse(response).buffer,
      key,
    );
    await this.ctx.storage.setAlarm(now + ttlMs);
    return true;
  }

  /** See `IdempotencyStore.release`. */
  async release(key: string, token: string): Promise<boolean> {
    const now = Date.now();
    if (!holdsLock(this.#live(key, now), token, now)) return false;
    await this.#remove(key);
    return true;
  }

  /** See `IdempotencyStore.get`. */
  async get(key: string): Promise<IdempotencyRecord | null> {
    const live = this.#live(key, Date.now());
    return live ? toRecord(live) : null;
  }

  /** See `IdempotencyStore.delete`. */
  async delete(key: string): Promise<boolean> {
    const live = this.#live(key, Date.now());
    await this.#remove(key);
    return live !== undefined;
  }

  /** Deletes expired records; with none left, frees the object's storage entirely. */
  override async alarm(): Promise<void> {
    if (!this.#tableExists()) return this.#deleteStorage();
    this.#sql(`DELETE FROM ${TABLE} WHERE expires_at <= ?`, Date.now());
    // Only one key lives here in practice, but an alarm must never drop a live record.
    const [next] = this.#sql<{ next: number | null }>(
      `SELECT MIN(expires_at) AS next FROM ${TABLE}`,
    ).toArray();
    if (next?.next == null) return this.#deleteStorage();
    await this.ctx.storage.setAlarm(next.next);
  }

  /** The record for `key` unless it has expired (the alarm may not have run yet). */
  #live(key: string, now: number): RecordRow | undefined {
    if (!this.#tableExists()) return undefined;
    const [row] = this.#sql<RecordRow>(`SELECT ${COLUMNS} FROM ${TABLE} WHERE key = ?`, key).toArray();
    return row && row.expiresAt > now ? row : undefined;
  }

  async #remove(key: string): Promise<void> {
    if (!this.#tableExists()) return;
    this.#sql(`DELETE FROM ${TABLE} WHERE key = ?`, key);
    const [left] = this.#sql<{ count: number }>(`SELECT COUNT(*) AS count FROM ${TABLE}`).toArray();
    if (left?.count === 0) await this.#deleteStorage();
  }

  async #deleteStorage(): Promise<void> {
    // `deleteAll` clears the alarm too only from compatibility date 2026-02-24 on.
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.#hasTable = false;
  }

  #tableExists(): boolean {
    this.#hasTable ??=
      this.#sql(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?`, TABLE).toArray().length >
      0;
    return this.#hasTable;
  }

  // Created on first write, not in the constructor, so reading an unknown key leaves no storage.
  #createTable(): void {
    if (this.#tableExists()) return;
    this.#sql(
      `CREATE TABLE IF NOT EXISTS ${TABLE} (
         key TEXT PRIMARY KEY,
         state TEXT NOT NULL,
         fingerprint TEXT NOT NULL,
         token TEXT,
         expires_at INTEGER NOT NULL,
         response BLOB
       )`,
    );
    this.#hasTable = true;
  }

  #sql<T extends Record<string, ArrayBuffer | string | number | null>>(
    query: string,
    ...bindings: unknown[]
  ) {
    return this.ctx.storage.sql.exec<T>(query, ...bindings);
  }
}

function toRecord(row: RecordRow): IdempotencyRecord {
  const record: IdempotencyRecord = {
    state: row.state as IdempotencyRecord['state'],
    fingerprint: row.fingerprint,
    expiresAt: row.expiresAt,
  };
  if (row.response !== null) record.response = decodeStoredResponse(new Uint8Array(row.response));
  assertRecord(record);
  return record;
}
