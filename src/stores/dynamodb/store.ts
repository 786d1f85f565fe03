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
import {
  type AttributeNames,
  attributeNames,
  expiresAtOf,
  expressionNames,
  type Item,
  recordFromItem,
  ttlSeconds,
} from './attributes.ts';
import { batchDeleteItems, batchGetItems } from './batch.ts';
import { type LeanTransportOptions, leanTransport } from './lean-transport.ts';
import { encodeResponseAttribute } from './response-attribute.ts';
import { type DynamoDBClientLike, sdkTransport } from './sdk-transport.ts';
import { toStoreError } from './store-error.ts';
import type { DynamoDBTransport, Operations } from './transport.ts';

export type { DynamoDBClientLike };

/**
 * Options of {@link DynamoDBStore}. Without `client`, the store signs and sends its requests
 * itself (no AWS SDK loaded): `region`, `endpoint`, `credentials`, `timeoutMs` and
 * `maxAttempts` configure that. With `client`, those are the client's and may not be given.
 */
export interface DynamoDBStoreOptions extends LeanTransportOptions {
  /**
   * A `DynamoDBClient` or `DynamoDBDocumentClient` from AWS SDK v3, for when its middleware
   * must run (X-Ray, OpenTelemetry, custom credentials or retries). Default: none, the store
   * talks to DynamoDB directly.
   */
  client?: DynamoDBClientLike;
  /** The table: partition key only, type S, with TTL enabled on {@link ttlAttribute}. */
  tableName: string;
  /** The table's partition key attribute (type S). Default `pk`. */
  keyAttribute?: string;
  /** The attribute DynamoDB TTL is enabled on (epoch seconds, type N). Default `ttl`. */
  ttlAttribute?: string;
  /**
   * Encoded responses larger than this many bytes are gzipped (when that makes them smaller).
   * Default 4096: DynamoDB bills writes per KB, and the item limit is 400 KB.
   */
  compressAboveBytes?: number;
}

type SingleItemOperation = 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'GetItem';

type Step = 'begin' | 'complete' | 'release' | 'get' | 'delete' | 'getMany' | 'deleteMany';

/** The expressions of a single-item request, and the placeholders they use. */
interface Expressions {
  ConditionExpression?: string;
  UpdateExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
}

const LEAN_OPTIONS = ['region', 'endpoint', 'credentials', 'timeoutMs', 'maxAttempts'] as const;

/**
 * Records in a DynamoDB table, one item per key.
 *
 * - `begin` is one conditional `PutItem` (the key is absent, or its expiry has passed) with
 *   `ReturnValuesOnConditionCheckFailure: ALL_OLD`: a replay or a conflict is answered from
 *   the item the failed put returns, with no second read.
 * - `complete` (`UpdateItem`) and `release` (`DeleteItem`) are one write each, conditional on
 *   the fencing token, so a holder that lost its lease never overwrites the next one's result.
 * - The TTL attribute lets DynamoDB delete old items, but it does so late (up to days after), so
 *   every read also checks the expiry itself.
 * - Responses are a Binary attribute, gzipped when large; when one does not fit the 400 KB item
 *   limit even then, `complete` throws {@link IdempotencyRecordTooLargeError} and writes
 *   nothing (the wrapper then completes the key without the body: `not_retained`).
 * - Requests go through an SDK client when one is given, else straight to DynamoDB (signed
 *   JSON over HTTP): the same commands and conditions either way.
 */
export class DynamoDBStore implements IdempotencyStore {
  readonly name = 'dynamodb';
  readonly #transport: DynamoDBTransport;
  readonly #table: string;
  readonly #names: AttributeNames;
  readonly #compressAboveBytes: number;

