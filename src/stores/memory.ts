import { IdempotencyStoreError } from '../errors.ts';
import type {
  BeginInput,
  BeginResult,
  CompleteInput,
  IdempotencyRecord,
  IdempotencyStore,
} from '../types.ts';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Most records kept at once (default 10,000). Past it, the least recently written record is
   * evicted, so a flood of distinct keys cannot grow memory without bound (an evicted lock or
   * response is forgotten: size it above your peak of keys per TTL).
   */
  maxEntries?: number;
  /** How often a timer sweeps expired records, in milliseconds (default 60,000; 0: never). */
  sweepIntervalMs?: number;
}

interface Entry extends IdempotencyRecord {
  token?: string;
}

/**
 * Records in this process's memory. For tests, local development and single-process servers
 * only: serverless instances and Workers isolates do not share memory, so two instances would
 * each run the handler. Use a shared store (Upstash, DynamoDB, Durable Objects) in production.
 */
export class MemoryStore implements IdempotencyStore {
  readonly name = 'memory';
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #sweepIntervalMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
    if (!(this.#maxEntries >= 1)) throw new RangeError('MemoryStore maxEntries must be at least 1');
  }

  /** Records currently held, expired ones included until swept. */
  get size(): number {
    return this.#entries.size;
  }

  async begin({ key, fingerprint, token, leaseMs }: BeginInput): Promise<BeginResult> {
    const live = this.#live(key);
    if (live?.state === 'in_progress' && live.token === token) return { acquired: true };
    if (live) return { acquired: false, record: publicRecord(live) };
    this.#set(key, { state: 'in_progress', fingerprint, token, expiresAt: Date.now() + leaseMs });
    return { acquired: true };
  }

  async complete({ key, token, response, ttlMs }: CompleteInput): Promise<boolean> {
    const live = this.#live(key);
    if (live?.state !== 'in_progress' || live.token !== token) return false;
    this.#set(key, {
      state: 'completed',
      fingerprint: live.fingerprint,
      expiresAt: Date.now() + ttlMs,
      // Copied so a caller that reuses its buffer cannot change what is replayed.
      response: {
        status: response.status,
        headers: response.headers.map(([n, v]) => [n, v]),
        body: response.body ? response.body.slice() : null,
      },
    });
    return true;
  }

  async release(key: string, token: string): Promise<boolean> {
    const live = this.#live(key);
    if (live?.state !== 'in_progress' || live.token !== token) return false;
    return this.#entries.delete(key);
  }

  async get(key: string): Promise<IdempotencyRecord | null> {
    const live = this.#live(key);
    return live ? publicRecord(live) : null;
  }

  async delete(key: string): Promise<boolean> {
    const live = this.#live(key);
    this.#entries.delete(key);
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

  /** Stop the sweep timer and drop every record; later calls fail with a store error. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#entries.clear();
  }

  /** Remove every expired record now. */
  sweep(now = Date.now()): void {
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }

  #live(key: string): Entry | undefined {
    if (this.#closed) throw new IdempotencyStoreError(this.name, 'the store was closed');
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #set(key: string, entry: Entry): void {
    // Delete first so the Map's insertion order stays "least recently written first".
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > this.#maxEntries) this.#evict();
    this.#startSweeping();
  }

  // Oldest first, without a full sweep: a flood of new keys must stay O(1) per write.
  #evict(): void {
    for (const key of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break;
      this.#entries.delete(key);
    }
  }

  #startSweeping(): void {
    if (this.#timer !== undefined || this.#sweepIntervalMs <= 0) return;
    this.#timer = setInterval(() => this.sweep(), this.#sweepIntervalMs);
    // A sweep timer must never keep a Node process alive; workerd's timers have no unref.
    (this.#timer as { unref?: () => void }).unref?.();
  }
}

function publicRecord(entry: Entry): IdempotencyRecord {
  const { token: _token, ...record } = entry;
  return record;
}
