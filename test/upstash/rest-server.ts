import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import IORedis from 'ioredis';

/**
 * A small server speaking the documented Upstash REST protocol, forwarding every command to a
 * real `redis-server`: `POST /` with a JSON array command, `POST /pipeline` and
 * `POST /multi-exec` with an array of them; `Authorization: Bearer <token>` checked (401);
 * `Upstash-Encoding: base64` honoured; Redis errors as `{"error"}` with status 400 (per command,
 * status 200, in a pipeline), so `NOSCRIPT` reaches the client and its `EVAL` fallback runs;
 * a request body over `maxRequestBytes` (default 10,000,000, Upstash's limit for Free and
 * Pay-as-you-go databases) refused whole with Upstash's `ERR max request size exceeded`, status
 * 400 like any error of a whole request, and nothing forwarded.
 */
export interface UpstashRestServer {
  /** `http://127.0.0.1:<port>`, for `new Redis({ url, token })`. */
  readonly url: string;
  readonly token: string;
  /** HTTP requests received so far, refused ones included. */
  readonly requests: number;
  /** Every Redis command forwarded so far, lower-cased name first (for assertions). */
  readonly commands: ReadonlyArray<readonly string[]>;
  /** Faults to inject into the next requests; reset with `{}`. */
  fault: { status?: number; delayMs?: number };
  /** Largest request body accepted, in bytes; can be changed between requests. */
  maxRequestBytes: number;
  close(): Promise<void>;
}

type Command = Array<string | number | boolean>;
type Encode = (reply: unknown) => unknown;

export async function startUpstashRestServer(options: {
  redisPort: number;
  token?: string;
  maxRequestBytes?: number;
}): Promise<UpstashRestServer> {
  const token = options.token ?? 'test-token';
  // No offline queue limits: during a Redis restart, commands wait for the reconnect.
  const redis = new IORedis({ host: '127.0.0.1', port: options.redisPort, lazyConnect: true });
  await redis.connect();
  // Refused connections while the tests restart Redis are expected; ioredis reconnects.
  redis.on('error', () => {});
  const commands: string[][] = [];
  let requests = 0;
  const state: { fault: UpstashRestServer['fault']; maxRequestBytes: number } = {
    fault: {},
    maxRequestBytes: options.maxRequestBytes ?? 10_000_000,
  };

  const run = (command: Command) => {
    const [name, ...args] = command.map(String);
    commands.push([String(name).toLowerCase(), ...args]);
    return redis.callBuffer(String(name), ...args);
  };

  async function handle(request: IncomingMessage, response: ServerResponse) {
    requests++;
    const { status: faultStatus, delayMs } = state.fault;
    if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (faultStatus) return send(response, faultStatus, { error: `injected fault: HTTP ${faultStatus}` });
    if (request.method !== 'POST') return send(response, 405, { error: 'only POST is supported' });
    if (request.headers.authorization !== `Bearer ${token}`)
      return send(response, 401, { error: 'Unauthorized' });

    const encode: Encode = request.headers['upstash-encoding'] === 'base64' ? base64Reply : textReply;
    const bytes = await readBody(request);
    if (bytes.byteLength > state.maxRequestBytes) {
      return send(response, 400, { error: 'ERR max request size exceeded' });
    }
    let body: unknown;
    try {
      body = JSON.parse(bytes.toString('utf8'));
    } catch {
      return send(response, 400, { error: 'ERR failed to parse the request body as JSON' });
    }

    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === '/') {
      if (!isCommand(body)) return send(response, 400, { error: 'ERR the body must be a command array' });
      try {
        return send(response, 200, { result: encode(await run(body)) });
      } catch (error) {
        return send(response, 400, { error: messageOf(error) });
      }
    }
    if (path !== '/pipeline' && path !== '/multi-exec')
      return send(response, 404, { error: `unknown path ${path}` });
    if (!Array.isArray(body) || body.length === 0 || !body.every(isCommand)) {
      return send(response, 400, { error: 'ERR the body must be an array of command arrays' });
    }
    if (path === '/pipeline') {
      const results = await Promise.all(
        body.map((command) =>
          run(command).then(
            (reply) => ({ result: encode(reply) }),
            (error: unknown) => ({ error: messageOf(error) }),
          ),
        ),
      );
      return send(response, 200, results);
    }
    try {
      const transaction = redis.multi();
      for (const command of body) {
        const [name, ...args] = command.map(String);
        commands.push([String(name).toLowerCase(), ...args]);
        transaction.callBuffer(String(name), ...args);
      }
      const replies = (await transaction.exec()) ?? [];
      return send(
        response,
        200,
        replies.map(([error, reply]) => (error ? { error: messageOf(error) } : { result: encode(reply) })),
      );
    } catch (error) {
      return send(response, 400, { error: messageOf(error) });
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => send(response, 500, { error: messageOf(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    get requests() {
      return requests;
    },
    commands,
    get fault() {
      return state.fault;
    },
    set fault(fault) {
      state.fault = fault;
    },
    get maxRequestBytes() {
      return state.maxRequestBytes;
    },
    set maxRequestBytes(bytes) {
      state.maxRequestBytes = bytes;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      redis.disconnect();
    },
  };
}

function isCommand(value: unknown): value is Command {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((part) => typeof part === 'string' || typeof part === 'number' || typeof part === 'boolean')
  );
}

// ioredis answers bulk and status strings alike as Buffers; Upstash leaves the status `OK`
// unencoded, and the client treats a bare `OK` the same either way.
function base64Reply(reply: unknown): unknown {
  if (Buffer.isBuffer(reply)) return reply.toString() === 'OK' ? 'OK' : reply.toString('base64');
  if (Array.isArray(reply)) return reply.map(base64Reply);
  return reply;
}

function textReply(reply: unknown): unknown {
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  if (Array.isArray(reply)) return reply.map(textReply);
  return reply;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (response.writableEnded || response.destroyed) return;
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
