/// <reference types="node" />
import { IdempotencyRecordTooLargeError, IdempotencyStoreError } from '../../errors.ts';
import {
  assertRecord,
  CorruptRecordError,
  decodeStoredResponse,
  encodeStoredResponse,
} from '../../record-codec.ts';
import type {
  BeginInput,
  BeginResult,
  CompleteInput,
  IdempotencyRecord,
  IdempotencyStore,
} from '../../types.ts';
import { COMPLETE, CREATE_SCHEMA, DELETE, RELEASE, SELECT_LIVE, SWEEP, TAKE } from './schema.ts';
import { type Database, isTooBig, loadSqlite, type SqliteModule, type Statement } from './sqlite.ts';

/** Options of {@link FileStore}. */
export interface FileStoreOptions {
  /**
   * The SQLite database file, created if missing (its directory must exist). Every process on
   * this host that uses the same path shares the same records.
   */
  path: string;
  /**
   * How long a call waits for another process's write to finish before it fails with
   * `IdempotencyStoreError`, in milliseconds (default 5,000). SQLite's `busy_timeout`: the wait
   * blocks this thread, as every `node:sqlite` call does.
   */
  busyTimeoutMs?: number;
  /** How often a timer deletes expired rows, in milliseconds (default 60,000; 0: never). */
  sweepIntervalMs?: number;
}

/**
 * SQLite's default `SQLITE_MAX_LENGTH` is 1,000,000,000 bytes per blob; the encoded response
 * adds a few bytes per header, and UTF-8 can make a header longer than its string length.
 */
const MAX_RECORD_BYTES = 999_000_000;

interface Row {
  state: unknown;
  fingerprint: unknown;
  token: unknown;
  expires_at: unknown;
  response: unknown;
}

interface Statements {
  take: Statement;
  selectLive: Statement;
  complete: Statement;
  release: Statement;
  delete: Statement;
  sweep: Statement;
}

/**
 * Records in a SQLite file (`node:sqlite`), shared by every process on one host: `next dev`
 * workers, PM2 or cluster workers, cron jobs, tests run in parallel. Persistent across
 * restarts, atomic across processes, no server. One row per key; `begin` is one immediate
 * transaction, so two processes never both take a key. WAL mode, so readers never wait for
 * the writer.
 *
 * One host only: SQLite's locks do not work over network file systems (NFS, SMB), and
 * serverless instances do not share a disk. Needs Node 22.13+ (Node prints an
 * ExperimentalWarning for `node:sqlite`), Deno or Bun. Calls are synchronous SQLite calls that
 * block the thread: a write commits with an fsync (milliseconds on a real disk), and a call
 * waits up to `busyTimeoutMs` while another process writes.
 */
