import { IdempotencyStoreError } from '../../errors.ts';
import { CorruptRecordError } from '../../record-codec.ts';

/** DynamoDB's error types for throttling (retried with a longer back-off). */
export const THROTTLED = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);
const CREDENTIALS = new Set([
  'CredentialsProviderError',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'MissingAuthenticationTokenException',
  'ExpiredTokenException',
  'InvalidClientTokenId',
]);
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'TimeoutError',
]);

/**
 * Translate whatever the transport threw (the SDK's exceptions, or the lean transport's errors
 * named the same way) into an {@link IdempotencyStoreError} whose message says what
 * to fix (the table, IAM, credentials, the network), with the SDK's error as `cause`.
 */
export function toStoreError(
  store: string,
  tableName: string,
  operation: string,
  error: unknown,
): IdempotencyStoreError {
  if (error instanceof IdempotencyStoreError) return error;
  const {
    name = '',
    code = '',
    message = String(error),
  } = error as { name?: string; code?: string; message?: string };
  const what = `${operation} on table "${tableName}" failed`;
  let detail: string;
  if (error instanceof CorruptRecordError) {
    detail = `the item is not a record this library wrote (${message})`;
  } else if (name === 'ResourceNotFoundException') {
    detail = `table "${tableName}" does not exist in this account and region (${message})`;
  } else if (THROTTLED.has(name)) {
    detail = `throttled by DynamoDB after retries; raise the table's capacity or use on-demand (${message})`;
  } else if (name === 'AccessDeniedException') {
    detail = `access denied: the role needs the DynamoDB actions listed in DYNAMODB_ACTIONS on this table (${message})`;
  } else if (CREDENTIALS.has(name)) {
    detail = `AWS credentials are missing, invalid or expired (${name}: ${message})`;
  } else if (UNREACHABLE.has(code) || UNREACHABLE.has(name)) {
    detail = `DynamoDB could not be reached (${code || name}: ${message})`;
  } else {
    detail = `${name || 'Error'}: ${message}`;
  }
  return new IdempotencyStoreError(store, `${what}: ${detail}`, { cause: error });
}
