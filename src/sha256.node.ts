/// <reference types="node" />
import * as nodeCrypto from 'node:crypto';

// One-shot `crypto.hash` (Node 20.12+) skips the Hash object; older Node 20s use createHash.
const oneShot = (
  nodeCrypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: 'hex') => string }
).hash;

/** SHA-256 with `node:crypto`; same contract as `sha256.ts`, several times faster on Node. */
export async function sha256Hex(chunks: ReadonlyArray<string | Uint8Array>): Promise<string> {
  if (oneShot && chunks.length === 1) return oneShot('sha256', chunks[0] as string | Uint8Array, 'hex');
  const hash = nodeCrypto.createHash('sha256');
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest('hex');
}
