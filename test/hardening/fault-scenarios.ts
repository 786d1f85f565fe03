/**
 * One scenario per store step and fault: a client sends a request while one backend call of
 * that step is hit by the fault, then retries at once, then once more after the lease. What it
 * gets each time, and how often the handler ran, is the row of the fault table (docs/faults.md).
 */

import type { IdempotencyStore } from '../../src/types.ts';
import { withIdempotency } from '../../src/with-idempotency.ts';

/** How a backend call fails: never reaches it, lands but its answer is lost, or answers late. */
export type FaultMode = 'fail-before' | 'drop-answer' | 'slow';

export type Step = 'begin' | 'complete' | 'release' | 'replay read';
export const STEPS: readonly Step[] = ['begin', 'complete', 'release', 'replay read'];
export const MODES: readonly FaultMode[] = ['fail-before', 'drop-answer', 'slow'];

/** The lease of every scenario; a retry after it finds the key free unless a response was stored. */
export const LEASE_MS = 1_500;
/** The store's time budget per backend call (Upstash `timeoutMs`, the DynamoDB SDK's request timeout). */
export const BUDGET_MS = 400;
/** How late a slow call reaches the backend: past the budget, inside the lease. */
export const SLOW_MS = 900;

export interface FaultOutcome {
  /** Status of the request hit by the fault. */
  first: number;
  /** Status of the immediate retry, and of a retry after the lease ran out. */
  retry: number;
  afterLease: number;
  /** Handler runs after the first request, after the retry, and in all. */
  runs: [number, number, number];
  /** Whether the retry after the lease was a replay of a stored response. */
  replayed: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Run the scenario of `step` on `store`. `arm()` turns the fault on for the step's next backend
 * call (called right before the request that makes it), `disarm()` turns it off.
 */
export async function runFaultScenario(
  store: IdempotencyStore,
  step: Step,
  arm: () => void,
  disarm: () => void,
): Promise<FaultOutcome> {
  let runs = 0;
  const serve = withIdempotency(
    async (request: Request) => {
      runs++;
      await request.text();
      // The release scenario: the first run fails with a 5xx, which releases the key.
      return new Response(`run ${runs}`, { status: step === 'release' && runs === 1 ? 500 : 201 });
    },
    { store, leaseSeconds: LEASE_MS / 1000, ttlSeconds: 60 },
  );
  const key = crypto.randomUUID();
  const send = async () => {
    const response = await serve(
      new Request('https://api.example/pay', {
        method: 'POST',
        headers: { 'idempotency-key': key },
        body: 'x',
      }),
    );
    await response.arrayBuffer();
    return response;
  };

  if (step === 'replay read') await send();
  const runsBefore = runs;
  arm();
  const first = await send();
  disarm();
  const afterFirst = runs - runsBefore;
  const retry = await send();
  const afterRetry = runs - runsBefore;
  await sleep(LEASE_MS + 200);
  const later = await send();
  return {
    first: first.status,
    retry: retry.status,
    afterLease: later.status,
    runs: [afterFirst, afterRetry, runs - runsBefore],
    replayed: later.headers.get('idempotent-replayed') === 'true',
  };
}

/** One line of the table: `503 → 409 → 201 (runs 0/0/1)`. */
export const describeOutcome = (o: FaultOutcome) =>
  `${o.first} → ${o.retry} → ${o.afterLease}${o.replayed ? ' replay' : ''} (runs ${o.runs.join('/')})`;

/**
 * Every step under every fault, in order, on one store behind one proxy. `arm(step, mode)` turns
 * the fault on for that step's next backend call. Checks what must hold whatever the store:
 * the handler never runs twice while a lease could still be held (unless a 5xx released it), a write that landed is never
 * lost, and the client never gets a 5xx other than the store's 503 (or the handler's own 500).
 * Answers the table, one line per case.
 */
/** One request, its replay and a 5xx: every script loaded, every connection and JIT warm. */
async function warmUp(store: IdempotencyStore): Promise<void> {
  let status = 201;
  const serve = withIdempotency(async () => new Response('warm', { status }), { store });
  const send = () =>
    serve(
      new Request('https://api.example/warm', {
        method: 'POST',
        headers: { 'idempotency-key': crypto.randomUUID() },
      }),
    );
  const key = crypto.randomUUID();
  for (const _ of [1, 2]) {
    await (
      await serve(
        new Request('https://api.example/warm', { method: 'POST', headers: { 'idempotency-key': key } }),
      )
    ).arrayBuffer();
  }
  status = 500;
  await (await send()).arrayBuffer();
}

export async function runFaultTable(
  store: IdempotencyStore,
  arm: (step: Step, mode: FaultMode) => void,
  disarm: () => void,
): Promise<Record<string, string>> {
  await warmUp(store);
  const table: Record<string, string> = {};
  for (const step of STEPS) {
    for (const mode of MODES) {
      const outcome = await runFaultScenario(store, step, () => arm(step, mode), disarm);
      const name = `${step}: ${mode}`;
      table[name] = describeOutcome(outcome);
      const problems: string[] = [];
      // A 5xx releases the key, so after the release step the retry may run once more.
      if (outcome.runs[1] > (step === 'release' ? 2 : 1)) problems.push('ran too often within the lease');
      if (step === 'replay read' && outcome.runs[2] > 0)
        problems.push('ran again after a response was stored');
      if (step === 'complete' && mode === 'drop-answer' && !outcome.replayed)
        problems.push('lost a stored response');
      for (const status of [outcome.first, outcome.retry, outcome.afterLease]) {
        if (status >= 500 && status !== 503 && !(step === 'release' && status === 500))
          problems.push(`answered ${status}`);
      }
      if (problems.length > 0) table[name] += ` !! ${problems.join(', ')}`;
    }
  }
  return table;
}