export class FileStore implements IdempotencyStore {
  readonly name = 'file';
  readonly maxRecordBytes = MAX_RECORD_BYTES;
  readonly #sqlite: SqliteModule;
  readonly #path: string;
  readonly #busyTimeoutMs: number;
  readonly #sweepIntervalMs: number;
  #database: Database | undefined;
  #statements: Statements | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  /** @throws IdempotencyConfigurationError when the runtime has no `node:sqlite` (Node 20). */
  constructor(options: FileStoreOptions) {
    if (typeof options?.path !== 'string' || options.path === '') {
      throw new TypeError('FileStore needs { path }, the SQLite file to keep records in');
    }
    const busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
    if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
      throw new RangeError('FileStore busyTimeoutMs must be a whole number of milliseconds, 0 or more');
    }
    this.#sqlite = loadSqlite();
    this.#path = options.path;
    this.#busyTimeoutMs = busyTimeoutMs;
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
  }

  async begin({ key, fingerprint, token, leaseMs }: BeginInput): Promise<BeginResult> {
    return this.#call('begin', (s) =>
      this.#immediate((): BeginResult => {
        const now = Date.now();
        if (s.take.run(key, fingerprint, token, now + leaseMs, now).changes > 0) return { acquired: true };
        const row = s.selectLive.get(key, now) as Row | undefined;
        if (row === undefined) throw new Error('begin found neither a free key nor a live row');
        // A begin retried after its answer was lost: the lock is already ours.
        if (row.state === 'in_progress' && row.token === token) return { acquired: true };
        return { acquired: false, record: toRecord(row) };
      }),
    );
  }

  async complete({ key, token, response, ttlMs }: CompleteInput): Promise<boolean> {
    return this.#call('complete', (s) => {
      const now = Date.now();
      return s.complete.run(key, token, now + ttlMs, encodeStoredResponse(response), now).changes > 0;
    });
  }

  async release(key: string, token: string): Promise<boolean> {
    return this.#call('release', (s) => s.release.run(key, token, Date.now()).changes > 0);
  }

  async get(key: string): Promise<IdempotencyRecord | null> {
    return this.#call('get', (s) => readLive(s, key, Date.now()));
  }

  async delete(key: string): Promise<boolean> {
    return this.#call('delete', (s) => deleteRow(s, key, Date.now()));
  }

  async getMany(keys: readonly string[]): Promise<Array<IdempotencyRecord | null>> {
    if (keys.length === 0) return [];
    // One read transaction: every answer comes from the same snapshot.
    return this.#call('getMany', (s) =>
      this.#transaction('BEGIN', () => {
        const now = Date.now();
        return keys.map((key) => readLive(s, key, now));
      }),
    );
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    return this.#call('deleteMany', (s) =>
      this.#immediate(() => {
        const now = Date.now();
        return keys.reduce((deleted, key) => deleted + (deleteRow(s, key, now) ? 1 : 0), 0);
      }),
    );
  }

  /** Delete every expired row now (a timer also does it every `sweepIntervalMs`). */
  sweep(now = Date.now()): void {
    this.#call('sweep', (s) => s.sweep.run(now));
  }

  /** Stop the sweep timer and close the database; later calls fail with a store error. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    const database = this.#database;
    this.#database = undefined;
    this.#statements = undefined;
    database?.close();
  }

  /** Run one step on the open database; any failure comes out as `IdempotencyStoreError`. */
  #call<T>(step: string, run: (statements: Statements) => T): T {
    try {
      return run(this.#open());
    } catch (error) {
      if (error instanceof IdempotencyStoreError) throw error;
      if (isTooBig(error)) {
        throw new IdempotencyRecordTooLargeError(
          this.name,
          `${step}: the record is over SQLite's size limit`,
          {
            cause: error,
          },
        );
      }
      const reason =
        error instanceof CorruptRecordError
          ? `read a corrupt record (${error.message})`
          : `failed on ${this.#path}: ${error instanceof Error ? error.message : String(error)}`;
      throw new IdempotencyStoreError(this.name, `${step} ${reason}`, { cause: error });
    }
  }

  /** A write transaction taken up front, so two processes never read the same free key. */
  #immediate<T>(run: () => T): T {
    return this.#transaction('BEGIN IMMEDIATE', run);
  }

  #transaction<T>(begin: string, run: () => T): T {
    const database = this.#database as Database;
    database.exec(begin);
    try {
      const result = run();
      database.exec('COMMIT');
      return result;
    } catch (error) {
      try {
        database.exec('ROLLBACK');
      } catch {
        // SQLite already rolled back on its own (it does on some errors): report the first error.
      }
      throw error;
    }
  }

  // Opened on first use, not in the constructor, so a file that cannot be opened is a store
  // error the wrapper answers with 503 (and a later call tries again), not a crash at startup.
  #open(): Statements {
    if (this.#closed) throw new IdempotencyStoreError(this.name, 'the store was closed');
    if (this.#statements) return this.#statements;
    const database = new this.#sqlite.DatabaseSync(this.#path);
    try {
      // The busy timeout first: switching to WAL and creating the table can meet another
      // process doing the same on a new file.
      database.exec(`PRAGMA busy_timeout = ${this.#busyTimeoutMs}`);
      database.exec('PRAGMA journal_mode = WAL');
      database.exec(CREATE_SCHEMA);
      const statements: Statements = {
        take: database.prepare(TAKE),
        selectLive: database.prepare(SELECT_LIVE),
        complete: database.prepare(COMPLETE),
        release: database.prepare(RELEASE),
        delete: database.prepare(DELETE),
        sweep: database.prepare(SWEEP),
      };
      this.#database = database;
      this.#statements = statements;
      this.#startSweeping();
      return statements;
    } catch (error) {
      database.close();
      throw error;
    }
  }

  #startSweeping(): void {
    if (this.#sweepIntervalMs <= 0) return;
    this.#timer = setInterval(() => {
      try {
        this.sweep();
      } catch {
        // A busy or failing sweep is retried next time; expiry is checked on read regardless.
      }
    }, this.#sweepIntervalMs);
    // The sweep must never keep a process alive.
    (this.#timer as { unref?: () => void }).unref?.();
  }
}

function readLive(s: Statements, key: string, now: number): IdempotencyRecord | null {
  const row = s.selectLive.get(key, now) as Row | undefined;
  return row === undefined ? null : toRecord(row);
}

function deleteRow(s: Statements, key: string, now: number): boolean {
  const row = s.delete.get(key) as { expires_at: unknown } | undefined;
  return row !== undefined && Number(row.expires_at) > now;
}

/** A row as the store contract's record, validated; throws {@link CorruptRecordError}. */
function toRecord(row: Row): IdempotencyRecord {
  const record: IdempotencyRecord = {
    state: row.state as IdempotencyRecord['state'],
    fingerprint: row.fingerprint as string,
    // Some drivers answer a 64-bit INTEGER as a bigint.
    expiresAt: Number(row.expires_at),
  };
  if (row.state === 'completed') {
    if (!(row.response instanceof Uint8Array)) throw new CorruptRecordError('completed row has no response');
    record.response = decodeStoredResponse(row.response);
  }
  assertRecord(record);
  return record;
}
