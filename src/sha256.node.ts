/// <reference types="node" />
import { createHash } from 'node:crypto';

/** SHA-256 with `node:crypto`; same contract as `sha256.ts`, several times faster on Node. */
export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return createHash('sha256').update(data).digest();
}
