import { fromBase64, post, toBase64 } from '#dynamodb-runtime';
import { IdempotencyConfigurationError } from '../../errors.ts';
import { type AwsCredentialsOption, credentialSource, environment } from './credentials.ts';
import { backOffMs, sleep } from './retry.ts';
import { createSigner } from './sigv4.ts';
import { THROTTLED } from './store-error.ts';
import type { DynamoDBTransport } from './transport.ts';

/** How the store reaches DynamoDB without the AWS SDK. */
export interface LeanTransportOptions {
  /** AWS region; default `AWS_REGION`, then `AWS_DEFAULT_REGION`. */
  region?: string;
  /**
   * DynamoDB's URL, e.g. `http://localhost:8000` for DynamoDB Local; default
   * `AWS_ENDPOINT_URL_DYNAMODB`, then `AWS_ENDPOINT_URL`, then the region's public endpoint.
   */
  endpoint?: string;
  /** Default: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`. */
  credentials?: AwsCredentialsOption;
  /** Time budget of one store call, retries included, in milliseconds. Default 3,000. */
  timeoutMs?: number;
  /** Attempts per request, the first included. Default 3 (the SDK's). */
  maxAttempts?: number;
}

const TARGET = 'DynamoDB_20120810.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';

/**
 * DynamoDB's JSON protocol, SigV4-signed, over `#dynamodb-runtime`'s `post` (a keep-alive
 * agent on Node, `fetch` elsewhere). Retries throttling, 5xx and network errors with jittered
 * exponential back-off (SDK-like) while the time budget allows; an attempt gets its share of
 * what is left, so one stalled connection cannot use up the whole budget.
 */
export function leanTransport(options: LeanTransportOptions): DynamoDBTransport {
  const region = options.region ?? environment('AWS_REGION') ?? environment('AWS_DEFAULT_REGION');
  if (!region) {
    throw new IdempotencyConfigurationError('DynamoDBStore needs a region: pass `region` or set AWS_REGION');
  }
  const endpoint =
    options.endpoint ??
    environment('AWS_ENDPOINT_URL_DYNAMODB') ??
    environment('AWS_ENDPOINT_URL') ??
    `https://dynamodb.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
  const url = new URL(endpoint);
  const timeoutMs = options.timeoutMs ?? 3000;
  const maxAttempts = options.maxAttempts ?? 3;
  if (!(timeoutMs > 0 && timeoutMs < Infinity && maxAttempts >= 1 && Number.isInteger(maxAttempts))) {
    throw new IdempotencyConfigurationError(
      'DynamoDBStore timeoutMs must be a positive number and maxAttempts an integer ≥ 1',
    );
  }
  const credentials = credentialSource(options.credentials);
  const sign = createSigner(region, 'dynamodb');

  return {
    async send(operation, input) {
      const deadline = Date.now() + timeoutMs;
      const body = JSON.stringify(input, binaryToBase64);
      const identity = await credentials();
      for (let attempt = 1; ; attempt++) {
        let error: Error & { $status?: number };
        const attemptMs = Math.max(1, Math.ceil((deadline - Date.now()) / (maxAttempts - attempt + 1)));
        try {
          const headers = await sign({
            credentials: identity,
            host: url.host,
            headers: { 'content-type': CONTENT_TYPE, 'x-amz-target': TARGET + operation },
            body,
          });
          // Rejects with a TimeoutError when the answer is not read within `attemptMs`.
          const answer = await post(url, headers, body, attemptMs);
          if (answer.status === 200) return JSON.parse(answer.text, base64ToBinary);
          error = answerError(answer.status, answer.text);
        } catch (thrown) {
          error = thrown as Error;
        }
        // Throttling, 5xx and requests that got no answer at all are worth another attempt.
        const throttled = THROTTLED.has(error.name);
        const delay = backOffMs(attempt, throttled ? 500 : 100);
        if (
          !(throttled || (error.$status ?? 500) >= 500) ||
          attempt >= maxAttempts ||
          Date.now() + delay >= deadline
        ) {
          throw error;
        }
        await sleep(delay);
      }
    },
  };
}

// Binary attributes travel as base64 in JSON. The holder's own value, not `value`: a Buffer
// would already have become `{ type, data }` through its toJSON.
function binaryToBase64(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  return raw instanceof Uint8Array ? toBase64(raw) : value;
}

// `B` holds a string only as a Binary attribute's value (an attribute named B holds an object).
function base64ToBinary(key: string, value: unknown): unknown {
  return key === 'B' && typeof value === 'string' ? fromBase64(value) : value;
}

/**
 * DynamoDB's error answer as an Error named like the SDK's exception, carrying the answer's
 * fields as the SDK's exceptions do (`Item` of a failed condition among them).
 */
function answerError(status: number, text: string): Error & { $status: number } {
  let parsed: { __type?: string; message?: string; Message?: string } = {};
  try {
    parsed = JSON.parse(text, base64ToBinary) ?? {};
  } catch {
    // A proxy's HTML page or an empty 5xx body: the status says enough.
  }
  return Object.assign(
    new Error(parsed.message ?? parsed.Message ?? `DynamoDB answered HTTP ${status}`),
    parsed,
    {
      name: parsed.__type?.split('#').pop() || (status >= 500 ? 'InternalServerError' : `HTTP ${status}`),
      $status: status,
    },
  );
}
