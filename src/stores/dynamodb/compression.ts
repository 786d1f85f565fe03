/**
 * gzip through the Web-standard compression streams, so the store runs unchanged in Node,
 * workerd and other edge runtimes (no `node:zlib`).
 */

/** gzip `bytes`. */
export function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  return transform(bytes, new CompressionStream('gzip'));
}

/** Undo {@link gzip}; rejects on bytes that are not gzip. */
export function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  return transform(bytes, new DecompressionStream('gzip'));
}

async function transform(bytes: Uint8Array, stream: CompressionStream | DecompressionStream) {
  // A copy with its own ArrayBuffer: Blob wants plain buffers, not views of shared ones.
  const source = new Blob([bytes.slice()]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(source).arrayBuffer());
}
