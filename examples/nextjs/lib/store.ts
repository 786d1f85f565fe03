import { Redis } from '@upstash/redis';
import { type IdempotencyStore, MemoryStore } from 'edge-idempotency';
import { UpstashStore } from 'edge-idempotency/upstash';

/**
 * Upstash over REST when its credentials are set (what a Vercel deployment uses: every
 * instance and region sees the same records), else memory for local development.
 *
 * The store is created once per server process, when the route module loads, so all requests
 * that process serves share it. Memory is only right for `next dev` / `next start` on one
 * machine: serverless instances do not share memory, so each would run the handler again.
 */
export const store: IdempotencyStore = hasUpstashCredentials()
  ? new UpstashStore({ redis: Redis.fromEnv() })
  : new MemoryStore();

/** The variables `Redis.fromEnv()` reads: Upstash's own names, or those Vercel's integration sets. */
function hasUpstashCredentials(): boolean {
  const { env } = process;
  return Boolean(
    (env.UPSTASH_REDIS_REST_URL || env.KV_REST_API_URL) &&
      (env.UPSTASH_REDIS_REST_TOKEN || env.KV_REST_API_TOKEN),
  );
}
