import { asBodyInit, concatBytes } from './body.ts';
import { setKnownBody } from './known-body.ts';

/** What the capture tells its owner about the body, once. */
export interface CaptureSink {
  /**
   * The body ended: its bytes, or `null` when it passed `maxBytes` (or the caller went away
   * before the end) and is not retained. Awaited before the caller sees the end of the body,
   * so a retry that follows the response always finds the record complete.
   */
  end(body: Uint8Array | null): Promise<unknown>;
  /** The body stream failed; the caller then sees that same error. */
  fail(error: unknown): Promise<unknown>;
}

const TICK = Symbol('tick');

/**
 * Read a handler's response for storage while giving the caller a response equal to it.
 *
 * A body that is already there (a string, JSON, bytes: every chunk arrives without waiting on
 * the event loop) and fits in `maxBytes` is read whole, `sink.end` is awaited, and the caller
 * gets a response around the same bytes. A larger body, or one that makes us wait (server-sent events, an LLM token stream, a proxied
 * download) streams: each chunk goes to the caller as it comes while a copy of up to `maxBytes`
 * is kept, and the record is completed when the stream ends. A stream that errors calls
 * `sink.fail`; reading a body that was already used throws, before anything is sent.
 */
export async function captureResponse(
  response: Response,
  maxBytes: number,
  sink: CaptureSink,
): Promise<Response> {
  if (response.body === null) {
    await sink.end(new Uint8Array(0));
    return response;
  }
  const reader = response.body.getReader();
  const init = { status: response.status, statusText: response.statusText, headers: response.headers };
  const chunks: Uint8Array[] = [];
  let size = 0;
  let pending = reader.read();
  let next: ReadableStreamReadResult<Uint8Array> | typeof TICK;
  // One macrotask for the whole body, not one per read: a timer is the dearest step of a
  // capture in workerd, and a body already in memory arrives within the first anyway.
  const { tick, cancel } = nextMacrotask();
  try {
    for (;;) {
      next = await Promise.race([pending, tick]);
      if (next === TICK || next.done) break;
      chunks.push(next.value);
      size += next.value.byteLength;
      pending = reader.read();
      // Past the limit nothing more is kept: stream the rest rather than hold it all.
      if (size > maxBytes) break;
    }
  } finally {
    cancel();
  }
  if (next !== TICK && next.done) {
    const bytes = concatBytes(chunks, size);
    await sink.end(bytes);
    const copy = new Response(asBodyInit(bytes), init);
    setKnownBody(copy, bytes);
    return copy;
  }
  // Nobody awaits the read in flight until the caller pulls: keep its failure from counting
  // as unhandled meanwhile (the pull still sees it).
  pending.catch(() => {});
  return new Response(streamThrough(reader, pending, chunks, size, maxBytes, sink), init);
}

/** Node's and Bun's `setImmediate`, which the Web platform lacks. */
interface Immediates {
  setImmediate?: <T>(callback: (value: T) => void, value: T) => unknown;
  clearImmediate?: (immediate: unknown) => void;
}

/**
 * A promise of {@link TICK} once the event loop has turned. `setImmediate` where there is one
 * (Node, Bun): Node's `setTimeout(0)` waits at least 1 ms, and up to 3 under load, which a
 * streamed body's first chunk would wait out. workerd and Deno have only `setTimeout`.
 */
function nextMacrotask(): { tick: Promise<typeof TICK>; cancel: () => void } {
  let cancel!: () => void;
  const tick = new Promise<typeof TICK>((resolve) => {
    const { setImmediate, clearImmediate } = globalThis as Immediates;
    try {
      if (setImmediate && clearImmediate) {
        const immediate = setImmediate(resolve, TICK);
        cancel = () => clearImmediate(immediate);
        return;
      }
    } catch {
      // Next.js's Edge runtime defines setImmediate to throw: fall back to a timer.
    }
    const timer = setTimeout(resolve, 0, TICK);
    cancel = () => clearTimeout(timer);
  });
  return { tick, cancel };
}

/** The rest of a slow body, chunk by chunk, with a copy kept for the sink. */
function streamThrough(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  inFlight: Promise<ReadableStreamReadResult<Uint8Array>>,
  head: Uint8Array[],
  headSize: number,
  maxBytes: number,
  sink: CaptureSink,
): ReadableStream<Uint8Array> {
  let copy: Uint8Array[] | null = headSize > maxBytes ? null : [...head];
  let size = headSize;
  let finished = false;
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined = inFlight;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = head.shift();
      if (chunk) return controller.enqueue(chunk);
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await (pending ?? reader.read());
        pending = undefined;
      } catch (error) {
        finished = true;
        await sink.fail(error);
        return controller.error(error);
      }
      if (next.done) {
        finished = true;
        await sink.end(copy ? concatBytes(copy, size) : null);
        return controller.close();
      }
      size += next.value.byteLength;
      if (copy && size <= maxBytes) copy.push(next.value);
      else copy = null;
      controller.enqueue(next.value);
    },
    async cancel(reason) {
      if (finished) return;
      finished = true;
      // The caller went away mid-body. The handler has run: keep that it did (without the
      // body), never release the key to a second run.
      await Promise.all([reader.cancel(reason).catch(() => {}), sink.end(null)]);
    },
  });
}
