export { type UpstashRedis, UpstashStore, type UpstashStoreOptions } from './upstash-store.ts';
