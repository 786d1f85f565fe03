export { type HonoIdempotencyOptions, idempotency } from './idempotency.ts';
