/**
 * The wrapper over a real store, against a model of what each request must get: random
 * schedules of duplicate requests (sent one at a time or several at once, with the same or a
 * changed body) whose handler answers 201, 404, 500 or throws. The handler must run at most
 * once per key while a record holds it, exactly once when a group of duplicates meets a free
 * key, and never again once a response is stored. Runs in Node and in workerd.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { IdempotencyStore } from '../../src/types.ts';
import { withIdempotency } from '../../src/with-idempotency.ts';
import { propertyParameters } from './runs.ts';

type Outcome = 'created' | 'not-found' | 'server-error' | 'throws';

interface Send {
  key: number;
  body: number;
  copies: number;
  outcome: Outcome;
}

const send: fc.Arbitrary<Send> = fc.record(
  {
    key: fc.nat({ max: 1 }),
    body: fc.nat({ max: 1 }),
    copies: fc.integer({ min: 1, max: 3 }),
    outcome: fc.constantFrom<Outcome>('created', 'not-found', 'server-error', 'throws'),
  },
  { noNullPrototype: true },
);

const STATUS: Record<Exclude<Outcome, 'throws'>, number> = {
  created: 201,
  'not-found': 404,
  'server-error': 500,
};

type KeyModel = { status: number; body: string; sentBody: number } | undefined;

/** Most time a running handler waits for its duplicates to be answered. */
const GATE_MS = 2_000;

/**
 * Send random schedules of requests through `withIdempotency` over `makeStore()` and check
 * every answer and the handler's run count against the model. Call it inside a test.
 */
export async function checkWrapperAgainstModel(
  makeStore: () => IdempotencyStore | Promise<IdempotencyStore>,
  options: { runs?: number } = {},
): Promise<void> {
  const store = await makeStore();
  await fc.assert(
    fc.asyncProperty(fc.array(send, { minLength: 1, maxLength: 8 }), async (sends) => {
      const run = crypto.randomUUID();
      const model: KeyModel[] = [undefined, undefined];
      let runs = 0;
      let gate: { settled: number; copies: number; wake: () => void } = {
        settled: 0,
        copies: 0,
        wake: () => {},
      };

      const handler = async (request: Request, outcome: Outcome): Promise<Response> => {
        runs++;
        await request.arrayBuffer();
        // Hold the key until every duplicate of this group was answered, so a second run
        // (a broken lock) shows up as two runs rather than hiding behind timing.
        if (gate.settled < gate.copies - 1) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, GATE_MS);
            gate.wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
        if (outcome === 'throws') throw new Error('handler failed');
        return new Response(`run ${runs}`, { status: STATUS[outcome] });
      };

      for (const step of sends) {
        const serve = withIdempotency((request: Request) => handler(request, step.outcome), {
          store,
          leaseSeconds: 30,
          ttlSeconds: 60,
        });
        const request = () =>
          new Request('https://api.example/pay', {
            method: 'POST',
            headers: { 'idempotency-key': `${run}-${step.key}`, 'content-type': 'text/plain' },
            body: `amount=${step.body}`,
          });
        gate = { settled: 0, copies: step.copies, wake: () => {} };
        const runsBefore = runs;
        const answers = await Promise.allSettled(
          Array.from({ length: step.copies }, async () => {
            try {
              const response = await serve(request());
              return { status: response.status, body: await response.text(), headers: response.headers };
            } finally {
              gate.settled++;
              if (gate.settled >= gate.copies - 1) gate.wake();
            }
          }),
        );

        const before = model[step.key];
        if (before) {
          expect(runs, 'the handler ran for a key whose response is stored').toBe(runsBefore);
          for (const answer of answers) {
            expect(answer.status).toBe('fulfilled');
            if (answer.status !== 'fulfilled') continue;
            if (step.body === before.sentBody) {
              expect(answer.value.status).toBe(before.status);
              expect(answer.value.body).toBe(before.body);
              expect(answer.value.headers.get('idempotent-replayed')).toBe('true');
            } else {
              expect(answer.value.status).toBe(422);
            }
          }
          continue;
        }

        expect(runs - runsBefore, 'duplicates that met a free key ran the handler').toBe(1);
        const others = answers.filter(
          (answer) => answer.status === 'fulfilled' && answer.value.status === 409,
        ).length;
        expect(others, 'every duplicate of the running request got 409').toBe(step.copies - 1);
        const first = answers.find(
          (answer) => !(answer.status === 'fulfilled' && answer.value.status === 409),
        );
        if (step.outcome === 'throws') {
          expect(first?.status).toBe('rejected');
        } else if (first?.status === 'fulfilled') {
          expect(first.value.status).toBe(STATUS[step.outcome]);
          expect(first.value.headers.get('idempotent-replayed')).toBeNull();
          if (step.outcome !== 'server-error') {
            model[step.key] = { status: first.value.status, body: first.value.body, sentBody: step.body };
          }
        } else {
          expect.fail(`the running request failed: ${String(first?.reason)}`);
        }
      }
    }),
    propertyParameters(options.runs ?? 8),
  );
}

/**
 * A handler that outlives its lease: a duplicate within the lease gets 409, one after it runs
 * again (once per lease), the stale run's response is not stored over the newer one, and later
 * duplicates replay the newer run. Call it inside a test.
 */
export async function checkWrapperLeaseExpiry(
  makeStore: () => IdempotencyStore | Promise<IdempotencyStore>,
): Promise<void> {
  const store = await makeStore();
  const leaseMs = 300;
  let runs = 0;
  let finishFirst = () => {};
  const firstHeld = new Promise<void>((resolve) => {
    finishFirst = resolve;
  });
  const events: string[] = [];
  const serve = withIdempotency(
    async () => {
      const run = ++runs;
      if (run === 1) await firstHeld;
      return new Response(`run ${run}`, { status: 201 });
    },
    { store, leaseSeconds: leaseMs / 1000, ttlSeconds: 60, onEvent: (event) => events.push(event.type) },
  );
  const key = crypto.randomUUID();
  const send = () =>
    serve(
      new Request('https://api.example/pay', {
        method: 'POST',
        headers: { 'idempotency-key': key },
        body: 'x',
      }),
    );

  const first = send();
  while (runs === 0) await sleep(5); // the first run holds the key
  expect((await send()).status, 'a duplicate within the lease').toBe(409);
  await sleep(leaseMs + 150);
  const second = await send();
  expect(await second.text(), 'a duplicate after the lease runs again').toBe('run 2');
  finishFirst();
  expect(await (await first).text(), 'the stale run still answers its own client').toBe('run 1');
  expect(events).toContain('lease_lost');
  const replay = await send();
  expect(replay.headers.get('idempotent-replayed')).toBe('true');
  expect(await replay.text(), 'the newer run is what is stored').toBe('run 2');
  expect(runs).toBe(2);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
