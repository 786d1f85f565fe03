import type { DynamoDBTransport, Operation } from './transport.ts';

/**
 * The client the store sends its commands through: a `DynamoDBClient`, or a
 * `DynamoDBDocumentClient` (it shares its base client's stack; the store always sends the
 * low-level commands, so the document client's marshalling options do not matter).
 */
export interface DynamoDBClientLike {
  // biome-ignore lint/suspicious/noExplicitAny: both SDK clients' overloaded `send` must fit.
  send(command: any, options?: any): Promise<any>;
}

type Commands = Record<`${Operation}Command`, new (input: unknown) => unknown>;

/**
 * Commands sent through the user's SDK client, so its middleware (X-Ray, OpenTelemetry, its
 * retries and credentials) runs. The SDK is imported here only, lazily: a store built without
 * a client never loads it. The `catch` keeps bundlers from failing a build that lacks the SDK
 * (esbuild leaves such an import unresolved instead of reporting an error).
 */
export function sdkTransport(client: DynamoDBClientLike): DynamoDBTransport {
  let commands: Promise<Commands> | undefined;
  const load = () =>
    import('@aws-sdk/client-dynamodb').catch((error: unknown) => {
      commands = undefined;
      throw error;
    }) as Promise<unknown> as Promise<Commands>;
  return {
    async send(operation, input) {
      commands ??= load();
      const Command = (await commands)[`${operation}Command`];
      return client.send(new Command(input));
    },
  };
}
