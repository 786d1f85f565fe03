import { IdempotencyRecordTooLargeError, IdempotencyStoreError } from '../errors.ts';
import {
  type BeginInput,
  type BeginResult,
  type CompleteInput,
  type IdempotencyRecord,
  type IdempotencyStore,
  storedResponseSize,
} from '../types.ts';
import { decideBegin, holdsLock } from './begin-decision.ts';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Most records kept at once (default 10,000), so a flood of distinct keys cannot grow memory
   * without bound. Past it, room is made by dropping expired records first, then completed
   * records, least recently written first: a duplicate of an evicted request runs again, so
   * size it above your peak of keys per TTL. A request still in progress is never evicted:
   * when every record is one, `begin` of a new key rejects with `IdempotencyStoreError` (the
   * wrapper answers 503) until a request finishes or its lease runs out.
   */
  maxEntries?: number;
  /**
   * Most bytes kept at once (default 64 MiB), counting each record's body bytes, header names
   * and values, storage key, fingerprint and token. Completed records are evicted to stay under
   * it by the same rule as `maxEntries`. One response may take at most a sixteenth of it
   * ({@link MemoryStore.maxRecordBytes}, 4 MiB by default): the wrapper completes a larger one
   * without its body (its replay says the body was not retained), so a single huge response
   * cannot push every other record out.
   */
  maxBytes?: number;
  /** How often a timer sweeps expired records, in milliseconds (default 60,000; 0: never). */
  sweepIntervalMs?: number;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const NEVER = Number.POSITIVE_INFINITY;

/** A record as this store holds it: the public record, its lock token and its weight. */
interface Entry extends IdempotencyRecord {
  readonly key: string;
  readonly token?: string;
  /** What this record counts against `maxBytes`. */
  readonly bytes: number;
}

/**
 * Records in this process's memory. For tests, local development and single-process servers
 * only: serverless instances and Workers isolates do not share memory, so two instances would
 * each run the handler. Use a shared store (Upstash, DynamoDB, Durable Objects) in production.
 * Bounded in records (`maxEntries`) and bytes (`maxBytes`), never by evicting a live lock.
 */
