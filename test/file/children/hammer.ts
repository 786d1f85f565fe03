/**
 * One of several processes (Node, Deno or Bun) sending the same request to a handler guarded by one FileStore
 * file. Waits for a line on stdin (so every process starts at once), sends `requests` copies at
 * the same time, prints one JSON line per response. Every run appends this pid to `runsFile`.
 * Arguments: database path, runs file, idempotency key, number of requests.
 */

import { Buffer } from 'node:buffer';
import { once } from 'node:events';
import { appendFileSync } from 'node:fs';
import process from 'node:process';
import { withIdempotency } from '../../../src/index.ts';
import { FileStore } from '../../../src/stores/file/index.ts';

const [path = '', runsFile = '', key = '', requests = '1'] = process.argv.slice(2);

const handler = withIdempotency(
  async (request: Request) => {
    appendFileSync(runsFile, `${process.pid}\n`);
    const body = new Uint8Array(await request.arrayBuffer());
    // Long enough that the other processes arrive while this run holds the key.
    await new Promise((resolve) => setTimeout(resolve, 300));
    return new Response(body.reverse(), {
      status: 201,
      headers: { 'content-type': 'application/octet-stream', 'x-pid': String(process.pid) },
    });
  },
  { store: new FileStore({ path }), onConflict: 'wait' },
);

process.stdout.write('ready\n');
await once(process.stdin, 'data');
const body = Uint8Array.from({ length: 256 }, (_, i) => i);
const responses = await Promise.all(
  Array.from({ length: Number(requests) }, () =>
    handler(
      new Request('http://localhost/charge', {
        method: 'POST',
        headers: { 'idempotency-key': key, 'content-type': 'application/octet-stream' },
        body,
      }),
    ),
  ),
);
for (const response of responses) {
  const bytes = new Uint8Array(await response.arrayBuffer());
  const line = {
    status: response.status,
    replayed: response.headers.get('idempotent-replayed'),
    pid: response.headers.get('x-pid'),
    body: Buffer.from(bytes).toString('hex'),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
process.exit(0);
