export { sleep } from '../../sleep.ts';

/**
 * Exponential back-off with full jitter, as the AWS SDKs do it: a random delay up to
 * `baseMs × 2^(attempt - 1)`, capped at 20 s. Random, so clients throttled together do not
 * retry together.
 */
export function backOffMs(attempt: number, baseMs: number): number {
  return Math.random() * Math.min(20_000, baseMs * 2 ** (attempt - 1));
}
