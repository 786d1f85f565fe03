import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdempotencyStore, MemoryStore, withIdempotency } from '../../src/index.ts';
import { UpstashStore } from '../../src/stores/upstash/index.ts';
import { githubDelivery, standardWebhookId, stripeEventId, webhookFingerprint } from '../../src/webhooks.ts';
import { RELAXED_TIMEOUT_MS, startUpstashBackend, type UpstashBackend } from '../upstash/backend.ts';
import {
  GITHUB_SECRET,
  githubDelivery as githubRequest,
  standardWebhook,
  stripeDelivery,
  stripeEventBody,
  verifyGithubSignature,
} from './deliveries.ts';

let backend: UpstashBackend;
beforeAll(async () => {
  backend = await startUpstashBackend();
});
afterAll(async () => {
  await backend?.stop();
});

const STORES: Array<[string, () => IdempotencyStore]> = [
  ['MemoryStore', () => new MemoryStore()],
  [
    'UpstashStore (redis-server)',
    () => new UpstashStore({ redis: backend.client(), prefix: 'webhooks:', timeoutMs: RELAXED_TIMEOUT_MS }),
  ],
];

const ROTATED_SECRET = 'github-webhook-secret-2';

describe.each(STORES)('a retried webhook on %s', (_name, makeStore) => {
  /**
   * The recipe of docs/webhooks.md: verify the signature (here with both secrets of a
   * rotation), then the guard keyed on the delivery id. Counts the handler's runs.
   */
  function githubReceiver(store: IdempotencyStore) {
    let runs = 0;
    const guarded = withIdempotency(
      async (request: Request) => {
        runs++;
        const event = (await request.json()) as { action: string };
        await new Promise((resolve) => setTimeout(resolve, 20));
        return Response.json({ handled: event.action, run: runs, at: crypto.randomUUID() });
      },
      { store, key: githubDelivery, required: true },
    );
    const receive = async (request: Request) => {
      const verified =
        (await verifyGithubSignature(request, GITHUB_SECRET)) ||
        (await verifyGithubSignature(request, ROTATED_SECRET));
      return verified ? guarded(request) : new Response('bad signature', { status: 401 });
    };
    return { receive, runs: () => runs };
  }

  it('a GitHub redelivery (same X-GitHub-Delivery, new signature) replays the first answer', async () => {
    const { receive, runs } = githubReceiver(makeStore());
    const delivery = crypto.randomUUID();
    const first = await githubRequest(delivery);
    const redelivery = await githubRequest(delivery, { secret: ROTATED_SECRET });
    expect(redelivery.headers.get('x-hub-signature-256')).not.toBe(first.headers.get('x-hub-signature-256'));

    const answered = await receive(first);
    const firstBody = await answered.text();
    expect(answered.status).toBe(200);
    const replayed = await receive(redelivery);
    expect(replayed.status).toBe(200);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(await replayed.text()).toBe(firstBody);
    expect(runs()).toBe(1);

    const other = await receive(await githubRequest(crypto.randomUUID()));
    expect(other.headers.get('idempotent-replayed')).toBeNull();
    expect(runs()).toBe(2);
  });

  it('twelve copies of one delivery at once run the handler once; none is told to stop with a 4xx', async () => {
    const { receive, runs } = githubReceiver(makeStore());
    const delivery = crypto.randomUUID();
    const copies = await Promise.all(Array.from({ length: 12 }, () => githubRequest(delivery)));
    const statuses = (await Promise.all(copies.map(receive))).map((response) => response.status);
    expect(runs()).toBe(1);
    // 200: the first and any replay; 409: still running, which senders retry later.
    expect(statuses.filter((status) => status !== 200 && status !== 409)).toEqual([]);
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(1);
  });

  it('a delivery forged under a real id is refused before the guard and does not take the key', async () => {
    const { receive, runs } = githubReceiver(makeStore());
    const delivery = crypto.randomUUID();
    const forged = await githubRequest(delivery, { body: '{"action":"deleted"}', secret: 'guessed' });
    expect((await receive(forged)).status).toBe(401);
    const real = await receive(await githubRequest(delivery));
    expect(real.status).toBe(200);
    expect(real.headers.get('idempotent-replayed')).toBeNull();
    expect(runs()).toBe(1);
  });

  it('a delivery without X-GitHub-Delivery gets 400 with required: true, and does not run', async () => {
    const { receive, runs } = githubReceiver(makeStore());
    const request = await githubRequest('x');
    request.headers.delete('x-github-delivery');
    const response = await receive(request);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(runs()).toBe(0);
  });

  it('a Standard Webhooks retry (new webhook-timestamp and webhook-signature) replays', async () => {
    let runs = 0;
    const receive = withIdempotency(async () => new Response(`run ${++runs}`, { status: 202 }), {
      store: makeStore(),
      key: standardWebhookId,
      required: true,
    });
    const id = `msg_${crypto.randomUUID()}`;
    const first = await receive(await standardWebhook(id, 1_674_087_231));
    const retry = await receive(await standardWebhook(id, 1_674_087_236));
    expect([first.status, await first.text()]).toEqual([202, 'run 1']);
    expect([retry.status, await retry.text()]).toEqual([202, 'run 1']);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(runs).toBe(1);
  });

  it('a Stripe retry whose body was serialized again replays with webhookFingerprint (422 without)', async () => {
    const newId = () => `evt_${crypto.randomUUID().replaceAll('-', '')}`;
    let id = newId();
    const first = () => stripeDelivery(stripeEventBody(id, 2), 1_718_000_100);
    const retry = () => stripeDelivery(stripeEventBody(id, 1), 1_718_000_400);

    let runs = 0;
    const receive = withIdempotency(async () => Response.json({ received: true, run: ++runs }), {
      store: makeStore(),
      key: stripeEventId,
      required: true,
      fingerprint: webhookFingerprint,
    });
    expect(await (await receive(await first())).json()).toEqual({ received: true, run: 1 });
    const replayed = await receive(await retry());
    expect(await replayed.json()).toEqual({ received: true, run: 1 });
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(runs).toBe(1);

    // The default fingerprint compares the body: this retry would be refused, and Stripe retries
    // a 422 until it gives up on the endpoint.
    id = newId();
    const strict = withIdempotency(async () => Response.json({ received: true }), {
      store: makeStore(),
      key: stripeEventId,
      required: true,
    });
    expect((await strict(await first())).status).toBe(200);
    expect((await strict(await retry())).status).toBe(422);
  });

  it('a body that is not a Stripe event gets 400 with required: true, and does not run', async () => {
    let runs = 0;
    const receive = withIdempotency(async () => new Response(`run ${++runs}`), {
      store: makeStore(),
      key: stripeEventId,
      required: true,
    });
    const response = await receive(await stripeDelivery('{"id": "evt_', 1_718_000_100));
    expect(response.status).toBe(400);
    expect(runs).toBe(0);
  });
});
