/**
 * The at-most-once rules of the guarded run that go through a store (issue 12: fail-open after
 * the store has spoken, failures after the handler returned, records that cannot be replayed,
 * responses over the store's record limit), run through `withIdempotency` on each real store.
 * Like the store contract, it imports nothing but vitest and the core, so it runs in workerd.
 */
import { describe, expect, it } from 'vitest';
import { IdempotencyRecordTooLargeError, IdempotencyStoreError } from '../../src/errors.ts';
import type { IdempotencyEvent, IdempotencyOptions } from '../../src/index.ts';
import { PROBLEM_TYPES } from '../../src/problem.ts';
import type { IdempotencyStore, StoredResponse } from '../../src/types.ts';
import { withIdempotency } from '../../src/with-idempotency.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The real store with one step made to fail, as a network fault would: the backend is untouched. */
function faulty(store: IdempotencyStore, failBeginAfter = Number.POSITIVE_INFINITY): IdempotencyStore {
  let begins = 0;
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'begin') {
        return (input: Parameters<IdempotencyStore['begin']>[0]) => {
          if (++begins > failBeginAfter)
            return Promise.reject(new IdempotencyStoreError(store.name, 'begin failed'));
          return target.begin(input);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function withLimit(store: IdempotencyStore, overrides: Partial<IdempotencyStore>): IdempotencyStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property in overrides) return overrides[property as keyof IdempotencyStore];
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const post = (key: string, body = '{"amount":1}') =>
  new Request('https://api.example.com/orders', {
    method: 'POST',
    body,
    headers: { 'idempotency-key': key, 'content-type': 'application/json' },
  });

function counted(
  store: IdempotencyStore,
  respond: (run: number) => Response | Promise<Response>,
  options: Partial<IdempotencyOptions> = {},
) {
  let runs = 0;
  const events: IdempotencyEvent[] = [];
  const handler = withIdempotency(async () => respond(++runs), {
    onEvent: (event) => void events.push(event),
    ...options,
    store,
  });
  return { handler, runs: () => runs, events };
}

/**
 * Write a completed record straight into the store, under the storage key and fingerprint the
 * wrapper would use for `request`, as a foreign or damaged writer could.
 */
async function writeRecord(
  store: IdempotencyStore,
  request: Request,
  response: StoredResponse,
): Promise<void> {
  let seen: { key: string; fingerprint: string } | undefined;
  const recording = withLimit(store, {
    begin: async (input) => {
      seen = input;
      return {
        acquired: false,
        record: { state: 'in_progress', fingerprint: input.fingerprint, expiresAt: Date.now() + 60_000 },
      };
    },
  });
  await withIdempotency(() => new Response('never runs'), { store: recording })(request);
  if (!seen) throw new Error('the wrapper never called begin');
  await store.begin({ key: seen.key, fingerprint: seen.fingerprint, token: 'writer', leaseMs: 60_000 });
  await store.complete({ key: seen.key, token: 'writer', response, ttlMs: 60_000 });
}

/**
 * A server-sent-events response: one event at once, the second only once `rest` resolves (a
 * byte stream with `kind: 'bytes'`). A wrapper that held the first back for the end would wait
 * forever: the test reads the first event before it opens the rest.
 */
function twoEvents(rest: Promise<void>, kind?: 'bytes'): Response {
  const [first, second] = ['data: 1\n\n', 'data: 2\n\n'].map(
    (event) => new TextEncoder().encode(event) as Uint8Array<ArrayBuffer>,
  ) as [Uint8Array<ArrayBuffer>, Uint8Array<ArrayBuffer>];
  const events = {
    start(controller: { enqueue(chunk: Uint8Array<ArrayBuffer>): void }) {
      controller.enqueue(first);
    },
    async pull(controller: { enqueue(chunk: Uint8Array<ArrayBuffer>): void; close(): void }) {
      await rest;
      controller.enqueue(second);
      controller.close();
    },
  };
  const body = kind ? new ReadableStream({ type: kind, ...events }) : new ReadableStream(events);
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

/** A promise the test resolves when it chooses: `open` lets whatever awaits `opened` go on. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

const uniqueKey = () => `rules-${crypto.randomUUID()}`;

/** A guarded handler with a 4 KiB body limit that records the length of each body it reads. */
function bodyLengthsSeen(store: IdempotencyStore) {
  const seen: number[] = [];
  const handler = withIdempotency(
    async (request: Request) => {
      seen.push((await request.arrayBuffer()).byteLength);
      return new Response(`run ${seen.length}`, { status: 201 });
    },
    { store, maxBodyBytes: 4096 },
  );
  return { handler, seen };
}

export function describeWrapperRules(
  name: string,
  makeStore: () => IdempotencyStore | Promise<IdempotencyStore>,
): void {
  describe(`at most once through withIdempotency on ${name}`, () => {
    it('fail-open never runs beside a holder once the store said the key is held (a failing poll answers 503)', async () => {
      const store = await makeStore();
      let release!: () => void;
      const first = counted(
        store,
        async () => {
          await new Promise<void>((resolve) => {
            release = resolve;
          });
          return new Response('first', { status: 201 });
        },
        { onStoreError: 'fail-open', onConflict: 'wait', waitTimeoutMs: 2_000 },
      );
      const key = uniqueKey();
      const running = first.handler(post(key));
      while (first.runs() === 0) await sleep(5);
      // Same store, same key: the first begin answers "held", the poll that follows fails.
      const duplicate = counted(faulty(store, 1), () => new Response('second', { status: 201 }), {
        onStoreError: 'fail-open',
        onConflict: 'wait',
        waitTimeoutMs: 2_000,
      });
      const answer = await duplicate.handler(post(key));
      expect(answer.status).toBe(503);
      expect(duplicate.runs()).toBe(0);
      release();
      expect((await running).status).toBe(201);
    });

    it('fail-open never runs a request whose record cannot be read (503)', async () => {
      const store = await makeStore();
      const key = uniqueKey();
      // A record under the wrapper's own storage key that no Response can carry (status 101).
      await writeRecord(store, post(key), { status: 101, headers: [], body: new Uint8Array(0) });
      const { handler, runs } = counted(store, () => new Response('ok', { status: 201 }), {
        onStoreError: 'fail-open',
      });
      const answer = await handler(post(key));
      expect(answer.status).toBe(503);
      expect(((await answer.json()) as { type: string }).type).toBe(PROBLEM_TYPES.storeUnavailable);
      expect(runs()).toBe(0);
    });

    it('releases the key when the response body stream errors, and the caller sees that error', async () => {
      const store = await makeStore();
      const key = uniqueKey();
      const failure = new Error('stream broke');
      const { handler, runs } = counted(store, (run) =>
        run === 1
          ? new Response(
              new ReadableStream({
                start(controller) {
                  controller.enqueue(new TextEncoder().encode('partial'));
                  controller.error(failure);
                },
              }),
              { status: 201 },
            )
          : new Response(`run ${run}`, { status: 201 }),
      );
      await expect(handler(post(key))).rejects.toBe(failure);
      const retry = await handler(post(key));
      expect(retry.status).toBe(201);
      expect(await retry.text()).toBe('run 2');
      expect(runs()).toBe(2);
    });

    it('releases the key when a streamed body errors midway (after the response went out)', async () => {
      const store = await makeStore();
      const key = uniqueKey();
      const broken = gate();
      const { handler, runs } = counted(store, (run) =>
        run === 1
          ? new Response(
              new ReadableStream({
                async pull(controller) {
                  controller.enqueue(new TextEncoder().encode('data: 1\n\n'));
                  await broken.opened;
                  controller.error(new Error('upstream went away'));
                },
              }),
              { status: 200, headers: { 'content-type': 'text/event-stream' } },
            )
          : new Response(`run ${run}`, { status: 201 }),
      );
      const first = await handler(post(key));
      broken.open();
      await expect(first.text()).rejects.toThrow('upstream went away');
      const retry = await handler(post(key));
      expect(await retry.text()).toBe('run 2');
      expect(runs()).toBe(2);
    });

    it('reads every byte of a request body whatever its Content-Length says, and stops past the limit', async () => {
      const { handler, seen } = bodyLengthsSeen(await makeStore());
      // A body built in-process can disagree with its header; the wire never lets it.
      const sent = (key: string, body: Uint8Array, declared: number) =>
        handler(
          new Request('https://api.example.com/orders', {
            method: 'POST',
            body: body as Uint8Array<ArrayBuffer>,
            headers: { 'idempotency-key': key, 'content-length': String(declared) },
          }),
        );
      const bytes = (length: number, last = 0x61) => {
        const body = new Uint8Array(length).fill(0x61);
        body[length - 1] = last;
        return body;
      };
      const [exact, shorter, longer] = [uniqueKey(), uniqueKey(), uniqueKey()];
      expect((await sent(exact, bytes(1024), 1024)).status).toBe(201);
      expect((await sent(shorter, bytes(500), 1024)).status).toBe(201);
      expect((await sent(longer, bytes(3000), 1024)).status).toBe(201);
      expect(seen).toEqual([1024, 500, 3000]);
      // The fingerprint covers the bytes past the declared length: a different last byte is a 422.
      expect((await sent(longer, bytes(3000, 0x62), 1024)).status).toBe(422);
      expect((await sent(longer, bytes(3000), 1024)).headers.get('idempotent-replayed')).toBe('true');
      const tooLarge = await sent(uniqueKey(), bytes(5000), 1024);
      expect(tooLarge.status).toBe(413);
      expect(seen).toHaveLength(3);
    });

    it('reads a request body that streams in slowly whole, past its declared length, and stops past the limit', async () => {
      const { handler, seen } = bodyLengthsSeen(await makeStore());
      // A byte stream that answers each pull a moment later (as a client uploading does), with
      // a Content-Length of its first chunk only: in workerd a read asks for all the declared
      // length and more, and must still wait for every chunk.
      const sent = (key: string, chunks: number, last = 0x61) => {
        let pulled = 0;
        const body = new ReadableStream({
          type: 'bytes' as const,
          async pull(controller: ReadableByteStreamController) {
            await sleep(2);
            if (pulled === chunks) return controller.close();
            const chunk = new Uint8Array(700).fill(0x61);
            if (++pulled === chunks) chunk[699] = last;
            controller.enqueue(chunk);
          },
        });
        return handler(
          new Request('https://api.example.com/orders', {
            method: 'POST',
            body,
            headers: { 'idempotency-key': key, 'content-length': '700' },
            duplex: 'half',
          } as RequestInit),
        );
      };
      const key = uniqueKey();
      expect((await sent(key, 3)).status).toBe(201);
      expect(seen).toEqual([2100]);
      expect((await sent(key, 3, 0x62)).status).toBe(422);
      expect((await sent(key, 3)).headers.get('idempotent-replayed')).toBe('true');
      expect((await sent(uniqueKey(), 7)).status).toBe(413);
      expect(seen).toEqual([2100]);
    });

    it('gives each replay headers of its own: changing one replay’s changes neither the record nor the next', async () => {
      const store = await makeStore();
      const { handler, runs } = counted(
        store,
        () => {
          const headers = new Headers({ 'content-type': 'application/json', 'idempotent-replayed': 'stale' });
          headers.append('set-cookie', 'a=1');
          headers.append('set-cookie', 'b=2');
          return new Response('{"ok":true}', { status: 201, headers });
        },
        { storeSetCookie: true },
      );
      const key = uniqueKey();
      await (await handler(post(key))).text();
      const first = await handler(post(key));
      // What a middleware does to a response on its way out (CORS, tracing).
      first.headers.set('access-control-allow-origin', '*');
      first.headers.set('idempotent-replayed', 'changed');
      first.headers.delete('set-cookie');
      const second = await handler(post(key));
      for (const replay of [second, await handler(post(key))]) {
        expect(replay.status).toBe(201);
        expect(replay.headers.get('idempotent-replayed')).toBe('true');
        expect(replay.headers.get('access-control-allow-origin')).toBeNull();
        expect(replay.headers.get('set-cookie')).toBe('a=1, b=2');
        expect(await replay.text()).toBe('{"ok":true}');
      }
      expect(runs()).toBe(1);
    });

    it('hands the caller the first chunk of a streamed body before the stream ends, then completes the key', async () => {
      const store = await makeStore();
      const key = uniqueKey();
      const laterEvents = gate();
      const { handler, runs } = counted(store, () => twoEvents(laterEvents.opened));
      const first = await handler(post(key));
      const reader = (first.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      expect(decoder.decode((await reader.read()).value)).toBe('data: 1\n\n');
      // The stream has not ended, so neither has the run: a retry is not served half a body.
      expect((await handler(post(key))).status).toBe(409);

      laterEvents.open();
      let rest = '';
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        rest += decoder.decode(read.value);
      }
      expect(rest).toBe('data: 2\n\n');
      const replay = await handler(post(key));
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(await replay.text()).toBe('data: 1\n\ndata: 2\n\n');
      expect(runs()).toBe(1);
    });

    it('captures byte-stream bodies as any other: whole, over maxResponseBytes, slow, and failing', async () => {
      const store = await makeStore();
      const encoder = new TextEncoder();
      const bytesOf = (text: string) =>
        new ReadableStream({
          type: 'bytes',
          start(controller) {
            controller.enqueue(encoder.encode(text));
            controller.close();
          },
        });
      // In memory, past one read's room: stored whole.
      const large = 'l'.repeat(10_000);
      const inMemory = counted(store, () => new Response(bytesOf(large), { status: 201 }));
      const key = uniqueKey();
      expect(await (await inMemory.handler(post(key))).text()).toBe(large);
      expect(await (await inMemory.handler(post(key))).text()).toBe(large);
      expect(inMemory.runs()).toBe(1);

      // Over maxResponseBytes: the caller gets all of it, the record keeps none of it.
      const overLimit = counted(store, () => new Response('o'.repeat(5_000), { status: 201 }), {
        maxResponseBytes: 2_000,
      });
      const overKey = uniqueKey();
      expect(await (await overLimit.handler(post(overKey))).text()).toBe('o'.repeat(5_000));
      expect(overLimit.events.map((event) => event.type)).toContain('not_retained');
      const notRetained = await overLimit.handler(post(overKey));
      expect(notRetained.status).toBe(201);
      expect(((await notRetained.json()) as { type: string }).type).toBe(PROBLEM_TYPES.notRetained);

      // Slow: the first chunk reaches the caller before the end, and the key completes at the end.
      const laterEvents = gate();
      const slow = counted(store, () => twoEvents(laterEvents.opened, 'bytes'));
      const slowKey = uniqueKey();
      const first = await slow.handler(post(slowKey));
      const reader = (first.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let received = decoder.decode((await reader.read()).value);
      expect(received).toBe('data: 1\n\n');
      expect((await slow.handler(post(slowKey))).status).toBe(409);
      laterEvents.open();
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        received += decoder.decode(read.value);
      }
      expect(received).toBe('data: 1\n\ndata: 2\n\n');
      expect(await (await slow.handler(post(slowKey))).text()).toBe('data: 1\n\ndata: 2\n\n');
      expect(slow.runs()).toBe(1);

      // Failing before anything could be sent: the caller sees the error, the key is free again.
      const failure = new Error('byte stream broke');
      const failing = counted(store, (run) =>
        run === 1
          ? new Response(
              new ReadableStream({
                type: 'bytes',
                start(controller) {
                  controller.error(failure);
                },
              }),
              { status: 201 },
            )
          : new Response(`run ${run}`, { status: 201 }),
      );
      const failKey = uniqueKey();
      await expect(failing.handler(post(failKey))).rejects.toBe(failure);
      expect(await (await failing.handler(post(failKey))).text()).toBe('run 2');
      expect(failing.runs()).toBe(2);
    });

    it('releases the key when shouldStore throws, or the body was already used', async () => {
      const store = await makeStore();
      const broken = new Error('shouldStore broke');
      const key = uniqueKey();
      const throwing = counted(store, (run) => new Response(`run ${run}`, { status: 201 }), {
        shouldStore: () => {
          throw broken;
        },
      });
      await expect(throwing.handler(post(key))).rejects.toBe(broken);
      const fine = counted(store, (run) => new Response(`fine ${run}`, { status: 201 }));
      expect(await (await fine.handler(post(key))).text()).toBe('fine 1');

      const usedKey = uniqueKey();
      const used = counted(store, async (run) => {
        const response = new Response(`run ${run}`, { status: 201 });
        if (run === 1) await response.text();
        return response;
      });
      await expect(used.handler(post(usedKey))).rejects.toThrow(TypeError);
      expect(await (await used.handler(post(usedKey))).text()).toBe('run 2');
    });

    it('passes through a response that cannot be replayed (Response.error()) without storing it', async () => {
      const store = await makeStore();
      const key = uniqueKey();
      const { handler, runs, events } = counted(store, (run) =>
        run === 1 ? Response.error() : new Response(`run ${run}`, { status: 201 }),
      );
      expect((await handler(post(key))).type).toBe('error');
      expect(events.map((event) => event.type)).toContain('released');
      const retry = await handler(post(key));
      expect(retry.status).toBe(201);
      expect(runs()).toBe(2);
    });

    it('answers 503, never throws, for a stored record with a header Response refuses', async () => {
      const store = await makeStore();
      const key = uniqueKey();
      await writeRecord(store, post(key), {
        status: 200,
        headers: [['bad name', 'x']],
        body: new Uint8Array(0),
      });
      const { handler, runs } = counted(store, () => new Response('ok', { status: 201 }));
      const answer = await handler(post(key));
      expect(answer.status).toBe(503);
      expect(runs()).toBe(0);
    });

    it('completes a response over the store’s record limit without its body, reported not_retained', async () => {
      const store = withLimit(await makeStore(), { maxRecordBytes: 1_000 });
      const key = uniqueKey();
      const big = 'x'.repeat(5_000);
      const { handler, runs, events } = counted(store, () => new Response(big, { status: 201 }));
      const first = await handler(post(key));
      expect(await first.text()).toBe(big);
      expect(events.map((event) => event.type)).toContain('not_retained');
      expect(events.map((event) => event.type)).not.toContain('stored');
      const replay = await handler(post(key));
      expect(replay.status).toBe(201);
      expect(((await replay.json()) as { type: string }).type).toBe(PROBLEM_TYPES.notRetained);
      expect(runs()).toBe(1);
    });

    it('completes without the body when the store refuses the record as too large', async () => {
      const real = await makeStore();
      const store = withLimit(real, {
        complete: (input) =>
          input.response.body !== null && input.response.body.byteLength > 1_000
            ? Promise.reject(new IdempotencyRecordTooLargeError(real.name, 'item too large'))
            : real.complete(input),
      });
      const key = uniqueKey();
      const { handler, runs, events } = counted(
        store,
        () => new Response('y'.repeat(5_000), { status: 201 }),
      );
      expect((await handler(post(key))).status).toBe(201);
      expect(events.map((event) => event.type)).toContain('not_retained');
      const replay = await handler(post(key));
      expect(((await replay.json()) as { type: string }).type).toBe(PROBLEM_TYPES.notRetained);
      expect(runs()).toBe(1);
    });
  });
}
