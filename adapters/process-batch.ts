import { IdempotencyConfigurationError } from '../src/errors.ts';

/** How one item of a batch ended. */
export type ItemOutcome = { ok: true } | { ok: false; error: unknown; skipped: boolean };

/** Options of {@link processBatch}. */
export interface ProcessBatchOptions<T> {
  /** Most items running at once. */
  concurrency: number;
  /**
   * Items of one group run in order, one after another; after one fails, the rest of its group
   * is not run and counts as failed (`skipped`). `undefined`: the item is a group of its own.
   */
  groupOf?: (item: T) => string | undefined;
  run: (item: T) => Promise<void>;
}

/** Default of every queue consumer's `concurrency` option. */
export const DEFAULT_CONCURRENCY = 10;

/** The `concurrency` option, checked: a whole number of 1 or more. */
export function checkConcurrency(concurrency: number | undefined): number {
  const value = concurrency ?? DEFAULT_CONCURRENCY;
  if (!(Number.isInteger(value) && value >= 1)) {
    throw new IdempotencyConfigurationError(`concurrency must be a whole number of 1 or more, got ${value}`);
  }
  return value;
}

/**
 * Run every item of a queue batch, at most `concurrency` at once, groups in order. Never
 * rejects: each item's outcome is in the answer, at its index.
 */
export async function processBatch<T>(
  items: readonly T[],
  { concurrency, groupOf, run }: ProcessBatchOptions<T>,
): Promise<ItemOutcome[]> {
  const lanes: number[][] = [];
  const laneOfGroup = new Map<string, number[]>();
  items.forEach((item, index) => {
    const group = groupOf?.(item);
    let lane = group === undefined ? undefined : laneOfGroup.get(group);
    if (!lane) {
      lane = [];
      lanes.push(lane);
      if (group !== undefined) laneOfGroup.set(group, lane);
    }
    lane.push(index);
  });

  const outcomes: ItemOutcome[] = new Array(items.length);
  let nextLane = 0;
  const worker = async () => {
    while (nextLane < lanes.length) {
      const lane = lanes[nextLane++] as number[];
      let failure: { error: unknown } | undefined;
      for (const index of lane) {
        if (failure) {
          outcomes[index] = { ok: false, error: failure.error, skipped: true };
          continue;
        }
        try {
          await run(items[index] as T);
          outcomes[index] = { ok: true };
        } catch (error) {
          failure = { error };
          outcomes[index] = { ok: false, error, skipped: false };
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, lanes.length) }, worker));
  return outcomes;
}
