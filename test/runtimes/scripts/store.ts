import { type IdempotencyStore, MemoryStore } from '../../../src/index.ts';
import { FileStore } from '../../../src/stores/file/index.ts';

/** `memory`, or `file:<path>` for a FileStore on that SQLite file. */
export function storeFrom(spec: string): IdempotencyStore {
  if (spec === 'memory') return new MemoryStore();
  if (spec.startsWith('file:')) return new FileStore({ path: spec.slice('file:'.length) });
  throw new Error(`unknown store ${spec}`);
}
