/**
 * What must never reach a store, and a scanner that looks for it in a backend's stored bytes,
 * also inside the encodings stores use (base64 text, gzip). Web APIs only.
 */
import { expect } from 'vitest';
import type { IdempotencyStore } from '../../src/types.ts';
import { withIdempotency } from '../../src/with-idempotency.ts';

/** Unique markers a request carries; none may be stored. */
export function newSecrets() {
  const id = crypto.randomUUID().replaceAll('-', '');
  return {
    key: `KEYSECRET${id}`,
    body: `BODYSECRET${id}`,
    authorization: `AUTHSECRET${id}`,
    cookie: `REQCOOKIESECRET${id}`,
    setCookie: `RESCOOKIESECRET${id}`,
  };
}
export type Secrets = ReturnType<typeof newSecrets>;

const utf8 = new TextEncoder();
const latin1 = (bytes: Uint8Array) => Array.from(bytes, (byte) => String.fromCharCode(byte)).join('');

async function gunzip(bytes: Uint8Array): Promise<Uint8Array | undefined> {
  try {
    const stream = new Blob([bytes.slice()]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch {
    return undefined;
  }
}

/** Every readable form of some stored bytes: as is, base64-decoded runs, gunzipped parts. */
async function forms(bytes: Uint8Array, depth = 0): Promise<string[]> {
  const text = latin1(bytes);
  const out = [text];
  if (depth > 2) return out;
  for (let at = text.indexOf('\x1f\x8b'); at !== -1; at = text.indexOf('\x1f\x8b', at + 1)) {
    const inflated = await gunzip(bytes.subarray(at));
    if (inflated) out.push(...(await forms(inflated, depth + 1)));
  }
  for (const run of text.match(/[A-Za-z0-9+/]{12,}={0,2}/g) ?? []) {
    for (let shift = 0; shift < 4; shift++) {
      try {
        const part = run.slice(shift, shift + Math.floor((run.length - shift) / 4) * 4);
        out.push(
          ...(await forms(
            Uint8Array.from(atob(part), (c) => c.charCodeAt(0)),
            depth + 1,
          )),
        );
      } catch {}
    }
  }
  return out;
}

/** The names of the secrets found anywhere in `stored` (keys and values of a backend). */
export async function secretsFound(stored: Uint8Array[], secrets: Record<string, string>): Promise<string[]> {
  const texts = (await Promise.all(stored.map((bytes) => forms(bytes)))).flat();
  return Object.entries(secrets)
    .filter(([, secret]) => texts.some((text) => text.includes(latin1(utf8.encode(secret)))))
    .map(([name]) => name);
}

/**
 * Send requests carrying every secret through the wrapper: one completed and replayed, one
 * whose handler answers 500 (released), and `inspect` called while one is still in progress.
 * The handler answers Set-Cookie with a secret, and a body of its own (responses are stored).
 */
export async function sendSecrets(
  store: IdempotencyStore,
  secrets: Secrets,
  options: { storeSetCookie?: boolean; inspect: () => Promise<void> },
): Promise<void> {
  let status = 201;
  const serve = withIdempotency(
    async (request: Request) => {
      await request.text();
      if (status === 202) await options.inspect();
      return new Response('{"ok":true}', {
        status,
        headers: { 'content-type': 'application/json', 'set-cookie': `session=${secrets.setCookie}` },
      });
    },
    { store, storeSetCookie: options.storeSetCookie ?? false },
  );
  const send = (suffix: string) =>
    serve(
      new Request('https://api.example/pay', {
        method: 'POST',
        headers: {
          'idempotency-key': `${secrets.key}${suffix}`,
          authorization: `Bearer ${secrets.authorization}`,
          cookie: `sid=${secrets.cookie}`,
          'content-type': 'text/plain',
        },
        body: `card=${secrets.body}`,
      }),
    );
  expect((await send('-a')).status).toBe(201);
  expect((await send('-a')).headers.get('idempotent-replayed')).toBe('true');
  status = 500;
  expect((await send('-b')).status).toBe(500);
  status = 202;
  expect((await send('-c')).status).toBe(202);
}
