import { asBodyInit, bufferResponse, readRequestBody, TOO_LARGE } from './body.ts';
import { requestDeadline } from './deadline.ts';
import { IdempotencyConfigurationError, InvalidIdempotencyKeyError } from './errors.ts';
import { fingerprintRequest } from './fingerprint.ts';
import { hashParts, storageKey } from './hashing.ts';
import { parseIdempotencyKey } from './idempotency-key.ts';
import {
  type IdempotencyEvent,
  type IdempotencyOptions,
  type ResolvedOptions,
  resolveOptions,
} from './options.ts';
import { problems } from './problem.ts';
import { headersToStore, replayResponse } from './replay.ts';
import { beginRecord, beginWhenSettled, callStore } from './store-calls.ts';
import type { BeginInput, IdempotencyStore } from './types.ts';

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
    if (!config.methods.has(request.method)) return handler(request, ...rest);
    const header = request.headers.get(config.headerName);
    if (header === null) {
      return config.required ? problems.keyMissing(config.headerName) : handler(request, ...rest);
    }
    let key: string;
    try {
      key = parseIdempotencyKey(header);
    } catch (error) {
      if (error instanceof InvalidIdempotencyKeyError)
        return problems.keyInvalid(config.headerName, error.message);
      throw error;
    }
    return guard(handler, config, request, rest, key);
  };
}

async function guard<H extends FetchHandler>(
  handler: H,
  config: ResolvedOptions<RestOf<H>>,
  request: Request,
  rest: RestOf<H>,
  key: string,
): Promise<Response> {
  const startedAt = Date.now();
  const body = await readRequestBody(request, config.maxBodyBytes);
  if (body === TOO_LARGE) return problems.bodyTooLarge(config.maxBodyBytes);
  // The body stream is spent; the handler gets an equal request around the bytes we read,
  // built only when it runs (a replay never pays for it).
  const run = () =>
    handler(body === null ? request : new Request(request, { body: asBodyInit(body) }), ...rest);

  const [scope, fingerprint] = await Promise.all([
    config.scope(request, ...rest),
    config.fingerprint
      ? Promise.resolve(config.fingerprint(request, body)).then((custom) => hashParts([custom]))
      : fingerprintRequest(request, body, config.fingerprintHeaders),
  ]);
  if (typeof scope !== 'string') {
    // Never fall back to a shared scope: that could serve one principal another's response.
    throw new IdempotencyConfigurationError(`scope must return a string, got ${typeof scope}`);
  }
  const store = typeof config.store === 'function' ? config.store(request, ...rest) : config.store;
  const input: BeginInput = {
    key: await storageKey(config.prefix, scope, key),
    fingerprint,
    token: crypto.randomUUID(),
    leaseMs: leaseFor(request, config.leaseMs),
  };
  const emit = (type: IdempotencyEvent['type'], extra?: Partial<IdempotencyEvent>) =>
    report(config, { type, key: input.key, store: store.name, durationMs: Date.now() - startedAt, ...extra });

  let begun: Awaited<ReturnType<typeof beginRecord>>;
  try {
    begun = await beginRecord(store, input);
    if (config.onConflict === 'wait') {
      begun = await beginWhenSettled(store, input, begun, startedAt + config.waitTimeoutMs);
    }
  } catch (error) {
    emit('store_error', { error });
    return config.onStoreError === 'fail-open' ? run() : problems.storeUnavailable(1);
  }

  if (!begun.acquired) {
    const { record } = begun;
    if (record.fingerprint !== fingerprint) {
      emit('mismatch', { status: 422 });
      return problems.mismatch(config.headerName);
    }
    if (record.state === 'completed' && record.response) {
      emit(record.response.body === null ? 'not_retained' : 'replay', { status: record.response.status });
      return replayResponse(record.response);
    }
    emit('conflict', { status: 409 });
    return problems.inProgress(config.headerName, (record.expiresAt - Date.now()) / 1000);
  }

  emit('new');
  return runAndStore(run, config, store, input, emit);
}

async function runAndStore(
  run: () => Response | Promise<Response>,
  config: ResolvedOptions<never>,
  store: IdempotencyStore,
  input: BeginInput,
  emit: (type: IdempotencyEvent['type'], extra?: Partial<IdempotencyEvent>) => void,
): Promise<Response> {
  const release = async (status?: number) => {
    try {
      await callStore(store, 'release', () => store.release(input.key, input.token));
      emit('released', { status });
    } catch (error) {
      // The lease still frees the key later; the caller's own outcome matters more.
      emit('store_error', { error });
    }
  };

  let response: Response;
  try {
    response = await run();
  } catch (error) {
    await release();
    throw error;
  }
  if (!config.shouldStore(response)) {
    await release(response.status);
    return response;
  }

  const buffered = await bufferResponse(response, config.maxResponseBytes);
  const stored = {
    status: response.status,
    headers: headersToStore(response.headers, config.storeSetCookie),
    body: buffered.stored,
  };
  try {
    const completed = await callStore(store, 'complete', () =>
      store.complete({ key: input.key, token: input.token, response: stored, ttlMs: config.ttlMs }),
    );
    if (!completed) emit('lease_lost', { status: stored.status });
    else emit(stored.body === null ? 'not_retained' : 'stored', { status: stored.status });
  } catch (error) {
    // The handler ran: its response goes out whatever the store says.
    emit('store_error', { error, status: stored.status });
  }
  return buffered.response;
}

function leaseFor(request: Request, leaseMs: number): number {
  const deadline = requestDeadline(request);
  return deadline === undefined ? leaseMs : Math.max(1, Math.min(leaseMs, deadline - Date.now()));
}

function report(config: ResolvedOptions<never>, event: IdempotencyEvent): void {
  try {
    config.onEvent?.(event);
  } catch {
    // Metrics must never change what a client receives.
  }
}
