/** A row of an overhead table: which case, for which body size. */
interface CaseRow {
  case: string;
  body: string;
}

/**
 * Each body size and step (new, replay) with our row and the floor's, in table order: what the
 * Node and workerd overhead sections compare against their targets.
 */
export function oursAgainstFloor<R extends CaseRow>(
  rows: readonly R[],
): Array<{ body: string; step: string; ours: R; floor: R }> {
  const pairs: Array<{ body: string; step: string; ours: R; floor: R }> = [];
  for (const body of new Set(rows.map((r) => r.body))) {
    for (const step of ['new', 'replay']) {
      const ours = rows.find((r) => r.body === body && r.case === `withIdempotency ${step}`);
      const floor = rows.find((r) => r.body === body && r.case === `floor ${step}`);
      if (ours && floor) pairs.push({ body, step, ours, floor });
    }
  }
  return pairs;
}
