import type { Redis } from '@upstash/redis';
import { IdempotencyRecordTooLargeError, IdempotencyStoreError } from '../../errors.ts';
import type {
  BeginInput,
  BeginResult,
  CompleteInput,
  IdempotencyRecord,
  IdempotencyStore,
} from '../../types.ts';
import { inProgressValue, parseRecordValue, responseValue } from './record-value.ts';
import { BEGIN, COMPLETE, type LuaScript, RELEASE } from './scripts.ts';

/**
 * The part of an `@upstash/redis` client the store uses. Any `Redis` from `@upstash/redis`,
 * `@upstash/redis/cloudflare` or `@upstash/redis/fastly` fits.
 */
export type UpstashRedis = Pick<Redis, 'eval' | 'evalsha' | 'get' | 'mget' | 'del'>;

/** Options of {@link UpstashStore}. */
export interface UpstashStoreOptions {
  /** An `@upstash/redis` client, e.g. `Redis.fromEnv()`. Its settings are left as they are. */
  redis: UpstashRedis;
  /** Prepended to every storage key, to share one database with other data (default none). */
  prefix?: string;
  /**
   * Time budget of one store operation in milliseconds (default 2,000). The client retries
   * network errors with back-off for about 4 s; past this budget the operation fails with
   * `IdempotencyStoreError`, so the wrapper's `onStoreError` decides instead of the request
   * hanging. A lock taken by a `begin` that answers only after the budget is released again.
   */
  timeoutMs?: number;
  /**
   * Largest HTTP request your database accepts, in bytes (default 10,000,000: Upstash's limit
   * for Free and Pay-as-you-go databases; raise it on a plan with a higher limit). The store
   * declares `maxRecordBytes` from it, so the wrapper completes a larger response without its
   * body instead of sending a request Upstash refuses with `ERR max request size exceeded`.
   */
  maxRequestBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 2_000;
const DEFAULT_MAX_REQUEST_BYTES = 10_000_000;
/**
 * Room in a request for what is not the response: the JSON command with the script's SHA-1 or
 * source, key, token and expiry, and the codec's framing and Latin-1 header characters (2 UTF-8
 * bytes each), counted before base64.
 */
const REQUEST_MARGIN_BYTES = 100_000;
/** Upstash's answers to a request or value over its plan's limits. */
const TOO_LARGE = /max request size exceeded|max single record size exceeded/i;

/** Raised inside the store when the budget runs out; becomes the `cause` of the store error. */
class BudgetExceededError extends Error {
  override name = 'TimeoutError';
}

/**
 * Records in Upstash Redis (or any Redis behind the Upstash REST API), over HTTPS: works on
 * Vercel, Workers and Lambda with no TCP connection. One HTTP request per step: `begin`,
 * `complete` and `release` are one Lua script each (`EVALSHA`), `get`/`getMany` one
 * `GET`/`MGET`, `delete`/`deleteMany` one `DEL`. Expiry is Redis `PX`.
 *
 * Records live in Redis memory: if the database loses data (a restart without persistence,
 * eviction under `maxmemory`), an in-flight lock is gone and a duplicate may run again.
 */
export class UpstashStore implements IdempotencyStore {
  readonly name = 'upstash';
  /**
   * The largest response kept with its body: the record travels as base64 (4 bytes per 3) in
   * one request, so three quarters of `maxRequestBytes` less a margin, 7,400,000 by default.
   */
  readonly maxRecordBytes: number;
  readonly #redis: UpstashRedis;
  readonly #prefix: string;
  readonly #timeoutMs: number;

  constructor(options: UpstashStoreOptions) {
    if (!options?.redis) throw new TypeError('UpstashStore needs { redis }, an @upstash/redis client');
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      throw new RangeError('UpstashStore timeoutMs must be a positive number of milliseconds');
    }
    const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    if (!(maxRequestBytes >= 1_000_000) || !Number.isFinite(maxRequestBytes)) {
      throw new RangeError(
        'UpstashStore maxRequestBytes must be a finite number of bytes, at least 1,000,000',
      );
    }
    this.maxRecordBytes = Math.floor((maxRequestBytes * 3) / 4) - REQUEST_MARGIN_BYTES;
    this.#redis = options.redis;
    this.#prefix = options.prefix ?? '';
    this.#timeoutMs = timeoutMs;
  }

