import { InvalidIdempotencyKeyError } from '../../src/errors.ts';
import { fingerprintOf } from '../../src/fingerprint.ts';
import type { Lock } from '../../src/guarded-run.ts';
import { hashParts, storageKey } from '../../src/hashing.ts';
import { type IdempotencyOptions, resolveOptions } from '../../src/options.ts';
import { type Problem, problemOf } from '../../src/problem.ts';
import { answerRequest, assertScope, optionKey, parseKey, requestCall } from '../../src/request-call.ts';
import type { IdempotencyStore } from '../../src/types.ts';
import { scopeOf } from '../../src/verified-principal.ts';
import { type AnySource, invocationDeadline, readEvent } from './event.ts';
import {
  type LambdaResultLike,
  problemParts,
  type ResultParts,
  replayedResponse,
  resultResponse,
  shapedResult,
  storedResponse,
} from './stored-result.ts';
import type { LambdaContextLike, LambdaHandlerOptions, LambdaHttpEvent, LambdaHttpResult } from './types.ts';

/**
 * Options of {@link withLambdaIdempotency}: those of `withIdempotency`, with every hook taking
 * the Lambda event (and context) where `withIdempotency`'s take the Request.
 */
export interface LambdaIdempotencyOptions<E extends LambdaHttpEvent, C extends LambdaContextLike>
  extends Omit<
      IdempotencyOptions,
      'store' | 'key' | 'skip' | 'renderProblem' | 'fingerprint' | 'scope' | 'shouldStore'
    >,
    LambdaHandlerOptions {
  /** The store, or a function that picks it from the event and context. */
  store: IdempotencyStore | ((event: E, context: C) => IdempotencyStore);
  /** Where the key comes from instead of the header (the body is the decoded bytes, or `null`). */
  key?: (event: E, body: Uint8Array | null) => string | null | undefined | Promise<string | null | undefined>;
  /** Events for which this answers true go straight to the handler. */
  skip?: (event: E) => boolean;
  /** Replace the fingerprint; any string, hashed before it is stored. */
  fingerprint?: (event: E, body: Uint8Array | null) => string | Promise<string>;
  /**
   * Who the key belongs to. Default, as for `toLambdaHandler(withIdempotency(...))`: the caller
   * AWS verified (IAM, Cognito, JWT or Lambda authorizer), else the `Authorization` header.
   */
  scope?: (event: E, context: C) => string | Promise<string>;
  /**
   * Which results are stored. Default: status below 500 (a 5xx releases the key). An HTTP API
   * 2.0 or Function URL result without a `statusCode` comes as the 200 JSON result it stands for.
   */
  shouldStore?: (result: LambdaResultLike) => boolean;
  /**
   * Render the wrapper's own answers (400, 409, 413, 422, 503 and the body of a not-retained
   * replay) in your API's error format, as a result for the event's service: `headers` (or
   * `multiValueHeaders` for REST APIs and ALB in multi-value mode), `body`, `isBase64Encoded`.
   * As with `withIdempotency`, the problem's status and its `Retry-After` are kept, and a
   * renderer that throws, or answers what the service would refuse, falls back to
   * `application/problem+json`.
   */
  renderProblem?: (problem: Problem, event: E) => RenderedProblem | Promise<RenderedProblem>;
}

/** What a `renderProblem` of {@link withLambdaIdempotency} answers: a result whose status is the problem's. */
export type RenderedProblem = Omit<LambdaResultLike, 'statusCode'>;

/** What {@link withLambdaIdempotency} returns: the handler's own signature, answering a Promise. */
export type IdempotentLambdaHandler<E extends LambdaHttpEvent, C extends LambdaContextLike, R> = (
  event: E,
  context: C,
) => Promise<R | LambdaHttpResult>;

/**
 * Make a Lambda HTTP handler written against Lambda's own event and result safe to retry: the
 * same guard as `toLambdaHandler(withIdempotency(handler))`, for API Gateway REST (v1) and HTTP
 * API (v2), Function URLs and ALB, without building a `Request` or `Response`. In Node the first
 * of those loads undici (about 50 ms of a cold start here); this path never does.
 *
 * Records are the same as the fetch path's (same storage keys, fingerprints and stored
 * responses), so the two replay each other's. A duplicate gets the stored response in the event
 * source's result shape with `Idempotent-Replayed: true`; the first caller gets the handler's
 * result as it returned it. Malformed events, missing or invalid keys, reused keys, keys in
 * progress and store failures get the same 400/409/413/422/503 problem results.
 *
 * @example
 * export const handler = withLambdaIdempotency(
 *   async (event) => ({ statusCode: 201, body: JSON.stringify(await charge(event)) }),
 *   { store: new DynamoDBStore({ tableName: process.env.IDEMPOTENCY_TABLE }) },
 * );
 */
