/**
 * Start Deno or Bun (the binaries of the `deno` and `bun` devDependencies) on a script of
 * `scripts/`, running the TypeScript sources directly. The sources import `#sha256`, which
 * package.json maps into dist/; both runtimes pick its `node` condition, so each is pointed at
 * `src/sha256.node.ts`: Deno with an import map, Bun with a tsconfig override.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Runtime = 'deno' | 'bun';

const root = fileURLToPath(new URL('../..', import.meta.url));
const sha256Source = join(root, 'src', 'sha256.node.ts');

/** The runtime's binary as npm installed it; a missing one fails the test that asks for it. */
export function runtimeBinary(runtime: Runtime): string {
  const binary = join(root, 'node_modules', '.bin', runtime);
  if (!existsSync(binary)) {
    throw new Error(`${binary} is missing: \`npm install\` installs the ${runtime} devDependency`);
  }
  return binary;
}

/** Command line for `script` on `runtime`; `dir` holds the resolution file and is writable. */
function commandLine(runtime: Runtime, script: string, args: string[], dir: string): string[] {
  const file = fileURLToPath(new URL(`./scripts/${script}`, import.meta.url));
  if (runtime === 'deno') {
    const importMap = join(dir, 'import-map.json');
    writeFileSync(importMap, JSON.stringify({ imports: { '#sha256': `file://${sha256Source}` } }));
    return [
      'run',
      '--no-lock',
      '--no-prompt',
      `--import-map=${importMap}`,
      '--allow-net=127.0.0.1',
      `--allow-read=${root},${dir}`,
      `--allow-write=${dir}`,
      file,
      ...args,
    ];
  }
  const tsconfig = join(dir, 'tsconfig.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: join(root, 'tsconfig.json'),
      compilerOptions: { paths: { '#sha256': [sha256Source] } },
    }),
  );
  return [`--tsconfig-override=${tsconfig}`, file, ...args];
}

export interface Started {
  process: ChildProcess;
  /** The first line the script printed. */
  firstLine: Promise<string>;
  /** Everything printed so far. */
  output: () => { stdout: string; stderr: string };
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** Run `script` on `runtime` with `args`; `dir` is a scratch directory of the test. */
export function start(runtime: Runtime, script: string, args: string[], dir: string): Started {
  const child = spawn(runtimeBinary(runtime), commandLine(runtime, script, args, dir), {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline >= 0) resolve(stdout.slice(0, newline));
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    exited.then((code) =>
      reject(new Error(`${runtime} ${script} exited with ${code}:\n${stdout}\n${stderr}`)),
    );
  });
  return { process: child, firstLine, output: () => ({ stdout, stderr }), exited };
}
