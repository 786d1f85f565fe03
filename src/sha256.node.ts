/// <reference types="node" />
import { createHash } from 'node:crypto';

/** SHA-256 with `node:crypto`; same contract as `sha256.ts`, several times faster on Node. */
export async function sha256(chunks: readonly Uint8Array[]): Promise<Uint8Array> {
  const hash = createHash('sha256');
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest();
}
