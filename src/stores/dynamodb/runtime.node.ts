/// <reference types="node" />
/**
 * `runtime.ts` for Node (and Deno and Bun, which resolve the `node` condition): a keep-alive
 * `node:http(s)` agent, `node:crypto` HMAC, `node:zlib` gzip, `Buffer` base64. Same contract.
 */
import type * as NodeCrypto from 'node:crypto';
import type * as NodeHttp from 'node:http';
import type * as NodeHttps from 'node:https';
import type * as NodeZlib from 'node:zlib';
import { nodeBuiltin } from '../../node-builtin.ts';
import type { HttpAnswer } from './runtime.ts';

export type { HttpAnswer };

const loaded = new Map<string, unknown>();

// Taken on first use through `nodeBuiltin`, not imported: in Node 22 an ESM import of
// `node:http` loads undici (its `WebSocket` export), about 50 ms of a cold start that a Lambda
// handler with no Request or Response never needs; and only what is used is loaded (`node:zlib`
// for the first large body, `node:https` or `node:http` for the endpoint's scheme). Node before
// 20.16 imports them instead.
async function builtin<T>(id: string, load: () => Promise<T>): Promise<T> {
  let module = loaded.get(id) as T | undefined;
  if (module === undefined) {
    module = nodeBuiltin<T>(id) ?? (await load());
    loaded.set(id, module);
  }
  return module;
}

interface Transport {
  request: typeof NodeHttp.request;
  /** One connection pool per process: a warm Lambda reuses its socket to DynamoDB. */
  agent: NodeHttp.Agent;
}

let http: Transport | undefined;
let https: Transport | undefined;

async function transportFor(url: URL): Promise<Transport> {
  if (url.protocol === 'https:') {
    const module = await builtin<typeof NodeHttps>('node:https', () => import('node:https'));
    https ??= { request: module.request, agent: new module.Agent({ keepAlive: true }) };
    return https;
  }
  const module = await builtin<typeof NodeHttp>('node:http', () => import('node:http'));
  http ??= { request: module.request, agent: new module.Agent({ keepAlive: true }) };
  return http;
}

const crypto = () => builtin<typeof NodeCrypto>('node:crypto', () => import('node:crypto'));
const zlib = () => builtin<typeof NodeZlib>('node:zlib', () => import('node:zlib'));

/** POST `body` to `url` over a kept-alive connection; same contract as `runtime.ts`. */
export function post(
  url: URL,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<HttpAnswer> {
  // Once loaded, the transport is used without a promise in between: a warm request pays for
  // none of the loading.
  const transport = url.protocol === 'https:' ? https : http;
  return transport
    ? send(transport, url, headers, body, timeoutMs)
    : transportFor(url).then((loaded) => send(loaded, url, headers, body, timeoutMs));
}

// A timer that destroys the request rather than an AbortSignal: `AbortSignal.timeout` costs
// about 6 µs to make and as much again when it fires, seconds after its request is done, with
// a DOMException and its stack. The answer is read with listeners, not `stream/consumers`,
// whose async iterator costs about 20 µs more per answer.
function send(
  transport: Transport,
  url: URL,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    let timeout: Error | undefined;
    // Whichever of the request and the answer reports first; a timeout is reported as such.
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(timeout ?? error);
    };
    const request = transport.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        agent: transport.agent,
      },
      (answer) => {
        let text = '';
        answer.setEncoding('utf8');
        answer.on('data', (chunk: string) => (text += chunk));
        answer.on('end', () => {
          clearTimeout(timer);
          resolve({ status: answer.statusCode ?? 0, text });
        });
        // An answer cut short (the connection dropped, or the timer destroyed the request).
        answer.on('close', () => answer.complete || fail(new Error('the connection closed mid-answer')));
        answer.on('error', fail);
      },
    );
    const timer = setTimeout(() => {
      timeout = Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'TimeoutError' });
      request.destroy(timeout);
    }, timeoutMs);
    request.on('error', fail);
    request.end(body);
  });
}

/** `node:crypto` takes the secret as it is: nothing to import. */
export type HmacKey = Uint8Array | string;

/** Same contract as `runtime.ts`. */
export async function hmacKey(secret: Uint8Array | string): Promise<HmacKey> {
  return secret;
}

/** HMAC-SHA256 of `data` (UTF-8) under `key`. */
export async function hmacSha256(key: HmacKey, data: string): Promise<Uint8Array> {
  return asBytes((await crypto()).createHmac('sha256', key).update(data).digest());
}

// Synchronous: for the bodies a record holds (at most ~400 KB gzipped) a trip to the thread
// pool costs more than the work.
/** gzip `bytes`. */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  return asBytes((await zlib()).gzipSync(bytes));
}

/** Undo {@link gzip}; rejects on bytes that are not gzip. */
export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  return asBytes((await zlib()).gunzipSync(bytes));
}

/** Standard base64 of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Bytes of standard base64 text. */
export function fromBase64(text: string): Uint8Array {
  return asBytes(Buffer.from(text, 'base64'));
}

// A plain Uint8Array view: a Buffer would serialize as `{type, data}` in JSON, and callers
// compare with Uint8Array.
function asBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
