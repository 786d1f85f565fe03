import { Hono } from 'hono';
import { streamText } from 'hono/streaming';
import { describe, expect, it } from 'vitest';
import { idempotency } from '../../adapters/hono/index.ts';
import { MemoryStore } from '../../src/index.ts';
import { gate } from './orders-app.ts';

describe('a streamed Hono response under idempotency()', () => {
  it('streams to the first caller, holds the key until the stream ends, then replays it whole', async () => {
    const store = new MemoryStore();
    const app = new Hono();
    const second = gate();
    let runs = 0;
    app.post('/completions', idempotency({ store }), (c) => {
      runs++;
      return streamText(c, async (stream) => {
        await stream.write('first chunk, ');
        await second.opened;
        await stream.write('last chunk');
      });
    });
    const post = () =>
      app.request('/completions', { method: 'POST', headers: { 'idempotency-key': 's1' }, body: 'prompt' });

    const first = await post();
    const reader = (first.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    expect(decoder.decode((await reader.read()).value)).toBe('first chunk, ');
    // Mid-stream the run is not finished: a retry is told to come back, not served half a body.
    const during = await post();
    expect(during.status).toBe(409);

    second.open();
    let rest = '';
    for (let read = await reader.read(); !read.done; read = await reader.read())
      rest += decoder.decode(read.value);
    expect(rest).toBe('last chunk');

    const replay = await post();
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.text()).toBe('first chunk, last chunk');
    expect(runs).toBe(1);
    store.close();
  });
});
