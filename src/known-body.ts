// A property under a private symbol, not a WeakMap entry: every first answer and replay is
// marked, and on Node a WeakMap holding each short-lived message costs the garbage collector
// more than the mark saves.
const KNOWN = Symbol();
type Marked = { [KNOWN]?: Uint8Array };

/**
 * Say that a Request or Response built in-process carries exactly these body bytes, so the
 * wrapper and the runtime adapters can use them instead of reading (and re-creating) the body
 * stream. A Lambda adapter that decoded the event's body sets it on the Request it builds; the
 * wrapper sets it on the responses it builds from bytes it holds (first answers and replays), so
 * the adapter can turn them into a Lambda result without reading them back.
 *
 * Only the code that built the message may call this: the bytes must be its body, unread.
 */
export function setKnownBody(message: Request | Response, bytes: Uint8Array): void {
  try {
    (message as Marked)[KNOWN] = bytes;
  } catch {
    // A frozen message stays unmarked: whoever needs its bytes reads its body instead.
  }
}

/** The bytes set by {@link setKnownBody}, while the body has not been read by anyone else. */
export function knownBody(message: Request | Response): Uint8Array | undefined {
  return message.bodyUsed ? undefined : (message as Marked)[KNOWN];
}
