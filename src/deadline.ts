const deadlines = new WeakMap<Request, number>();

/**
 * Tell the wrapper when the invocation serving `request` will be killed (epoch milliseconds).
 * Runtime adapters that know it (Lambda's remaining time) call this on the Request they build,
 * so a lease never outlives its invocation and a timed-out run frees its key.
 */
export function setRequestDeadline(request: Request, epochMs: number): void {
  if (isDeadline(epochMs)) deadlines.set(request, epochMs);
}

/**
 * Whether a deadline can cap a lease. One that is not a number (a mocked context answering
 * undefined) would make the lease NaN: the configured lease is kept instead.
 */
export function isDeadline(epochMs: unknown): epochMs is number {
  return typeof epochMs === 'number' && !Number.isNaN(epochMs);
}

/** The deadline set by {@link setRequestDeadline}, if any. */
export function requestDeadline(request: Request): number | undefined {
  return deadlines.get(request);
}
