import { Redis, type RedisConfigNodejs } from '@upstash/redis';
import { type RedisServer, startRedisServer } from './redis-server.ts';
import { startUpstashRestServer, type UpstashRestServer } from './rest-server.ts';

/**
 * A real `redis-server` behind the Upstash-compatible REST server, both on random loopback
 * ports. Used by the Upstash tests and by the bench (`rest.requests` counts HTTP requests).
 */
/**
 * A store time budget no loaded CI machine reaches, for tests whose subject is not the budget
 * (a busy two-core runner can take longer than the 2 s default to answer 200 requests).
 */
export const RELAXED_TIMEOUT_MS = 30_000;

export interface UpstashBackend {
  readonly redisServer: RedisServer;
  readonly rest: UpstashRestServer;
  /** An `@upstash/redis` client for this backend; `config` overrides the client's defaults. */
  client(config?: Partial<RedisConfigNodejs>): Redis;
  stop(): Promise<void>;
}

export async function startUpstashBackend(): Promise<UpstashBackend> {
  const redisServer = await startRedisServer();
  let rest: UpstashRestServer;
  try {
    rest = await startUpstashRestServer({ redisPort: redisServer.port });
  } catch (error) {
    await redisServer.stop();
    throw error;
  }
  return {
    redisServer,
    rest,
    client: (config) => new Redis({ url: rest.url, token: rest.token, enableTelemetry: false, ...config }),
    async stop() {
      await rest.close();
      await redisServer.stop();
    },
  };
}
