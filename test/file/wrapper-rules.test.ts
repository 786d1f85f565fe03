import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { FileStore } from '../../src/stores/file/index.ts';
import { describeWrapperRules } from '../conformance/wrapper-rules.ts';

const dir = mkdtempSync(join(tmpdir(), 'edge-idempotency-file-rules-'));
const stores: FileStore[] = [];
afterAll(() => {
  for (const store of stores) store.close();
  rmSync(dir, { recursive: true, force: true });
});

describeWrapperRules('file', () => {
  const store = new FileStore({ path: join(dir, 'rules.sqlite') });
  stores.push(store);
  return store;
});
