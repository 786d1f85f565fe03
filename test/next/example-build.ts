import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));
export const exampleDir = join(repositoryRoot, 'examples', 'nextjs');
const stampFile = join(exampleDir, '.next', 'edge-idempotency-source-hash');

/** What went into the example's build: the library it bundles from dist/ and the app itself. */
const buildInputs = [
  'src',
  'adapters',
  'examples/nextjs',
  'package.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'scripts/build.ts',
  'node_modules/next/package.json',
];
const generated = new Set(['.next', 'node_modules', 'next-env.d.ts']);

/**
 * Environment for `next` child processes: no test-runner NODE_ENV, no telemetry, and no
 * Upstash credentials unless `extra` brings them.
 */
export function nextEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };
  // Vitest sets NODE_ENV=test, which `next build` warns about and which changes its output.
  delete env.NODE_ENV;
  // The example switches to Upstash when these are set: only where a test says so.
  for (const name of [
    'UPSTASH_REDIS_REST_URL',
    'UPSTASH_REDIS_REST_TOKEN',
    'KV_REST_API_URL',
    'KV_REST_API_TOKEN',
  ]) {
    delete env[name];
  }
  return { ...env, ...extra };
}

export interface ExampleBuild {
  /** False when the previous build's inputs were unchanged and its output was reused. */
  built: boolean;
  /** Milliseconds spent in `npm run build` plus `next build` (0 when reused). */
  buildMs: number;
}

/**
 * Build the library's dist/ and then the example with a real `next build`, unless the last
 * build used exactly the same sources (a hash of them is kept inside `.next`).
 */
export async function buildExampleIfChanged(): Promise<ExampleBuild> {
  const hash = hashBuildInputs();
  const buildId = join(exampleDir, '.next', 'BUILD_ID');
  if (existsSync(buildId) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === hash) {
    return { built: false, buildMs: 0 };
  }
  const startedAt = performance.now();
  await run('npm run build (scripts/build.ts)', [join(repositoryRoot, 'scripts', 'build.ts')]);
  await run('next build', [join(repositoryRoot, 'node_modules', 'next', 'dist', 'bin', 'next'), 'build'], {
    cwd: exampleDir,
  });
  writeFileSync(stampFile, hash);
  return { built: true, buildMs: performance.now() - startedAt };
}

function hashBuildInputs(): string {
  const hash = createHash('sha256');
  for (const file of buildInputs.flatMap((input) => listFiles(join(repositoryRoot, input))).sort()) {
    hash.update(relative(repositoryRoot, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

function listFiles(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .filter((entry) => !generated.has(entry.name) && !entry.name.endsWith('.tsbuildinfo'))
    .flatMap((entry) => listFiles(join(path, entry.name)));
}

/** Run a Node script to completion; reject with the tail of its output when it fails. */
function run(what: string, args: string[], options: { cwd?: string } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: options.cwd ?? repositoryRoot,
      env: nextEnvironment(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${what} failed (${signal ?? `exit code ${code}`}):\n${output.slice(-4000)}`));
    });
  });
}
