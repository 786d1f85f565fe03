/**
 * An HTTP proxy in front of a backend (the Upstash REST server, DynamoDB Local) that injects one
 * fault into the requests it is told to pick: fail before forwarding (the write never happens),
 * forward then drop the answer (the write lands, the client never learns it), forward late, or
 * answer in the backend's place without forwarding (a 503, a throttling error).
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FaultMode } from './fault-scenarios.ts';

export type { FaultMode };

/** A fault of the scenarios, or an answer made up by the proxy. */
export type ProxyFault = FaultMode | 'answer';

export interface FaultPlan {
  mode: ProxyFault;
  /** Which requests the fault hits (headers and body text of the request). */
  match(request: { headers: IncomingHttpHeaders; body: string }): boolean;
  /** How many matching requests are hit; default every one until the plan is replaced. */
  times?: number;
  /** For `slow`: how late the request is forwarded. */
  delayMs?: number;
  /** For `answer`: what the proxy answers instead of forwarding. */
  answer?: { status: number; headers?: Record<string, string>; body: string };
}

export interface FaultProxy {
  readonly url: string;
  /** The fault to inject; `undefined` forwards everything untouched. */
  plan: FaultPlan | undefined;
  /** Requests the plan hit so far. */
  readonly hits: number;
  /** Requests received so far, hit or not: the client's round trips, retries included. */
  readonly requests: number;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const state = { plan: undefined as FaultPlan | undefined, hits: 0, requests: 0 };
  const sockets = new Set<import('node:net').Socket>();

  const forward = (method: string, path: string, headers: IncomingHttpHeaders, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const outgoing = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method,
          path,
          headers: { ...headers, host: upstream.host },
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () =>
            resolve({
              status: answer.statusCode ?? 502,
              headers: answer.headers,
              body: Buffer.concat(chunks),
            }),
          );
          answer.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });

  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    state.requests++;
    const plan = state.plan;
    const hit =
      plan !== undefined &&
      (plan.times === undefined || state.hits < plan.times) &&
      plan.match({ headers: request.headers, body: body.toString('utf8') });
    if (hit) state.hits++;
    if (hit && plan.mode === 'fail-before') {
      request.socket.destroy();
      return;
    }
    if (hit && plan.mode === 'answer') {
      response.writeHead(plan.answer?.status ?? 500, plan.answer?.headers);
      response.end(plan.answer?.body ?? '');
      return;
    }
    if (hit && plan.mode === 'slow')
      await new Promise((resolve) => setTimeout(resolve, plan.delayMs ?? 5_000));
    try {
      const answer = await forward(request.method ?? 'GET', request.url ?? '/', request.headers, body);
      if (hit && plan.mode === 'drop-answer') {
        request.socket.destroy();
        return;
      }
      response.writeHead(answer.status, answer.headers);
      response.end(answer.body);
    } catch {
      request.socket.destroy();
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get plan() {
      return state.plan;
    },
    set plan(plan) {
      state.plan = plan;
      state.hits = 0;
    },
    get hits() {
      return state.hits;
    },
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
