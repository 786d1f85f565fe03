/**
 * Which runtime module a bundler picks for `#dynamodb-runtime` (and `#sha256`), from the
 * package.json `imports` conditions: a Worker's bundle of the DynamoDB store must hold no
 * `node:` import (workerd without nodejs_compat refuses it), a Node bundle gets `node:http`,
 * `node:crypto` and `node:zlib`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const imports: Record<string, Record<string, string>> = JSON.parse(
  readFileSync(`${root}package.json`, 'utf8'),
).imports;

/** Resolve `#name` as a bundler with these conditions would, then to the source file it is built from. */
function packageImports(conditions: string[]): Plugin {
  return {
    name: 'package-imports',
    setup(builder) {
      builder.onResolve({ filter: /^#/ }, ({ path }) => {
        const targets = imports[path];
        if (!targets) return { errors: [{ text: `no "imports" entry for ${path}` }] };
        const condition = Object.keys(targets).find((name) => name !== 'types' && conditions.includes(name));
        const target = targets[condition ?? 'default'] as string;
        return { path: `${root}${target.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts')}` };
      });
    },
  };
}

async function bundle(conditions: string[]): Promise<string> {
  const result = await build({
    entryPoints: [`${root}src/stores/dynamodb/index.ts`],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    conditions,
    // Only the SDK-client path names the SDK, in a lazy import; `node:` imports stay visible.
    external: ['@aws-sdk/*', 'node:*'],
    plugins: [packageImports(conditions)],
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}

describe('#dynamodb-runtime', () => {
  it('gives a Worker (workerd, worker, browser conditions) no node: import', async () => {
    const worker = await bundle(['workerd', 'worker', 'browser']);
    expect(worker).toContain('CompressionStream');
    expect(worker).toContain('crypto.subtle');
    expect(worker).not.toMatch(/["']node:/);
  });

  it('gives Node its http agent, node:crypto and node:zlib', async () => {
    const node = await bundle(['node']);
    for (const module of ['node:http', 'node:https', 'node:crypto', 'node:zlib'])
      expect(node).toContain(`"${module}"`);
    expect(node).not.toContain('CompressionStream');
  });
});
