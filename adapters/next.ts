import { NextRequest } from 'next/server';
import { type IdempotencyOptions, withIdempotency as withFetchIdempotency } from '../src/index.ts';

/**
 * Any App Router route handler: `(request, context) => Response`. `never[]` accepts every
 * context shape (`{ params: Promise<...> }`, `RouteContext<'/orders/[id]'>`, or none).
 */
export type RouteHandler = (request: NextRequest, ...rest: never[]) => Response | Promise<Response>;

/** The arguments a route handler takes after the request (Next's `context`). */
export type RouteHandlerRest<H extends RouteHandler> = H extends (
  request: NextRequest,
  ...rest: infer R
) => unknown
  ? R
  : never;

/**
 * Make an App Router route handler safe to retry: `withIdempotency` from `edge-idempotency`,
 * typed for route handlers. Returns the handler's exact type (Next's build checks the type of
 * every route export), passes `context` through untouched, and always hands the handler a
 * `NextRequest`, so `request.nextUrl` and `request.cookies` keep working. Runs unchanged with
 * `export const runtime = 'nodejs'` and `'edge'`.
 *
 * @example
 * // app/api/orders/route.ts
 * import { withIdempotency } from 'edge-idempotency/next';
 * import { UpstashStore } from 'edge-idempotency/upstash';
 * import { Redis } from '@upstash/redis';
 *
 * const store = new UpstashStore({ redis: Redis.fromEnv() });
 *
 * export const POST = withIdempotency(async (request: NextRequest) => {
 *   const order = await createOrder(await request.json());
 *   return Response.json(order, { status: 201 });
 * }, { store });
 */
export function withIdempotency<H extends RouteHandler>(
  handler: H,
  options: IdempotencyOptions<RouteHandlerRest<H>>,
): H {
  const call = handler as unknown as (
    request: NextRequest,
    ...rest: RouteHandlerRest<H>
  ) => Response | Promise<Response>;
  const guarded = withFetchIdempotency(
    (request: Request, ...rest: RouteHandlerRest<H>) => call(asNextRequest(request), ...rest),
    options,
  );
  return guarded as unknown as H;
}

/**
 * The core re-creates the request around the body bytes it read, as a plain `Request`. Next
 * builds its own `NextRequest` from the URL and headers alone, so wrapping ours the same way
 * gives the handler an equal `nextUrl` and `cookies`.
 */
function asNextRequest(request: Request): NextRequest {
  return request instanceof NextRequest ? request : new NextRequest(request);
}
