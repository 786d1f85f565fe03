/**
 * Every FileStore operation once, on whichever runtime runs this script, printed as one JSON
 * line: the test expects the same line from Node (where the conformance suite runs), Deno and
 * Bun, whose `node:sqlite` are separate implementations over different SQLite builds.
 * Argument: a path for a new SQLite file.
 */
import type { IdempotencyRecord } from '../../../src/index.ts';
import { FileStore } from '../../../src/stores/file/index.ts';
import { runtimeName, scriptArguments } from './runtime.ts';

const store = new FileStore({ path: scriptArguments()[0] ?? '' });
const fingerprint = 'f'.repeat(64);
const hex = (bytes: Uint8Array | null | undefined) =>
  bytes ? Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('') : String(bytes);
const shape = (record: IdempotencyRecord | null) =>
  record && {
    state: record.state,
    fingerprint: record.fingerprint === fingerprint,
    expiresAt: typeof record.expiresAt,
    status: record.response?.status,
    headers: record.response?.headers,
    body: record.response ? hex(record.response.body) : undefined,
  };
const begin = async (key: string, token: string, leaseMs = 60_000) => {
  const result = await store.begin({ key, fingerprint, token, leaseMs });
  return result.acquired ? 'acquired' : result.record.state;
};

const steps: Record<string, unknown> = { runtime: runtimeName() };
steps.takeA = await begin('a', 'ta');
steps.otherOnA = await begin('a', 'other');
steps.ownTokenOnA = await begin('a', 'ta');
steps.completeA = await store.complete({
  key: 'a',
  token: 'ta',
  response: {
    status: 201,
    headers: [
      ['set-cookie', 'x=1'],
      ['set-cookie', 'y=2'],
      ['x-text', 'caf\u00e9'],
    ],
    body: Uint8Array.of(0, 255, 0xef, 0xbb, 0xbf, 10),
  },
  ttlMs: 60_000,
});
steps.getA = shape(await store.get('a'));
steps.replayA = await begin('a', 'late');
steps.releaseCompletedA = await store.release('a', 'ta');

steps.takeB = await begin('b', 'tb');
steps.releaseBWrongToken = await store.release('b', 'nope');
steps.releaseB = await store.release('b', 'tb');
steps.getB = shape(await store.get('b'));

steps.takeC = await begin('c', 'tc', 1);
await new Promise((resolve) => setTimeout(resolve, 20));
steps.getExpiredC = shape(await store.get('c'));
steps.completeExpiredC = await store.complete({
  key: 'c',
  token: 'tc',
  response: { status: 200, headers: [], body: null },
  ttlMs: 60_000,
});
steps.retakeC = await begin('c', 'tc2');

steps.getMany = (await store.getMany(['a', 'missing', 'c'])).map((r) => r?.state ?? null);
steps.deleteA = await store.delete('a');
steps.deleteAAgain = await store.delete('a');
steps.deleteMany = await store.deleteMany(['a', 'c', 'missing']);
store.sweep();
store.close();
steps.afterClose = await store.get('a').then(
  () => 'answered',
  (error: Error) => error.name,
);
console.log(JSON.stringify(steps));
