import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from '../helpers/free-port.ts';

/** A throw-away `redis-server` on a random loopback port, with no persistence at all. */
export interface RedisServer {
  readonly port: number;
  /** Kill it (as a crash would) and start a fresh, empty one on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const INSTALL_HINT =
  'redis-server is needed by the Upstash tests: install it with `apt-get install -y redis-server`';

/** Start one; `binary` is the command to run (default `redis-server` from the PATH). */
export async function startRedisServer({ binary = 'redis-server' } = {}): Promise<RedisServer> {
  let lastError: unknown;
  // A free port can be taken by someone else between probing and binding: try a few.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      let child = await spawnRedis(binary, port);
      return {
        port,
        async restart() {
          await kill(child, 'SIGKILL');
          child = await spawnRedis(binary, port);
        },
        stop: () => kill(child, 'SIGTERM'),
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(INSTALL_HINT, { cause: error });
      lastError = error;
    }
  }
  throw new Error('could not start redis-server on a free port', { cause: lastError });
}

function spawnRedis(binary: string, port: number): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`redis-server exited with ${code} before it was ready:\n${output}`)),
    );
  });
}

function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
