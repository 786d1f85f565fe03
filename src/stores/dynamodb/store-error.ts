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
 * named the same way) into an {@link IdempotencyStoreError} whose message says what to fix
 * (the table, IAM, credentials, the network) before the error's own name and message, with
 * the error as `cause`.
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
    message = String(error),
    cause,
  } = error as { name?: string; message?: string; cause?: { code?: string } };
  // Node reports a network error's code; fetch hides it in `cause`.
  const code = (error as { code?: string }).code ?? cause?.code ?? '';
  const detail = `${code || name || 'Error'}: ${message}`;
  // What to fix, from the error's name or network code.
  let fix = '';
  if (error instanceof CorruptRecordError) fix = 'the item is not a record this library wrote';
  else if (name === 'ResourceNotFoundException')
    fix = `table "${tableName}" does not exist in this account and region`;
  else if (THROTTLED.has(name))
    fix = "throttled by DynamoDB after retries; raise the table's capacity or use on-demand";
  else if (name === 'AccessDeniedException') fix = 'the role needs the actions in DYNAMODB_ACTIONS';
  else if (CREDENTIALS.has(name)) fix = 'AWS credentials are missing, invalid or expired';
  else if (UNREACHABLE.has(code) || UNREACHABLE.has(name)) fix = 'DynamoDB could not be reached';
  return new IdempotencyStoreError(
    store,
    `${operation} on table "${tableName}" failed: ${fix ? `${fix} (${detail})` : detail}`,
    { cause: error },
  );
}
