import { hmacSha256 } from '#dynamodb-runtime';
import { sha256Hex } from '#sha256';
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

const hex = (bytes: Uint8Array) => {
  let out = '';
  for (const byte of bytes) out += (byte < 16 ? '0' : '') + byte.toString(16);
  return out;
};

/**
 * AWS Signature Version 4 for POSTs to `/` of one service in one region (all DynamoDB's JSON
 * protocol sends). Answers the headers to send: the given ones plus `x-amz-date`,
 * `x-amz-security-token` (with a session token) and `authorization`. The signing key is
 * derived once per day and secret, not per request.
 */
export function createSigner(region: string, service: string) {
  let cached: { id: string; key: Promise<Uint8Array> } | undefined;
  const signingKey = (secret: string, day: string) => {
    const id = `${day}/${secret}`;
    if (cached?.id !== id) {
      const key = (async () => {
        let key = await hmacSha256(`AWS4${secret}`, day);
        for (const part of [region, service, 'aws4_request']) key = await hmacSha256(key, part);
        return key;
      })();
      cached = { id, key };
      key.catch(() => {
        if (cached?.key === key) cached = undefined;
      });
    }
    return cached.key;
  };

  return async function sign({ credentials, host, headers, body, date = new Date() }: SigningInput) {
    const amzDate = date.toISOString().replace(/[:-]|\.\d{3}/g, '');
    const day = amzDate.slice(0, 8);
    const signed: Record<string, string> = { ...headers, host, 'x-amz-date': amzDate };
    if (credentials.sessionToken) signed['x-amz-security-token'] = credentials.sessionToken;
    const names = Object.keys(signed).sort();
    const signedHeaders = names.join(';');
    const canonicalRequest = [
      'POST',
      '/',
      '',
      ...names.map((name) => `${name}:${String(signed[name]).trim().replace(/\s+/g, ' ')}`),
      '',
      signedHeaders,
      await sha256Hex([body]),
    ].join('\n');
    const scope = `${day}/${region}/${service}/aws4_request`;
    const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${await sha256Hex([canonicalRequest])}`;
    const signature = hex(await hmacSha256(await signingKey(credentials.secretAccessKey, day), stringToSign));
    // `host` is set by the HTTP client from the URL; sending it again would duplicate it.
    const { host: _, ...send } = signed;
    send.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return send;
  };
}
