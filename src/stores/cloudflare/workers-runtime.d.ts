/**
 * The slice of `cloudflare:workers` that IdempotencyObject uses, for type-checking and building
 * `src/` next to the DOM lib (the globals of `@cloudflare/workers-types` clash with it). A
 * Worker project gets the real declarations from its own `@cloudflare/workers-types` or
 * `wrangler types`; `test/workers/tsconfig.json` checks this code against those.
 */
declare module 'cloudflare:workers' {
  type SqlStorageValue = ArrayBuffer | string | number | null;

  interface SqlStorageCursor<T> {
    toArray(): T[];
    one(): T;
  }

  interface DurableObjectStorage {
    sql: {
      exec<T extends Record<string, SqlStorageValue>>(
        query: string,
        ...bindings: unknown[]
      ): SqlStorageCursor<T>;
    };
    setAlarm(scheduledTime: number | Date): Promise<void>;
    getAlarm(): Promise<number | null>;
    deleteAlarm(): Promise<void>;
    deleteAll(): Promise<void>;
  }

  interface DurableObjectState {
    readonly storage: DurableObjectStorage;
  }

  export abstract class DurableObject<Env = unknown> {
    constructor(ctx: DurableObjectState, env: Env);
    protected ctx: DurableObjectState;
    protected env: Env;
    alarm?(alarmInfo?: { retryCount: number; isRetry: boolean }): void | Promise<void>;
  }
}
