import type { NextRequest } from 'next/server';

/**
 * The business handler both routes share: creates an "order" and answers 201. `?delay=ms`
 * keeps it running for a while, to show what a concurrent duplicate gets.
 */
export async function createOrder(request: NextRequest): Promise<Response> {
  const delayMs = Number(request.nextUrl.searchParams.get('delay') ?? 0);
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(delayMs, 10_000)));
  const order: unknown = await request.json().catch(() => null);
  const id = crypto.randomUUID();
  return Response.json(
    { id, order, path: request.nextUrl.pathname, runtime: process.env.NEXT_RUNTIME ?? 'nodejs' },
    { status: 201, headers: { location: `${request.nextUrl.pathname}/${id}` } },
  );
}
