/**
 * `idempotent(fn)` on Deno or Bun: prints one JSON line with what the calls answered and how
 * often the function ran. Argument: the store (see store.ts).
 */
import { IdempotencyConflictError, idempotent } from '../../../src/index.ts';
import { runtimeName, scriptArguments } from './runtime.ts';
import { storeFrom } from './store.ts';

const store = storeFrom(scriptArguments()[0] ?? 'memory');
let runs = 0;
async function charge(customer: string, cents: number) {
  runs++;
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { charge: `ch_${runs}`, customer, cents };
}

const chargeOnce = idempotent(charge, { store });
const first = await chargeOnce('cus_1', 500);
const again = await chargeOnce('cus_1', 500);
const other = await chargeOnce('cus_2', 500);
// Ten at once on a new key: one runs, the others wait for its result.
const waiting = idempotent(charge, { store, onDuplicate: 'wait' });
const concurrent = await Promise.all(Array.from({ length: 10 }, () => waiting('cus_3', 700)));
// A duplicate of a running call, by default, is a conflict.
const before = runs;
const running = chargeOnce('cus_4', 100);
while (runs === before) await new Promise((resolve) => setTimeout(resolve, 5));
const duplicate = await chargeOnce('cus_4', 100).then(
  () => 'returned',
  (error: unknown) => (error instanceof IdempotencyConflictError ? `conflict:${error.state}` : String(error)),
);
await running;

console.log(JSON.stringify({ runtime: runtimeName(), runs, first, again, other, concurrent, duplicate }));
// No close(): the stores' sweep timers must not keep the process alive (the test waits for exit).
