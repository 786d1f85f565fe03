/**
 * Start Node, Deno or Bun (Deno and Bun: the binaries of the `deno` and `bun` devDependencies)
 * on a script, running the TypeScript sources directly. The sources import `#sha256`, which
 * package.json maps into dist/; all three pick its `node` condition, so each is pointed at
 * `src/sha256.node.ts`: Node with a resolve hook, Deno with an import map, Bun with a tsconfig
 * override.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Runtime = 'node' | 'deno' | 'bun';

const root = fileURLToPath(new URL('../..', import.meta.url));
const sha256Source = join(root, 'src', 'sha256.node.ts');

/** A script of `test/runtimes/scripts/`. */
export const runtimeScript = (name: string) => fileURLToPath(new URL(`./scripts/${name}`, import.meta.url));

/** The runtime's binary (Deno and Bun as npm installed them); a missing one fails the test. */
export function runtimeBinary(runtime: Runtime): string {
  if (runtime === 'node') return process.execPath;
  const binary = join(root, 'node_modules', '.bin', runtime);
  if (!existsSync(binary)) {
    throw new Error(`${binary} is missing: \`npm install\` installs the ${runtime} devDependency`);
  }
  return binary;
}

/** Command line for `file` on `runtime`; `dir` holds the resolution file and is writable. */
function commandLine(runtime: Runtime, file: string, args: string[], dir: string): string[] {
  if (runtime === 'node') {
    const hook = fileURLToPath(new URL('./node-resolve-sources.ts', import.meta.url));
    return ['--disable-warning=ExperimentalWarning', '--import', hook, file, ...args];
  }
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

/**
 * Run the script `file` on `runtime` with `args`; `dir` is a scratch directory of the test.
 * With `stdin: 'pipe'`, `process.stdin` of the result takes input.
 */
export function start(
  runtime: Runtime,
  file: string,
  args: string[],
  dir: string,
  stdin: 'ignore' | 'pipe' = 'ignore',
): Started {
  const child = spawn(runtimeBinary(runtime), commandLine(runtime, file, args, dir), {
    cwd: root,
    stdio: [stdin, 'pipe', 'pipe'],
    // No update check or telemetry: tests run offline.
    env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', DO_NOT_TRACK: '1' },
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
    exited.then((code) => reject(new Error(`${runtime} ${file} exited with ${code}:\n${stdout}\n${stderr}`)));
  });
  return { process: child, firstLine, output: () => ({ stdout, stderr }), exited };
}
