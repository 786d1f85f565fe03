import { type HmacKey, hmacKey, hmacSha256 } from '#dynamodb-runtime';
import { sha256Hex } from '#sha256';
import { hex } from '../../hex.ts';
import type { AwsCredentials } from './credentials.ts';

/** What one signed POST needs besides its body. */
export interface SigningInput {
  credentials: AwsCredentials;
  /** The `Host` header the request will carry (`URL.host`: a non-default port included). */
  host: string;
  /** Headers to sign besides `host`, `x-amz-date` and `x-amz-security-token`; lower-case names. */
  headers: Record<string, string>;
  body: string;
  /** The signing time; default now. */
  date?: Date;
}

/**
 * AWS Signature Version 4 for POSTs to `/` of one service in one region (all DynamoDB's JSON
 * protocol sends). Answers the headers to send: the given ones plus `x-amz-date`,
 * `x-amz-security-token` (with a session token) and `authorization`. The signing key is
 * derived once per day and secret, not per request.
 */
export function createSigner(region: string, service: string) {
  // Only a derived key is kept: a failed derivation is simply tried again by the next request.
  let cached: { id: string; key: HmacKey } | undefined;

  return async function sign({ credentials, host, headers, body, date = new Date() }: SigningInput) {
    const { accessKeyId, secretAccessKey, sessionToken } = credentials;
    const amzDate = date.toISOString().replace(/[:-]|\.\d{3}/g, '');
    const day = amzDate.slice(0, 8);
    const scope = `${day}/${region}/${service}/aws4_request`;
    const send: Record<string, string> = { ...headers, 'x-amz-date': amzDate };
    if (sessionToken) send['x-amz-security-token'] = sessionToken;
    // `host` is signed but not sent: the HTTP client sets it from the URL.
    const signed: Record<string, string> = { ...send, host };
    const names = Object.keys(signed).sort();
    const signedHeaders = names.join(';');
    // The header values are ours, with no spaces to trim or fold.
    const canonicalRequest = `POST\n/\n\n${names.map((name) => `${name}:${signed[name]}\n`).join('')}\n${signedHeaders}\n${await sha256Hex([body])}`;
    const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${await sha256Hex([canonicalRequest])}`;
    const id = `${day}/${secretAccessKey}`;
    if (cached?.id !== id) {
      let key = await hmacKey(`AWS4${secretAccessKey}`);
      for (const part of [day, region, service, 'aws4_request'])
        key = await hmacKey(await hmacSha256(key, part));
      cached = { id, key };
    }
    send.authorization = `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${hex(await hmacSha256(cached.key, stringToSign))}`;
    return send;
  };
}
