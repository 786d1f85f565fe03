/** AWS credentials as the SDK's providers answer them (`fromNodeProviderChain()` fits). */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** When temporary credentials run out; they are asked for again 5 minutes before. */
  expiration?: Date;
}

/** Fixed credentials, or a function answering them (called again near their `expiration`). */
export type AwsCredentialsOption = AwsCredentials | (() => AwsCredentials | Promise<AwsCredentials>);

// The SDK refreshes 5 minutes early too: a request signed just before expiry may still be in flight.
const REFRESH_BEFORE_MS = 5 * 60_000;

/** Read an environment variable where the runtime has `process.env` (not on Workers). */
export function environment(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}

/**
 * Where credentials come from: the option, else the standard environment variables (what
 * Lambda sets, session token included). Answers a function giving the current credentials;
 * a failure is not cached, so the next call asks again.
 */
export function credentialSource(option?: AwsCredentialsOption): () => Promise<AwsCredentials> {
  const provide =
    typeof option === 'function'
      ? option
      : () =>
          option ?? {
            accessKeyId: environment('AWS_ACCESS_KEY_ID') as string,
            secretAccessKey: environment('AWS_SECRET_ACCESS_KEY') as string,
            sessionToken: environment('AWS_SESSION_TOKEN'),
          };
  let current: AwsCredentials | undefined;
  let pending: Promise<AwsCredentials> | undefined;
  const fresh = ({ expiration }: AwsCredentials) =>
    !expiration || expiration.getTime() - REFRESH_BEFORE_MS > Date.now();
  return async () => {
    if (current && fresh(current)) return current;
    pending ??= (async () => {
      try {
        const credentials = await provide();
        if (!(credentials?.accessKeyId && credentials.secretAccessKey)) {
          // The SDK's name for this failure: the store's error mapping says "credentials" for it.
          throw Object.assign(
            new Error(
              'no AWS credentials: pass `credentials` to DynamoDBStore (with accessKeyId and secretAccessKey) or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
            ),
            { name: 'CredentialsProviderError' },
          );
        }
        current = credentials;
        return current;
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };
}
