/**
 * `npm test` runs on the Node 22 that the `node@22` devDependency puts first on PATH. The
 * library promises Node 20+, so this runs the core suite again on the machine's own `node`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const systemNode = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((dir) => !dir.includes('node_modules'))
  .map((dir) => join(dir, 'node'))
  .find((file) => existsSync(file));

if (!systemNode) {
  console.error('No system `node` outside node_modules on PATH: cannot run the core suite on it.');
  process.exit(1);
}

const version = spawnSync(systemNode, ['--version'], { encoding: 'utf8' }).stdout.trim();
console.log(`core suite on the system Node ${version} (${systemNode})`);
const run = spawnSync(systemNode, ['node_modules/vitest/vitest.mjs', 'run', '--project', 'core'], {
  stdio: 'inherit',
});
process.exit(run.status ?? 1);
