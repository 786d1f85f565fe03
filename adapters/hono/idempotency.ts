import type { Context, Env, MiddlewareHandler, Next } from 'hono';
import { type IdempotencyOptions, type IdempotencyStore, withIdempotency } from '../../src/index.ts';
import { receivedRequest, sameCaller } from './received-request.ts';

/**
 * Options of {@link idempotency}: those of `withIdempotency`, passed through unchanged, except
 * `store` and `scope`, which are given Hono's `Context` (typed by the app's `Env`, so
 * `c.env.IDEMPOTENCY` and `c.get('user')` are typed).
 */
// biome-ignore lint/suspicious/noExplicitAny: Hono's own default for a middleware's Env (MiddlewareHandler<any>).
export interface HonoIdempotencyOptions<E extends Env = any>
  extends Omit<IdempotencyOptions<[Context<E>]>, 'store' | 'scope'> {
  /** The store, or a function that builds it from the Context (e.g. from `c.env` on Workers). */
  store: IdempotencyStore | ((c: Context<E>) => IdempotencyStore);
  /**
   * Who the key belongs to: keys of two scopes never meet. Give the principal that your auth
   * middleware verified (`(c) => c.get('user').id`). Default: the principal a runtime adapter
   * verified, else the `Authorization` header, else `''`.
   */
  scope?: (c: Context<E>) => string | Promise<string>;
}

/**
 * Idempotency-Key for one Hono route (or a group, with `app.use`): requests with a key run the
 * rest of the chain at most once per key, and a duplicate gets the first response back byte for
 * byte, with `Idempotent-Replayed: true`. The stored response is `c.res` as the middleware and
 * handler after this one left it; the conflict, mismatch and replay answers come from the same
 * core as `withIdempotency`. Downstream reads the body as usual (`c.req.json()`,
 * `c.req.arrayBuffer()`, `c.req.raw`).
 *
 * TypeScript cannot infer the app's `Env` from the route: give it (`idempotency<AppEnv>(...)`)
 * to type `c.env` and `c.get()` in `store` and `scope`, as with Hono's `createMiddleware<E>`.
 *
 * @example
 * import { idempotency } from 'edge-idempotency/hono';
 * import { DurableObjectStore } from 'edge-idempotency/cloudflare';
 *
 * const app = new Hono<{ Bindings: { IDEMPOTENCY: DurableObjectNamespace<IdempotencyObject> } }>();
 * app.post(
 *   '/orders',
 *   idempotency({ store: (c) => new DurableObjectStore({ namespace: c.env.IDEMPOTENCY }) }),
 *   async (c) => c.json(await createOrder(await c.req.json()), 201),
 * );
 */
// biome-ignore lint/suspicious/noExplicitAny: as Hono's own middlewares: untyped unless the app's Env is given.
export function idempotency<E extends Env = any>(options: HonoIdempotencyOptions<E>): MiddlewareHandler<E> {
  const { store, scope, ...passed } = options;
  const nextOf = new WeakMap<Context<E>, Next>();

  const guarded = withIdempotency(
    async (request: Request, c: Context<E>): Promise<Response> => {
      // The wrapper has read the body; let everything downstream read this equal request, as
      // Hono's own bodyLimit does. Hono's body cache reads `raw` on first use.
      c.req.raw = sameCaller(c.req.raw, request);
      await (nextOf.get(c) as Next)();
      // Hono's compose has already handed a downstream error to onError (c.error, c.res set).
      // Rethrow it so the key is released rather than storing onError's answer, whatever its
      // status; the middleware below recognises it and keeps onError's response.
      if (c.error) throw c.error;
      if (!c.finalized) {
        throw new Error('Context is not finalized: the handler after idempotency() returned no Response');
      }
      return c.res;
    },
    {
      ...passed,
      store: typeof store === 'function' ? (_request, c) => store(c) : store,
      ...(scope && { scope: (_request: Request, c: Context<E>) => scope(c) }),
    },
  );

  return async (c, next) => {
    nextOf.set(c, next);
    let response: Response;
    try {
      response = await guarded(await receivedRequest(c.req), c);
    } catch (error) {
      if (error !== undefined && error === c.error) return;
      throw error;
    }
    // A request that passed through unguarded already left its response in c.res.
    if (response !== c.res) c.res = response;
  };
}
