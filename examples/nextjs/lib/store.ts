import { MemoryStore } from 'edge-idempotency';

/**
 * One store per server process, created when the route module loads, so every request that
 * process serves sees the same records. Memory is only right for `next dev` / `next start` on
 * one machine: serverless instances do not share memory; use Upstash on Vercel.
 */
export const store = new MemoryStore();
