import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { sha256Hex as nodeSha256 } from '../../src/sha256.node.ts';
import { sha256Hex as webSha256 } from '../../src/sha256.ts';

// A Worker (Web Crypto) and a Node service (node:crypto) sharing one store must derive the same
// storage keys and fingerprints, so both implementations must agree on every input.
it('hashes the same chunks to the same digest with Web Crypto and node:crypto', async () => {
  const inputs: Array<Array<string | Uint8Array>> = [
    [],
    [''],
    ['abc'],
    ['caf\u00e9 \u2713 \u{1f600}', '\u0000\u007f'],
    [new Uint8Array(0)],
    ['head', Uint8Array.from({ length: 300 }, (_, i) => i % 256), 'tail'],
    [crypto.getRandomValues(new Uint8Array(4096))],
  ];
  for (const chunks of inputs) {
    const expected = createHash('sha256');
    for (const chunk of chunks) expected.update(chunk);
    const hex = expected.digest('hex');
    expect(await nodeSha256(chunks)).toBe(hex);
    expect(await webSha256(chunks)).toBe(hex);
  }
});
