/**
 * Options that fit the wrapper to an API and to deliveries: where the key comes from (`key`),
 * which requests pass (`skip`), how the wrapper's own answers look (`renderProblem`,
 * `problemBaseUrl`), and responses that stream.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore, PROBLEM_TYPES, type Problem, withIdempotency } from '../../src/index.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const post = (headers: Record<string, string>, body = '{"id":"evt_1"}') =>
  new Request('https://api.example.com/webhooks', { method: 'POST', body, headers });

describe('the key option', () => {
  it('takes the key from a delivery header, so a redelivery with a new signature replays', async () => {
    let runs = 0;
    const handler = withIdempotency(async () => new Response(`handled ${++runs}`), {
      store: new MemoryStore(),
      key: (request) => request.headers.get('x-github-delivery'),
    });
    const first = await handler(post({ 'x-github-delivery': 'd-1', 'x-hub-signature-256': 'sha256=aa' }));
    expect(await first.text()).toBe('handled 1');
    const again = await handler(post({ 'x-github-delivery': 'd-1', 'x-hub-signature-256': 'sha256=bb' }));
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.text()).toBe('handled 1');
    expect(runs).toBe(1);
  });

  it('reads the key from the body bytes', async () => {
    let runs = 0;
    const handler = withIdempotency(
      async (request: Request) => new Response(`${++runs}:${await request.text()}`),
      {
        store: new MemoryStore(),
        key: (_request, body) =>
          body ? (JSON.parse(new TextDecoder().decode(body)) as { id?: string }).id : undefined,
      },
    );
    expect(await (await handler(post({}))).text()).toBe('1:{"id":"evt_1"}');
    expect((await handler(post({}))).headers.get('idempotent-replayed')).toBe('true');
    expect(runs).toBe(1);
  });

  it('passes through when the key answers nothing, or answers 400 when required', async () => {
    let runs = 0;
    const options = { store: new MemoryStore(), key: () => undefined };
    const passing = withIdempotency(async () => new Response(String(++runs)), options);
    await passing(post({}));
    await passing(post({}));
    expect(runs).toBe(2);
    const required = withIdempotency(async () => new Response(String(++runs)), {
      ...options,
      required: true,
    });
    expect((await required(post({}))).status).toBe(400);
    expect(runs).toBe(2);
  });

  it('answers 400 for a key that is not a valid idempotency key', async () => {
    const handler = withIdempotency(async () => new Response('ran'), {
      store: new MemoryStore(),
      key: () => 'caf\u00e9',
    });
    const answer = await handler(post({}));
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as Problem).type).toBe(PROBLEM_TYPES.keyInvalid);
  });
});

describe('skip', () => {
  it('lets matching requests pass unguarded and unread', async () => {
    let runs = 0;
    const handler = withIdempotency(async () => new Response(String(++runs)), {
      store: new MemoryStore(),
      skip: (request) => new URL(request.url).pathname === '/webhooks',
    });
    await handler(post({ 'idempotency-key': 'k' }));
    await handler(post({ 'idempotency-key': 'k' }));
    expect(runs).toBe(2);
  });
});

describe('renderProblem and problemBaseUrl', () => {
  it('renders the answers in the API’s own envelope, keeping status and Retry-After', async () => {
    let release!: () => void;
    const handler = withIdempotency(
      async () => {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return Response.json({ id: 'ch_1' }, { status: 201 });
      },
      {
        store: new MemoryStore(),
        renderProblem: (problem) =>
          Response.json(
            { error: { type: 'idempotency_error', code: problem.name, message: problem.detail } },
            { status: 200 },
          ),
      },
    );
    const running = handler(post({ 'idempotency-key': 'k' }));
    await sleep(10);
    const conflict = await handler(post({ 'idempotency-key': 'k' }));
    expect(conflict.status).toBe(409);
    expect(conflict.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(conflict.headers.get('content-type')).toBe('application/json');
    expect(await conflict.json()).toMatchObject({ error: { type: 'idempotency_error', code: 'inProgress' } });
    release();
    await running;
    const mismatch = await handler(post({ 'idempotency-key': 'k' }, '{"other":1}'));
    expect(mismatch.status).toBe(422);
    expect(await mismatch.json()).toMatchObject({ error: { code: 'mismatch' } });
  });

  it('falls back to problem+json when the renderer throws', async () => {
    const handler = withIdempotency(async () => new Response('x'), {
      store: new MemoryStore(),
      required: true,
      renderProblem: () => {
        throw new Error('renderer bug');
      },
    });
    const answer = await handler(post({}));
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
  });

  it('makes problem types URLs under problemBaseUrl and links them as describedby', async () => {
    const handler = withIdempotency(async () => new Response('x'), {
      store: new MemoryStore(),
      required: true,
      problemBaseUrl: 'https://docs.example.com/errors/',
    });
    const answer = await handler(post({}));
    expect(((await answer.json()) as Problem).type).toBe('https://docs.example.com/errors/key-missing');
    expect(answer.headers.get('link')).toBe(
      '<https://docs.example.com/errors/key-missing>; rel="describedby"',
    );
  });

  it('renders the body of a not-retained replay, keeping the original status and headers', async () => {
    const handler = withIdempotency(
      async () => new Response('z'.repeat(200), { status: 201, headers: { location: '/orders/1' } }),
      {
        store: new MemoryStore(),
        maxResponseBytes: 100,
        renderProblem: (problem) => Response.json({ error: { code: problem.name } }),
      },
    );
    await (await handler(post({ 'idempotency-key': 'k' }))).text();
    const replay = await handler(post({ 'idempotency-key': 'k' }));
    expect(replay.status).toBe(201);
    expect(replay.headers.get('location')).toBe('/orders/1');
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.json()).toEqual({ error: { code: 'notRetained' } });
  });
});

describe('streamed responses (issue 13.3)', () => {
  it('gives the first caller the first event before the stream ends, and replays the whole stream', async () => {
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    let runs = 0;
    const encoder = new TextEncoder();
    const handler = withIdempotency(
      async () => {
        runs++;
        let sent = 0;
        return new Response(
          new ReadableStream<Uint8Array>({
            async pull(controller) {
              if (sent === 0) {
                sent++;
                return controller.enqueue(encoder.encode('data: first\n\n'));
              }
              await finished;
              controller.enqueue(encoder.encode('data: last\n\n'));
              controller.close();
            },
          }),
          { headers: { 'content-type': 'text/event-stream' } },
        );
      },
      { store: new MemoryStore() },
    );
    const response = await handler(post({ 'idempotency-key': 'k' }));
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    // The first event arrived while the handler's stream is still open.
    expect(new TextDecoder().decode(first.value)).toBe('data: first\n\n');
    // A duplicate meanwhile is a conflict: the key completes when the stream ends.
    expect((await handler(post({ 'idempotency-key': 'k' }))).status).toBe(409);
    finish();
    let rest = '';
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      rest += new TextDecoder().decode(next.value);
    }
    expect(rest).toBe('data: last\n\n');
    const replay = await handler(post({ 'idempotency-key': 'k' }));
    expect(await replay.text()).toBe('data: first\n\ndata: last\n\n');
    expect(runs).toBe(1);
  });

  it('keeps the key completed (not released) when the caller goes away mid-stream', async () => {
    let runs = 0;
    const handler = withIdempotency(
      async () => {
        runs++;
        return new Response(
          new ReadableStream<Uint8Array>({
            async pull(controller) {
              await sleep(5);
              controller.enqueue(new Uint8Array(8));
            },
          }),
        );
      },
      { store: new MemoryStore() },
    );
    const response = await handler(post({ 'idempotency-key': 'k' }));
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.cancel();
    const retry = await handler(post({ 'idempotency-key': 'k' }));
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(((await retry.json()) as Problem).type).toBe(PROBLEM_TYPES.notRetained);
    expect(runs).toBe(1);
  });
});