export class MemoryStore implements IdempotencyStore {
  readonly name = 'memory';
  /** A sixteenth of `maxBytes`: the largest response kept with its body. Set by the constructor. */
  declare readonly maxRecordBytes: number;
  readonly #entries = new Map<string, Entry>();
  readonly #isCurrent = (entry: Entry) => this.#entries.get(entry.key) === entry;
  // Only completed records are ever evicted (oldest first), so only they need an order.
  #completed = writeOrder(this.#isCurrent);
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #sweepIntervalMs: number;
  #bytes = 0;
  /** No record expires before this: exact after a sweep, lowered by every write. */
  #nextExpiry = NEVER;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? 10_000;
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!(maxEntries >= 1)) throw new RangeError('MemoryStore maxEntries must be at least 1');
    if (!(maxBytes >= 1024 && maxBytes < NEVER)) {
      throw new RangeError('MemoryStore maxBytes must be finite, at least 1024');
    }
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
    this.maxRecordBytes = Math.floor(maxBytes / 16);
  }

  /** Records currently held, expired ones included until swept. */
  get size(): number {
    return this.#entries.size;
  }

  /** Bytes currently held, as counted against `maxBytes`. */
  get bytes(): number {
    return this.#bytes;
  }

  async begin(input: BeginInput): Promise<BeginResult> {
    const now = this.#now();
    const current = this.#read(input.key, now);
    const decision = decideBegin(current, input, now);
    if (decision === 'own-token') return { acquired: true };
    if (decision === 'held' && current) return { acquired: false, record: publicRecord(current) };
    const entry: Entry = {
      key: input.key,
      state: 'in_progress',
      fingerprint: input.fingerprint,
      token: input.token,
      expiresAt: now + input.leaseMs,
      bytes: input.key.length + input.fingerprint.length + input.token.length,
    };
    if (!this.#makeRoom(1, entry.bytes, now)) {
      throw new IdempotencyStoreError(
        this.name,
        'full of requests in progress (a live lock is never evicted)',
      );
    }
    this.#put(entry);
    return { acquired: true };
  }

  async complete({ key, token, response, ttlMs }: CompleteInput): Promise<boolean> {
    const now = this.#now();
    const lock = this.#read(key, now);
    if (!holdsLock(lock, token, now)) return false;
    const size = storedResponseSize(response);
    const tooLarge = () =>
      new IdempotencyRecordTooLargeError(this.name, `no room for a response of ${size} bytes`);
    if (size > this.maxRecordBytes) throw tooLarge();
    const entry: Entry = {
      key,
      state: 'completed',
      fingerprint: lock.fingerprint,
      expiresAt: now + ttlMs,
      // Copied so a caller that reuses its buffer cannot change what is replayed.
      response: {
        status: response.status,
        headers: response.headers.map(([n, v]) => [n, v]),
        body: response.body ? response.body.slice() : null,
      },
      bytes: key.length + lock.fingerprint.length + size,
    };
    // Over maxRecordBytes, or the rest of maxBytes is held by requests in progress.
    if (!this.#makeRoom(0, entry.bytes - lock.bytes, now)) throw tooLarge();
    this.#put(entry);
    this.#completed.push(entry);
    return true;
  }

  async release(key: string, token: string): Promise<boolean> {
    const now = this.#now();
    const lock = this.#read(key, now);
    if (!holdsLock(lock, token, now)) return false;
    this.#remove(lock);
    return true;
  }

  async get(key: string): Promise<IdempotencyRecord | null> {
    const live = this.#read(key, this.#now());
    return live ? publicRecord(live) : null;
  }

  async delete(key: string): Promise<boolean> {
    const live = this.#read(key, this.#now());
    if (live) this.#remove(live);
    return live !== undefined;
  }

  async getMany(keys: readonly string[]): Promise<Array<IdempotencyRecord | null>> {
    return Promise.all(keys.map((key) => this.get(key)));
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    let deleted = 0;
    for (const key of keys) if (await this.delete(key)) deleted++;
    return deleted;
  }

  /**
   * Drop every record, in progress or completed; the store stays usable. For tests: a fresh
   * start between cases without building a new store (the seed library's testing recipe).
   *
   * @example
   * const store = new MemoryStore();
   * afterEach(() => store.clear());
   */
  clear(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#entries.clear();
    this.#completed = writeOrder(this.#isCurrent);
    this.#bytes = 0;
    this.#nextExpiry = NEVER;
  }

  /** Stop the sweep timer and drop every record; later calls fail with a store error. */
  close(): void {
    this.#closed = true;
    this.clear();
  }

  /** Remove every expired record now. */
  sweep(now = Date.now()): void {
    let next = NEVER;
    for (const entry of this.#entries.values()) {
      if (entry.expiresAt <= now) this.#remove(entry);
      else next = Math.min(next, entry.expiresAt);
    }
    this.#nextExpiry = next;
    this.#completed.compact();
  }

  #now(): number {
    if (this.#closed) throw new IdempotencyStoreError(this.name, 'the store was closed');
    return Date.now();
  }

  /** The record for `key`, dropped (and not answered) if it has expired. */
  #read(key: string, now: number): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt <= now) {
      this.#remove(entry);
      return undefined;
    }
    return entry;
  }

  #put(entry: Entry): void {
    const previous = this.#entries.get(entry.key);
    if (previous) this.#bytes -= previous.bytes;
    this.#entries.set(entry.key, entry);
    this.#bytes += entry.bytes;
    this.#nextExpiry = Math.min(this.#nextExpiry, entry.expiresAt);
    this.#startSweeping();
  }

  #remove(entry: Entry): void {
    this.#entries.delete(entry.key);
    this.#bytes -= entry.bytes;
  }

  /**
   * Make room for `entries` more records and `bytes` more bytes; answers false when only live
   * locks are left to evict. Expired records go first, by a sweep, run only when one may have
   * expired (each sweep finds the next expiry exactly), so a flood of new keys costs O(1) per
   * call, plus one O(n) sweep per expiry. Then completed records, least recently written first.
   * Never a live lock.
   */
  #makeRoom(entries: number, bytes: number, now: number): boolean {
    const full = () =>
      this.#entries.size + entries > this.#maxEntries || this.#bytes + bytes > this.#maxBytes;
    if (full() && now >= this.#nextExpiry) this.sweep(now);
    while (full()) {
      const oldest = this.#completed.oldest();
      if (!oldest) return false;
      this.#remove(oldest);
    }
    return true;
  }

  #startSweeping(): void {
    if (this.#timer !== undefined || this.#sweepIntervalMs <= 0) return;
    this.#timer = setInterval(() => this.sweep(), this.#sweepIntervalMs);
    // A sweep timer must never keep a Node process alive; workerd's timers have no unref.
    (this.#timer as { unref?: () => void }).unref?.();
  }
}

/**
 * Entries in the order they were written, oldest first, with lazy removal: an entry the store
 * no longer holds (replaced, released, evicted) is skipped when it reaches the front. A Map's
 * own iterator walks over every hole earlier deletions left, which made "oldest first" cost
 * O(n) per call under a flood of new keys.
 */
function writeOrder(isCurrent: (entry: Entry) => boolean) {
  let items: Entry[] = [];
  let head = 0;
  let compactAt = 1024;
  const compact = () => {
    items = items.slice(head).filter(isCurrent);
    head = 0;
    compactAt = 2 * items.length + 1024;
  };
  return {
    push(entry: Entry): void {
      items.push(entry);
      // Entries replaced in the middle pile up; dropping them at twice the live size is amortized O(1).
      if (items.length >= compactAt) compact();
    },
    oldest(): Entry | undefined {
      let entry = items[head];
      while (entry && !isCurrent(entry)) entry = items[++head];
      return entry;
    },
    compact,
  };
}

/** The record as the store contract shows it: a copy without the lock token and bookkeeping. */
function publicRecord({ state, fingerprint, expiresAt, response }: Entry): IdempotencyRecord {
  // Named fields, not a rest pattern: V8 copies a rest through the runtime, a third of a replay's store step.
  return response ? { state, fingerprint, expiresAt, response } : { state, fingerprint, expiresAt };
}