export function withLambdaIdempotency<
  E extends LambdaHttpEvent,
  C extends LambdaContextLike = LambdaContextLike,
  R = LambdaHttpResult,
>(
  handler: (event: E, context: C) => R | Promise<R>,
  options: LambdaIdempotencyOptions<E, C>,
): IdempotentLambdaHandler<E, C, R> {
  // Checked and defaulted as withIdempotency's are; the hooks of this entry are called below.
  const config = resolveOptions({
    ...options,
    key: undefined,
    skip: undefined,
    fingerprint: undefined,
    scope: undefined,
    shouldStore: undefined,
    renderProblem: undefined,
  } as IdempotencyOptions);
  const shouldStore = options.shouldStore ?? ((result: LambdaResultLike) => result.statusCode < 500);

  return async (event, context) => {
    const read = readEvent(event, options);
    if (!read.ok) return read.result;
    const { source, request } = read;
    if (!config.methods.has(request.method) || options.skip?.(event)) return handler(event, context);
    const startedAt = Date.now();
    const answer = async (problem: Problem, retryAfterSeconds?: number) => {
      const { headers, body } = problemParts(
        problem,
        config,
        await rendered(problem, event, source),
        retryAfterSeconds,
      );
      return source.toResult({ status: problem.status, statusText: '', headers, body }, event);
    };

    let key: string | undefined;
    if (!options.key) {
      const header = request.headers.get(config.headerName);
      if (header === null) {
        return config.required
          ? answer(problemOf('keyMissing', config, config.headerName))
          : handler(event, context);
      }
      const parsed = parseKey(header);
      if (parsed instanceof InvalidIdempotencyKeyError) {
        return answer(problemOf('keyInvalid', config, config.headerName, parsed.message));
      }
      key = parsed;
    }
    const { body } = request;
    if (body !== null && body.byteLength > config.maxBodyBytes) {
      return answer(problemOf('bodyTooLarge', config, config.maxBodyBytes));
    }
    if (options.key) {
      const found = optionKey(await options.key(event, body));
      if (found === undefined) {
        return config.required
          ? answer(problemOf('keyMissing', config, 'idempotency key'))
          : handler(event, context);
      }
      if (found instanceof InvalidIdempotencyKeyError) {
        return answer(problemOf('keyInvalid', config, 'idempotency key', found.message));
      }
      key = found;
    }

    const [scope, fingerprint] = await Promise.all([
      options.scope
        ? options.scope(event, context)
        : scopeOf(read.principal, request.headers.get('authorization')),
      options.fingerprint
        ? Promise.resolve(options.fingerprint(event, body)).then((custom) => hashParts([custom]))
        : fingerprintOf(
            {
              method: request.method,
              pathname: request.url.pathname,
              search: request.url.search,
              header: (name) => request.headers.get(name),
              body,
            },
            config.fingerprintHeaders,
          ),
    ]);
    assertScope(scope);
    const call = requestCall(config, {
      store: typeof options.store === 'function' ? options.store(event, context) : options.store,
      key: await storageKey(config.prefix, scope, key as string),
      fingerprint,
      deadline: invocationDeadline(context),
      startedAt,
    });
    return answerRequest<R | LambdaHttpResult>(config, call, {
      acquired: (lock) => runAndStore(() => handler(event, context), source, event, lock),
      replay: async (stored) => {
        const notRetained =
          stored.body === null
            ? await rendered(problemOf('notRetained', config, stored.status), event, source)
            : undefined;
        return source.toResult(replayedResponse(stored, config, notRetained), event);
      },
      problem: answer,
      unguarded: () => handler(event, context),
    });
  };

  /** The user's rendering of a problem, as the service reads it; none when it fails. */
  async function rendered(problem: Problem, event: E, source: AnySource): Promise<ResultParts | undefined> {
    if (!options.renderProblem) return undefined;
    try {
      const result = await options.renderProblem(problem, event);
      return resultResponse({ ...result, statusCode: problem.status }, source.reading(event));
    } catch {
      // The default document is answered instead.
      return undefined;
    }
  }

  /**
   * Run the handler under the lock, then complete the key with what the client receives, or
   * release it: for a result not to be stored (a 5xx by default), and for one the service would
   * not send as returned. A handler that throws releases the key through `runLocked`.
   */
  async function runAndStore(run: () => R | Promise<R>, source: AnySource, event: E, lock: Lock): Promise<R> {
    const result = await run();
    const reading = source.reading(event);
    // The hook sees what the service reads: an HTTP API shorthand (a bare string or object) as
    // the 200 JSON result it stands for, never a string spread into numbered fields.
    const shaped = shapedResult(result, reading) as LambdaResultLike;
    const response = resultResponse(shaped, reading);
    if (!response || !shouldStore({ ...shaped, statusCode: response.status })) {
      await lock.release(response?.status);
      return result;
    }
    await lock.complete(storedResponse(response, config));
    return result;
  }
}
