import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { freePort } from '../helpers/free-port.ts';
import { exampleDir, nextEnvironment, repositoryRoot } from './example-build.ts';

export interface NextServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  stop(): Promise<void>;
}

/**
 * `next start` of the built example on a free loopback port; resolves once it answers HTTP.
 * `env` is added to its environment (e.g. Upstash credentials).
 */
export async function startNextServer(env: Record<string, string> = {}): Promise<NextServer> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      join(repositoryRoot, 'node_modules', 'next', 'dist', 'bin', 'next'),
      'start',
      '-p',
      String(port),
      '-H',
      '127.0.0.1',
    ],
    // Its own process group, so stop() also ends any worker it forks.
    { cwd: exampleDir, env: nextEnvironment(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const server = { url: `http://127.0.0.1:${port}`, stop: () => stopProcessGroup(child) };
  try {
    await waitUntilServing(server.url, child);
  } catch (error) {
    await server.stop();
    throw new Error(`next start did not come up: ${(error as Error).message}\n${output.slice(-4000)}`);
  }
  return server;
}

async function waitUntilServing(url: string, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`it exited (${child.signalCode ?? `exit code ${child.exitCode}`})`);
    }
    try {
      // Any HTTP answer (a 405 for GET on a POST-only route) means the server is up.
      await fetch(`${url}/api/orders`, { signal: AbortSignal.timeout(2000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error('no HTTP answer after 300 attempts');
}

async function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  signalGroup(child.pid, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(child.pid as number, 'SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    // ESRCH: the group is already gone.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