  constructor(options: DynamoDBStoreOptions) {
    if (typeof options?.tableName !== 'string' || options.tableName === '') {
      throw new IdempotencyConfigurationError('DynamoDBStore needs a tableName');
    }
    if (options.client === undefined) {
      this.#transport = leanTransport(options);
    } else if (typeof options.client?.send !== 'function') {
      throw new IdempotencyConfigurationError(
        'DynamoDBStore client must be a DynamoDBClient or DynamoDBDocumentClient',
      );
    } else {
      const ignored = LEAN_OPTIONS.filter((name) => options[name] !== undefined);
      if (ignored.length > 0) {
        throw new IdempotencyConfigurationError(
          `DynamoDBStore: ${ignored.join(', ')} would be ignored with a client: configure the client instead`,
        );
      }
      this.#transport = sdkTransport(options.client);
    }
    this.#table = options.tableName;
    this.#names = attributeNames(options.keyAttribute, options.ttlAttribute);
    this.#compressAboveBytes = options.compressAboveBytes ?? 4096;
  }

  /** The table this store writes to. */
  get tableName(): string {
    return this.#table;
  }

  async begin({ key, fingerprint, token, leaseMs }: BeginInput): Promise<BeginResult> {
    const names = this.#names;
    const now = Date.now();
    const expiresAt = now + leaseMs;
    const failure = await this.#write('begin', 'PutItem', {
      Item: {
        [names.key]: { S: key },
        [names.state]: { S: 'in_progress' },
        [names.fingerprint]: { S: fingerprint },
        [names.token]: { S: token },
        [names.expiresAt]: { N: String(expiresAt) },
        [names.ttl]: { N: ttlSeconds(expiresAt) },
      },
      // An in-progress item expires when its lease ends, so "expired" covers both a stale
      // completed record and a crashed holder. Only an in-progress item has a token: ours
      // means a retried put whose answer was lost, and the lock is already ours.
      ConditionExpression: 'attribute_not_exists(#key) OR #expiresAt <= :now OR #token = :token',
      ExpressionAttributeValues: { ':now': { N: String(now) }, ':token': { S: token } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    if (!failure) return { acquired: true };
    // Raw AttributeValues here, from either transport, even through a DynamoDBDocumentClient.
    if (!failure.Item) {
      throw new IdempotencyStoreError(
        this.name,
        `begin on table "${this.#table}": the condition failed but no item came back`,
        { cause: failure },
      );
    }
    try {
      return { acquired: false, record: await recordFromItem(failure.Item, names) };
    } catch (error) {
      throw this.#error('begin', error);
    }
  }

  async complete({ key, token, response, ttlMs }: CompleteInput): Promise<boolean> {
    const now = Date.now();
    const expiresAt = now + ttlMs;
    const attribute = await encodeResponseAttribute(response, this.#compressAboveBytes).catch((error) => {
      throw this.#error('complete', error);
    });
    if (!attribute) throw this.#tooLarge();
    return !(await this.#write('complete', 'UpdateItem', {
      Key: this.#key(key),
      UpdateExpression:
        'SET #state = :completed, #expiresAt = :expiresAt, #ttl = :ttl, #response = :response, ' +
        '#compressed = :compressed REMOVE #token',
      // The token fences out a stale holder; the lease check refuses a holder whose lease ran
      // out even if nobody took the key since (it may already be running again elsewhere).
      ConditionExpression: '#token = :token AND #expiresAt > :now',
      ExpressionAttributeValues: {
        ':completed': { S: 'completed' },
        ':expiresAt': { N: String(expiresAt) },
        ':ttl': { N: ttlSeconds(expiresAt) },
        ':response': { B: attribute.bytes },
        ':compressed': { BOOL: attribute.compressed },
        ':token': { S: token },
        ':now': { N: String(now) },
      },
    }));
  }

  async release(key: string, token: string): Promise<boolean> {
    return !(await this.#write('release', 'DeleteItem', {
      Key: this.#key(key),
      // Only completed items lack a token, so this never deletes a stored response.
      ConditionExpression: '#token = :token AND #expiresAt > :now',
      ExpressionAttributeValues: { ':token': { S: token }, ':now': { N: String(Date.now()) } },
    }));
  }

  async get(key: string): Promise<IdempotencyRecord | null> {
    try {
      const { Item } = await this.#send('GetItem', { Key: this.#key(key), ConsistentRead: true });
      return Item && this.#isLive(Item) ? await recordFromItem(Item, this.#names) : null;
    } catch (error) {
      throw this.#error('get', error);
    }
  }

  async delete(key: string): Promise<boolean> {
    try {
      const { Attributes } = await this.#send('DeleteItem', { Key: this.#key(key), ReturnValues: 'ALL_OLD' });
      return Attributes !== undefined && this.#isLive(Attributes);
    } catch (error) {
      throw this.#error('delete', error);
    }
  }

  async getMany(keys: readonly string[]): Promise<Array<IdempotencyRecord | null>> {
    try {
      const items = await batchGetItems(this.#transport, this.#table, this.#distinctKeys(keys));
      const live = new Map<string, IdempotencyRecord>();
      for (const item of items) {
        if (this.#isLive(item))
          live.set(item[this.#names.key]?.S as string, await recordFromItem(item, this.#names));
      }
      return keys.map((key) => live.get(key) ?? null);
    } catch (error) {
      throw this.#error('getMany', error);
    }
  }

  /**
   * {@link delete} for many keys: one `BatchGetItem` per 100 keys (only the expiry, to count the
   * live records) then one `BatchWriteItem` per 25. Not atomic: a key taken between the two
   * is deleted but not counted.
   */
  async deleteMany(keys: readonly string[]): Promise<number> {
    const distinct = this.#distinctKeys(keys);
    if (distinct.length === 0) return 0;
    try {
      const projection = '#expiresAt';
      const found = await batchGetItems(this.#transport, this.#table, distinct, {
        ProjectionExpression: projection,
        ExpressionAttributeNames: expressionNames(this.#names, projection),
      });
      await batchDeleteItems(this.#transport, this.#table, distinct);
      return found.filter((item) => this.#isLive(item)).length;
    } catch (error) {
      throw this.#error('deleteMany', error);
    }
  }

  /**
   * One single-item request on the table. The `#role` placeholders come from the expressions
   * themselves, so each names exactly what it uses (DynamoDB rejects unused placeholders).
   */
  #send<O extends SingleItemOperation>(
    operation: O,
    input: Omit<Operations[O][0], 'TableName'>,
  ): Promise<Operations[O][1]> {
    const { ConditionExpression, UpdateExpression } = input as Expressions;
    const request = { TableName: this.#table, ...input } as Operations[O][0] & Expressions;
    if (ConditionExpression) {
      request.ExpressionAttributeNames = expressionNames(this.#names, ConditionExpression, UpdateExpression);
    }
    return this.#transport.send(operation, request);
  }

  /**
   * A conditional write. Resolves nothing when it was done, or the condition failure: that is
   * an answer (the key is someone else's), not an error. Anything else throws, as `step`'s.
   */
  async #write<O extends SingleItemOperation>(
    step: Step,
    operation: O,
    input: Omit<Operations[O][0], 'TableName'>,
  ): Promise<(Error & { Item?: Item }) | undefined> {
    try {
      await this.#send(operation, input);
    } catch (error) {
      // By name: the SDK's exception class would have to be imported, and the lean transport
      // names its errors the same way.
      if ((error as Error | null)?.name === 'ConditionalCheckFailedException') return error as Error;
      // The response fits its attribute, but a key or other attribute that is unusually long
      // may not.
      if (step === 'complete' && /item size has exceeded/i.test((error as Error)?.message)) {
        throw this.#tooLarge(error);
      }
      throw this.#error(step, error);
    }
  }

  #key(key: string): Item {
    return { [this.#names.key]: { S: key } };
  }

  // BatchGetItem and BatchWriteItem reject a request that names the same key twice.
  #distinctKeys(keys: readonly string[]): Item[] {
    return [...new Set(keys)].map((key) => this.#key(key));
  }

  // DynamoDB's TTL deletes items days late: the expiry is what decides.
  #isLive(item: Item): boolean {
    return expiresAtOf(item, this.#names) > Date.now();
  }

  #error(step: Step, error: unknown): IdempotencyStoreError {
    return toStoreError(this.name, this.#table, step, error);
  }

  #tooLarge(cause?: unknown): IdempotencyRecordTooLargeError {
    return new IdempotencyRecordTooLargeError(
      this.name,
      `complete on table "${this.#table}": the response does not fit a DynamoDB item (400 KB) even gzipped`,
      { cause },
    );
  }
}
