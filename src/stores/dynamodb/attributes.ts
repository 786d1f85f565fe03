import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { IdempotencyConfigurationError } from '../../errors.ts';
import { assertRecord } from '../../record-codec.ts';
import type { IdempotencyRecord } from '../../types.ts';
import { decodeResponseAttribute } from './response-attribute.ts';

/** A DynamoDB item in the low-level form (`{ S: ... }`, `{ N: ... }`, `{ B: ... }`). */
export type Item = Record<string, AttributeValue>;

/** The attribute names of one item. `key` and `ttl` must match the table's definition. */
export interface AttributeNames {
  /** Partition key (type S). */
  key: string;
  /** DynamoDB TTL attribute: epoch seconds (type N). */
  ttl: string;
  /** `in_progress` or `completed` (S). */
  state: string;
  /** Request fingerprint (S). */
  fingerprint: string;
  /** Fencing token of the lock holder (S); removed when the record completes. */
  token: string;
  /** End of the lease or of the TTL, epoch milliseconds (N): the expiry checked on read. */
  expiresAt: string;
  /** The encoded response (B). */
  response: string;
  /** Whether `response` is gzipped (BOOL). */
  compressed: string;
}

/** Defaults; `pk` and `ttl` are also what `template.yaml` declares. */
export const DEFAULT_ATTRIBUTE_NAMES: Readonly<AttributeNames> = {
  key: 'pk',
  ttl: 'ttl',
  state: 'state',
  fingerprint: 'fp',
  token: 'token',
  expiresAt: 'exp',
  response: 'res',
  compressed: 'z',
};

/** The default names with the table's own key and TTL attribute; rejects clashes. */
export function attributeNames(keyAttribute = 'pk', ttlAttribute = 'ttl'): AttributeNames {
  const names = { ...DEFAULT_ATTRIBUTE_NAMES, key: keyAttribute, ttl: ttlAttribute };
  const all = Object.values(names);
  if (all.some((name) => name === '') || new Set(all).size !== all.length) {
    throw new IdempotencyConfigurationError(
      `DynamoDBStore keyAttribute "${keyAttribute}" and ttlAttribute "${ttlAttribute}" must differ and be none of "", ${all.slice(2).join(', ')}`,
    );
  }
  return names;
}

/**
 * The `#role` placeholders the expressions use (`#state` for `names.state`), so expressions never
 * trip over DynamoDB's reserved words (`state`, `token` and `ttl` are among them).
 */
export function expressionNames(
  names: AttributeNames,
  ...expressions: Array<string | undefined>
): Record<string, string> {
  const placeholders = expressions.join(' ').match(/#\w+/g) ?? [];
  return Object.fromEntries(
    placeholders.map((placeholder) => [placeholder, names[placeholder.slice(1) as keyof AttributeNames]]),
  );
}

/** Epoch seconds for the TTL attribute, rounded up so DynamoDB never deletes a live record. */
export function ttlSeconds(expiresAt: number): string {
  return String(Math.ceil(expiresAt / 1000));
}

/** The expiry (epoch ms) of an item; `NaN` when it has none (never live, and not a record). */
export function expiresAtOf(item: Item, names: AttributeNames): number {
  return Number(item[names.expiresAt]?.N);
}

/** Turn an item into the record it holds; a malformed item throws {@link CorruptRecordError}. */
export async function recordFromItem(item: Item, names: AttributeNames): Promise<IdempotencyRecord> {
  const record = {
    state: item[names.state]?.S,
    fingerprint: item[names.fingerprint]?.S,
    expiresAt: expiresAtOf(item, names),
  } as IdempotencyRecord;
  const bytes = item[names.response]?.B;
  // Without the response attribute, a completed record fails assertRecord.
  if (record.state === 'completed' && bytes) {
    record.response = await decodeResponseAttribute(bytes, item[names.compressed]?.BOOL === true);
  }
  assertRecord(record);
  return record;
}
