import {
  IdempotencyConfigurationError,
  IdempotencyRecordTooLargeError,
  IdempotencyStoreError,
} from '../../errors.ts';
import type {
  BeginInput,
  BeginResult,
  CompleteInput,
  IdempotencyRecord,
  IdempotencyStore,
} from '../../types.ts';

/**
 * The RPC methods of `IdempotencyObject`, as the store calls them on a stub. Results are typed
 * `unknown` because RPC typing turns tuples (header pairs) into arrays; the object validates
 * every record it sends, and the wrapper validates it again.
 */
export interface IdempotencyObjectStub {
  begin(input: BeginInput): Promise<unknown>;
  complete(input: CompleteInput): Promise<boolean>;
  release(key: string, token: string): Promise<boolean>;
  get(key: string): Promise<unknown>;
  delete(key: string): Promise<boolean>;
}

/**
 * The part of a Durable Object namespace binding the store uses. A Worker's
 * `DurableObjectNamespace<IdempotencyObject>` (e.g. `env.IDEMPOTENCY`) fits it.
 */
export interface IdempotencyObjectNamespace<Id = unknown> {
  idFromName(name: string): Id;
  get(id: Id): IdempotencyObjectStub;
}

/** Options of {@link DurableObjectStore}. */
export interface DurableObjectStoreOptions<Id = unknown> {
  /** The binding of the `IdempotencyObject` class, e.g. `env.IDEMPOTENCY`. */
  namespace: IdempotencyObjectNamespace<Id>;
}

/**
 * What the runtime says when a record is too large: SQLite's `string or blob too big:
 * SQLITE_TOOBIG` from the object, or the RPC limit (`Serialized RPC arguments or return values
 * are limited to 32MiB`) before the call leaves the Worker.
 */
const TOO_LARGE = /SQLITE_TOOBIG|Serialized RPC arguments or return values are limited/;

/**
 * Records in Durable Objects: one `IdempotencyObject` per storage key, reached by
 * `idFromName(key)`, so every step is one RPC call to an object that runs one request at a
 * time. Build it per request from `env`, it holds nothing but the binding:
 *
 * @example
 * export default {
 *   fetch: withIdempotency(handler, {
 *     store: (request, env) => new DurableObjectStore({ namespace: env.IDEMPOTENCY }),
 *   }),
 * };
 */
export class DurableObjectStore<Id = unknown> implements IdempotencyStore {
  readonly name = 'durable-object';
  /**
   * Durable Object SQLite refuses a value or row over 2 MB (`SQLITE_TOOBIG`). The record is the
   * response in the binary codec (6 bytes, 6 per header, header text as UTF-8, where a Latin-1
   * character takes 2 bytes) in one row beside the key and fingerprint: 100 KB of margin.
   */
  readonly maxRecordBytes = 1_900_000;
  readonly #namespace: IdempotencyObjectNamespace<Id>;

  constructor(options: DurableObjectStoreOptions<Id>) {
    if (typeof options?.namespace?.idFromName !== 'function') {
      throw new IdempotencyConfigurationError(
        'DurableObjectStore needs { namespace }: the Durable Object binding of IdempotencyObject (e.g. env.IDEMPOTENCY)',
      );
    }
    this.#namespace = options.namespace;
  }

  begin(input: BeginInput): Promise<BeginResult> {
    return this.#call(input.key, 'begin', (object) => object.begin(input) as Promise<BeginResult>);
  }

  complete(input: CompleteInput): Promise<boolean> {
    return this.#call(input.key, 'complete', (object) => object.complete(input));
  }

  release(key: string, token: string): Promise<boolean> {
    return this.#call(key, 'release', (object) => object.release(key, token));
  }

  get(key: string): Promise<IdempotencyRecord | null> {
    return this.#call(key, 'get', (object) => object.get(key) as Promise<IdempotencyRecord | null>);
  }

  delete(key: string): Promise<boolean> {
    return this.#call(key, 'delete', (object) => object.delete(key));
  }

  /** One object per key: the calls run in parallel, one RPC each. */
  getMany(keys: readonly string[]): Promise<Array<IdempotencyRecord | null>> {
    return Promise.all(keys.map((key) => this.get(key)));
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    const deleted = await Promise.all(keys.map((key) => this.delete(key)));
    return deleted.filter(Boolean).length;
  }

  // A fresh stub per call: a stub whose object was reset keeps failing, a new one does not.
  async #call<T>(
    key: string,
    operation: string,
    call: (object: IdempotencyObjectStub) => Promise<T>,
  ): Promise<T> {
    try {
      return await call(this.#namespace.get(this.#namespace.idFromName(key)));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      // Either leaves the lock as it was: SQLite refused the row, or the RPC never left the Worker.
      const StoreError =
        operation === 'complete' && TOO_LARGE.test(reason)
          ? IdempotencyRecordTooLargeError
          : IdempotencyStoreError;
      throw new StoreError(this.name, `${operation} failed: ${reason}`, { cause: error });
    }
  }
}