  async begin({ key, fingerprint, token, leaseMs }: BeginInput): Promise<BeginResult> {
    let value: string;
    try {
      value = inProgressValue(fingerprint, token, Date.now() + milliseconds(leaseMs));
    } catch (error) {
      throw this.#error(`begin refused its input: ${messageOf(error)}`, error);
    }
    return this.#call(
      'begin',
      () => this.#script(BEGIN, [this.#prefix + key], [value, milliseconds(leaseMs)]),
      (answer): BeginResult =>
        answer === 'A' ? { acquired: true } : { acquired: false, record: parseRecordValue(answer) },
      // Nobody waits for a lock that arrives after the budget: free it for the client's retry.
      (answer) => {
        if (answer === 'A') this.release(key, token).catch(() => {});
      },
    );
  }

  async complete({ key, token, response, ttlMs }: CompleteInput): Promise<boolean> {
    let encoded: string;
    try {
      encoded = responseValue(response);
    } catch (error) {
      throw this.#error(`complete could not encode the response: ${messageOf(error)}`, error);
    }
    return this.#call(
      'complete',
      () =>
        this.#script(
          COMPLETE,
          [this.#prefix + key],
          [token, Date.now() + milliseconds(ttlMs), encoded, milliseconds(ttlMs)],
        ),
      scriptFlag,
    );
  }

  async release(key: string, token: string): Promise<boolean> {
    return this.#call('release', () => this.#script(RELEASE, [this.#prefix + key], [token]), scriptFlag);
  }

  async get(key: string): Promise<IdempotencyRecord | null> {
    return this.#call('get', () => this.#redis.get<unknown>(this.#prefix + key), nullOrRecord);
  }

  async delete(key: string): Promise<boolean> {
    return this.#call(
      'delete',
      () => this.#redis.del(this.#prefix + key),
      (n) => count(n) > 0,
    );
  }

  async getMany(keys: readonly string[]): Promise<Array<IdempotencyRecord | null>> {
    if (keys.length === 0) return [];
    return this.#call(
      'getMany',
      () => this.#redis.mget<unknown[]>(keys.map((key) => this.#prefix + key)),
      (values) => {
        if (!Array.isArray(values) || values.length !== keys.length) {
          throw new TypeError(
            `MGET answered ${Array.isArray(values) ? values.length : typeof values} values`,
          );
        }
        return values.map(nullOrRecord);
      },
    );
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    return this.#call('deleteMany', () => this.#redis.del(...keys.map((key) => this.#prefix + key)), count);
  }

  /**
   * Send one operation within the time budget and read its answer. Every failure (network,
   * HTTP status, Redis error, timeout, data this library did not write) becomes an
   * `IdempotencyStoreError`. `late` sees an answer that arrived after the budget ran out.
   */
  async #call<T>(
    step: string,
    send: () => Promise<unknown>,
    read: (answer: unknown) => T,
    late?: (answer: unknown) => void,
  ): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    // A client that throws instead of rejecting must still end up as a store error.
    const sent = new Promise<unknown>((resolve) => resolve(send()));
    const budget = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new BudgetExceededError(`no answer within ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
    });
    let answer: unknown;
    try {
      answer = await Promise.race([sent, budget]);
    } catch (error) {
      if (error instanceof BudgetExceededError) {
        sent.then(late, () => {}).catch(() => {});
        throw this.#error(`${step} got no answer within ${this.#timeoutMs} ms`, error);
      }
      const message = messageOf(error);
      // A request Upstash refused writes nothing: the lock stays with its holder.
      if (step === 'complete' && TOO_LARGE.test(message)) {
        throw new IdempotencyRecordTooLargeError(this.name, `complete failed: ${message}`, { cause: error });
      }
      throw this.#error(`${step} failed: ${message}`, error);
    } finally {
      clearTimeout(timer);
    }
    try {
      return read(answer);
    } catch (error) {
      throw this.#error(`${step} read a value this library did not write: ${messageOf(error)}`, error);
    }
  }

  /** `EVALSHA`, and `EVAL` once if Redis does not know the script (first use, restart). */
  async #script(script: LuaScript, keys: string[], args: unknown[]): Promise<unknown> {
    try {
      return await this.#redis.evalsha<unknown[], unknown>(script.sha1, keys, args);
    } catch (error) {
      if (!messageOf(error).includes('NOSCRIPT')) throw error;
      return this.#redis.eval<unknown[], unknown>(script.source, keys, args);
    }
  }

  #error(message: string, cause: unknown): IdempotencyStoreError {
    return new IdempotencyStoreError(this.name, message, { cause });
  }
}

// PX takes a positive whole number of milliseconds.
const milliseconds = (ms: number) => Math.max(1, Math.ceil(ms));

function scriptFlag(answer: unknown): boolean {
  if (answer === 1) return true;
  if (answer === 0) return false;
  throw new TypeError(`script answered ${JSON.stringify(answer)}, expected 0 or 1`);
}

function count(answer: unknown): number {
  if (typeof answer !== 'number' || !Number.isInteger(answer) || answer < 0) {
    throw new TypeError(`DEL answered ${JSON.stringify(answer)}, expected a count`);
  }
  return answer;
}

const nullOrRecord = (value: unknown) => (value === null ? null : parseRecordValue(value));

/** The client's message without the command it appends (which holds whole stored responses). */
function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const commandAt = message.indexOf(', command was: ');
  return commandAt < 0 ? message : message.slice(0, commandAt);
}
