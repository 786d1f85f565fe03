import { expect, it } from 'vitest';
import { idempotencyRecords, MemoryStore, withIdempotency } from '../../src/index.ts';

it('finds and clears records by the same (scope, key) the wrapper used', async () => {
  const store = new MemoryStore();
  let runs = 0;
  const handler = withIdempotency(async (_request: Request) => new Response(`run ${++runs}`), {
    store,
    prefix: 'api:',
  });
  const post = (key: string, authorization?: string) =>
    new Request('https://x.test/', {
      method: 'POST',
      body: 'b',
      headers: { 'idempotency-key': key, ...(authorization ? { authorization } : {}) },
    });
  await handler(post('k1', 'Bearer a'));
  await handler(post('k2'));

  const records = idempotencyRecords({ store, prefix: 'api:' });
  expect((await records.get({ key: 'k1', scope: 'Bearer a' }))?.state).toBe('completed');
  expect(await records.get({ key: 'k1' })).toBeNull();
  expect((await records.get({ key: '"k2"' }))?.state).toBe('completed');
  expect((await records.getMany([{ key: 'k2' }, { key: 'nope' }])).map((r) => r?.state ?? null)).toEqual([
    'completed',
    null,
  ]);

  expect(await records.delete({ key: 'k1', scope: 'Bearer a' })).toBe(true);
  expect(await (await handler(post('k1', 'Bearer a'))).text()).toBe('run 3');
  expect(await records.deleteMany([{ key: 'k1', scope: 'Bearer a' }, { key: 'k2' }])).toBe(2);
  expect(store.size).toBe(0);
});
