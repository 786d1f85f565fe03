/**
 * How hard the property tests search. `npm test` runs a short, fixed-seed pass; set
 * `HARDENING_RUNS` (a multiplier, e.g. 20) for a deeper search and `HARDENING_SEED` to replay a
 * failure fast-check reported. Works in Node and in workerd (no `node:` imports).
 */
const env: Record<string, string | undefined> =
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};

const multiplier = Math.max(1, Number(env.HARDENING_RUNS ?? '1') || 1);

/** fast-check parameters: a fixed seed unless one is given, and `base` runs times the multiplier. */
export function propertyParameters(base: number): { seed: number; numRuns: number } {
  return { seed: Number(env.HARDENING_SEED ?? '20261123'), numRuns: base * multiplier };
}
