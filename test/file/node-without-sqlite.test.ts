import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, expect, it } from 'vitest';

// The machine's own Node (the one `npm test` runs the core suite on), not node@22 from npm.
const systemNode = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((dir) => !dir.includes('node_modules'))
  .map((dir) => join(dir, 'node'))
  .find((file) => existsSync(file));

const dir = mkdtempSync(join(tmpdir(), 'edge-idempotency-file-node20-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('on a Node without node:sqlite, importing works and the constructor throws IdempotencyConfigurationError naming the version needed', async () => {
  expect(systemNode, 'a system `node` outside node_modules on PATH').toBeDefined();
  const version = spawnSync(systemNode as string, ['--version'], { encoding: 'utf8' }).stdout.trim();
  // Node 20 cannot run TypeScript: bundle the entry as the package ships it (node: external).
  const entry = join(dir, 'file-store.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('../../src/stores/file/index.ts', import.meta.url))],
    outfile: entry,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    external: ['node:*'],
    logLevel: 'warning',
  });
  const script = `
    const { FileStore } = await import(${JSON.stringify(entry)});
    try {
      new FileStore({ path: ${JSON.stringify(join(dir, 'records.sqlite'))} });
      console.log(JSON.stringify({ constructed: true }));
    } catch (error) {
      console.log(JSON.stringify({ name: error.name, message: error.message }));
    }`;
  const run = spawnSync(systemNode as string, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  const outcome = JSON.parse(run.stdout) as { constructed?: true; name?: string; message?: string };

  const [major = 0, minor = 0] = version.slice(1).split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 13)) {
    expect(outcome, `${version} has node:sqlite`).toEqual({ constructed: true });
  } else {
    expect(outcome.name, version).toBe('IdempotencyConfigurationError');
    expect(outcome.message).toContain(`Node ${version}`);
    expect(outcome.message).toContain('Node 22.13 or later');
  }
});
