/**
 * Webhook deliveries as their senders send them: the headers each sender documents, bodies in
 * their shape, and signatures computed the way each sender signs (HMAC-SHA256 with Web Crypto),
 * so a retry differs from the first attempt exactly where a real one does.
 */
const utf8 = new TextEncoder();

async function hmacSha256(secret: Uint8Array<ArrayBuffer> | string, content: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    'raw',
    typeof secret === 'string' ? utf8.encode(secret) : secret,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8.encode(content)));
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

export const GITHUB_SECRET = 'github-webhook-secret';

/** An `issues` event body, as in GitHub's delivery example (trimmed). */
export const GITHUB_ISSUES_BODY = JSON.stringify({
  action: 'opened',
  issue: { url: 'https://api.github.com/repos/octocat/Hello-World/issues/1347', number: 1347 },
  repository: { id: 1296269, full_name: 'octocat/Hello-World', owner: { login: 'octocat', id: 1 } },
  sender: { login: 'octocat', id: 1 },
});

/**
 * A GitHub delivery. A redelivery keeps `X-GitHub-Delivery` and is signed again with the
 * webhook's secret of that moment: after a secret rotation its `X-Hub-Signature-256` differs.
 */
export async function githubDelivery(
  delivery: string,
  { body = GITHUB_ISSUES_BODY, secret = GITHUB_SECRET, url = 'https://hooks.example.com/github' } = {},
): Promise<Request> {
  return new Request(url, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/044aadd',
      'x-github-delivery': delivery,
      'x-github-event': 'issues',
      'x-github-hook-id': '292430182',
      'x-github-hook-installation-target-id': '79929171',
      'x-github-hook-installation-target-type': 'repository',
      'x-hub-signature-256': `sha256=${hex(await hmacSha256(secret, body))}`,
    },
  });
}

/** Verify `X-Hub-Signature-256` as GitHub documents it: HMAC-SHA256 of the raw body, hex. */
export async function verifyGithubSignature(request: Request, secret: string): Promise<boolean> {
  const header = request.headers.get('x-hub-signature-256') ?? '';
  const expected = `sha256=${hex(await hmacSha256(secret, await request.clone().text()))}`;
  return header.length === expected.length && timingSafeEqual(header, expected);
}

function timingSafeEqual(a: string, b: string): boolean {
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/** A Standard Webhooks delivery: `webhook-id`, a fresh `webhook-timestamp`, `v1,` signature. */
export async function standardWebhook(
  id: string,
  timestamp: number,
  body = '{"type":"contact.created","timestamp":"2022-11-03T20:26:10.344522Z","data":{"id":"1f81eb52"}}',
  prefix: 'webhook' | 'svix' = 'webhook',
): Promise<Request> {
  const secret = utf8.encode('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  const signature = base64(await hmacSha256(secret, `${id}.${timestamp}.${body}`));
  return new Request('https://hooks.example.com/standard', {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      [`${prefix}-id`]: id,
      [`${prefix}-timestamp`]: String(timestamp),
      [`${prefix}-signature`]: `v1,${signature}`,
    },
  });
}

/**
 * A Stripe event body. `pending_webhooks` counts the endpoints still to be told, so a retry's
 * body can differ from the first attempt's while the event id stays.
 */
export function stripeEventBody(id: string, pendingWebhooks = 1): string {
  return JSON.stringify({
    id,
    object: 'event',
    api_version: '2024-06-20',
    created: 1_718_000_000,
    data: { object: { id: 'pi_3PQ', object: 'payment_intent', amount: 2000, currency: 'usd' } },
    livemode: false,
    pending_webhooks: pendingWebhooks,
    request: { id: 'req_8Hd', idempotency_key: 'a1b2c3' },
    type: 'payment_intent.succeeded',
  });
}

/** A Stripe delivery: `Stripe-Signature: t=<now>,v1=<hmac of "t.body">`, new on every attempt. */
export async function stripeDelivery(body: string, timestamp: number): Promise<Request> {
  const signature = hex(await hmacSha256('whsec_test', `${timestamp}.${body}`));
  return new Request('https://hooks.example.com/stripe', {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      'stripe-signature': `t=${timestamp},v1=${signature}`,
    },
  });
}
