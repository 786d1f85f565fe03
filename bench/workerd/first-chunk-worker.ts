/**
 * The first-chunk bench inside workerd (bench/first-chunk.ts drives it and does the timing,
 * since workerd's clock does not move without I/O): `?case=bare` answers the SSE handler
 * itself, `?case=wrapped` the same handler under withIdempotency on a MemoryStore.
 */
import { MemoryStore } from '../../src/stores/memory.ts';
import { withIdempotency } from '../../src/with-idempotency.ts';
import { sseHandler } from '../sse-handler.ts';

const wrapped = withIdempotency(sseHandler, { store: new MemoryStore({ maxEntries: 50_000 }) });

export default {
  async fetch(request: Request): Promise<Response> {
    const kase = new URL(request.url).searchParams.get('case');
    if (kase === 'bare') return sseHandler(request);
    if (kase === 'wrapped') return wrapped(request);
    return new Response(`unknown case ${kase}`, { status: 400 });
  },
};
