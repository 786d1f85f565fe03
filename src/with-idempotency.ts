import { asBodyInit, readRequestBody, TOO_LARGE } from './body.ts';
import { requestDeadline } from './deadline.ts';
import { InvalidIdempotencyKeyError } from './errors.ts';
import { fingerprintRequest } from './fingerprint.ts';
import type { Lock } from './guarded-run.ts';
import { hashParts, storageKey } from './hashing.ts';
import { knownBody } from './known-body.ts';
import { type IdempotencyOptions, type ResolvedOptions, resolveOptions } from './options.ts';
import { problemOf, problemResponse } from './problem.ts';
import { headersToStore, replayResponse } from './replay.ts';
import { answerRequest, assertScope, optionKey, parseKey, requestCall } from './request-call.ts';
import { captureResponse } from './response-capture.ts';

/** Any fetch-style handler: a Request first, then whatever the runtime passes (env, ctx, ...). */
// biome-ignore lint/suspicious/noExplicitAny: the rest arguments are the handler's own, passed through untouched.
export type FetchHandler = (request: Request, ...rest: any[]) => Response | Promise<Response>;

type RestOf<H extends FetchHandler> = H extends (request: Request, ...rest: infer R) => unknown ? R : never;

/**
 * What `withIdempotency` returns: the handler's own arguments, answering a Promise (the store
 * is always asked asynchronously, so even a synchronous handler's wrapper is async).
 */
export type IdempotentHandler<H extends FetchHandler> = (
  request: Request,
  ...rest: RestOf<H>
) => Promise<Response>;

/**
 * Make a fetch handler safe to retry. Requests with an `Idempotency-Key` run the handler at
 * most once per key; duplicates get the first response back byte for byte, with
 * `Idempotent-Replayed: true`. Returns a function of the handler's own arguments: every argument
 * after the request (Workers' `env, ctx`, Next's `context`, Lambda's `context`) passes through.
 *
 * @example
 * export const POST = withIdempotency(async (request) => Response.json(await charge(request)), {
 *   store: new UpstashStore({ redis: Redis.fromEnv() }),
 * });
 */
export function withIdempotency<H extends FetchHandler>(
  handler: H,
  options: IdempotencyOptions<RestOf<H>>,
): IdempotentHandler<H> {
  const config = resolveOptions(options);
  return async (request, ...rest) => {
    if (!config.methods.has(request.method) || config.skip?.(request)) return handler(request, ...rest);
    if (config.key) return guard(handler, config, request, rest, undefined);
    const header = request.headers.get(config.headerName);
    if (header === null) {
      return config.required
        ? problemResponse(problemOf('keyMissing', config, config.headerName), request, config)
        : handler(request, ...rest);
    }
    const key = parseKey(header);
    if (key instanceof InvalidIdempotencyKeyError) {
      return problemResponse(
        problemOf('keyInvalid', config, config.headerName, key.message),
        request,
        config,
      );
    }
    // Awaited, not returned: a promise returned from an async function costs two more turns
    // of the microtask queue, on every guarded request.
    return await guard(handler, config, request, rest, key);
  };
}

/** The guarded path of a request that has a key (`key` undefined: the `key` option finds it). */
async function guard<H extends FetchHandler>(
  handler: H,
  config: ResolvedOptions<RestOf<H>>,
  request: Request,
  rest: RestOf<H>,
  headerKey: string | undefined,
): Promise<Response> {
  const startedAt = Date.now();
  const known = knownBody(request);
  const body = known ?? (await readRequestBody(request, config.maxBodyBytes));
  if (body === TOO_LARGE || (body !== null && body.byteLength > config.maxBodyBytes)) {
    return problemResponse(problemOf('bodyTooLarge', config, config.maxBodyBytes), request, config);
  }
  // A body an adapter handed over as bytes was never read: the handler gets the request as it
  // is. Otherwise the stream is spent, and the handler gets an equal request around the bytes
  // we read, built only when it runs (a replay never pays for it).
  const run = () =>
    handler(known || body === null ? request : new Request(request, { body: asBodyInit(body) }), ...rest);

  let key = headerKey;
  if (key === undefined) {
    const found = optionKey(await config.key?.(request, body));
    if (found === undefined) {
      return config.required
        ? problemResponse(problemOf('keyMissing', config, 'idempotency key'), request, config)
        : run();
    }
    if (found instanceof InvalidIdempotencyKeyError) {
      return problemResponse(
        problemOf('keyInvalid', config, 'idempotency key', found.message),
        request,
        config,
      );
    }
    key = found;
  }

  const givenScope = config.scope(request, ...rest);
  const fingerprinting = config.fingerprint
    ? Promise.resolve(config.fingerprint(request, body)).then((custom) => hashParts([custom]))
    : fingerprintRequest(request, body, config.fingerprintHeaders);
  // The default scope answers at once: a Promise.all around it costs a replay on Node ~0.4 µs.
  const [scope, fingerprint] =
    typeof givenScope === 'string'
      ? [givenScope, await fingerprinting]
      : await Promise.all([givenScope, fingerprinting]);
  assertScope(scope);
  const call = requestCall(config, {
    store: typeof config.store === 'function' ? config.store(request, ...rest) : config.store,
    key: await storageKey(config.prefix, scope, key),
    fingerprint,
    deadline: requestDeadline(request),
    startedAt,
  });
  return await answerRequest(config, call, {
    acquired: (lock) => respondAndStore(run, config, lock),
    replay: (response) => replayResponse(response, request, config),
    problem: (problem, retryAfterSeconds) => problemResponse(problem, request, config, retryAfterSeconds),
    unguarded: run,
  });
}

/**
 * Run the handler under the lock and complete the key with its response. Anything that fails
 * on the way (the handler, `shouldStore`, reading the body) releases the key through
 * `runLocked` and reaches the caller as the original error; a body that streams completes the
 * key when it ends, or releases it if the stream errors.
 */
async function respondAndStore(
  run: () => Response | Promise<Response>,
  config: ResolvedOptions<never>,
  lock: Lock,
): Promise<Response> {
  const response = await run();
  if (!config.shouldStore(response)) {
    await lock.release(response.status);
    return response;
  }
  const { status } = response;
  const headers = headersToStore(response.headers, config.storeSetCookie);
  return await captureResponse(response, config.maxResponseBytes, {
    end: (body) => lock.complete({ status, headers, body }),
    fail: () => lock.release(status),
  });
}
