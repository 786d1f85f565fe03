/**
 * The streamed handler of the first-chunk bench, shared by Node and the Worker (so it uses Web
 * APIs only): an SSE-like body whose first event is there at once and whose next events come on
 * the producer's own clock, as an LLM token stream does, whether or not the caller reads.
 */

export const SSE_EVENTS = 6;
export const SSE_GAP_MS = 20;

const encoder = new TextEncoder();
const event = (i: number) => encoder.encode(`id: ${i}\ndata: {"token":"t${i}"}\n\n`);

/** The bytes a caller must receive, to check each sample got the whole stream. */
export const SSE_BYTES = Array.from({ length: SSE_EVENTS }, (_, i) => event(i).byteLength).reduce(
  (a, b) => a + b,
  0,
);

/** Reads the prompt first, as a real endpoint must (and as the wrapper does to fingerprint it). */
export async function sseHandler(request: Request): Promise<Response> {
  await request.arrayBuffer();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(event(0));
      let sent = 1;
      const next = () => {
        controller.enqueue(event(sent));
        if (++sent === SSE_EVENTS) controller.close();
        else timer = setTimeout(next, SSE_GAP_MS);
      };
      timer = setTimeout(next, SSE_GAP_MS);
    },
    cancel() {
      clearTimeout(timer);
    },
  });
  return new Response(body, {
    status: 200,
    headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
  });
}
