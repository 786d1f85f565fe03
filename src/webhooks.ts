/**
 * Ready-made `key` functions for `withIdempotency`, one per webhook sender: each reads the id
 * the sender keeps the same on every retry of one delivery, and answers it under the sender's
 * name (`github:<guid>`), so ids of two senders on one store never meet and an operator can
 * find a record by what the sender's dashboard shows. A delivery without the id answers
 * `undefined`: the wrapper passes it through, or answers 400 with `required: true`.
 *
 * Verify the sender's signature before the guard runs (docs/webhooks.md): the id is only as
 * trustworthy as the signature that covers the request.
 */

/** What every reader here is: a `key` option of `withIdempotency`. */
export type WebhookKeyReader = (request: Request, body: Uint8Array | null) => string | undefined;

/** The id under its sender's name, or `undefined` for a missing or blank id. */
function senderKey(sender: string, id: string | null | undefined): string | undefined {
  const trimmed = id?.trim();
  return trimmed ? `${sender}:${trimmed}` : undefined;
}

/**
 * Standard Webhooks: the `webhook-id` header, "a unique identifier associated with a specific
 * event triggered, [which] remains the same no matter how many times a webhook that has failed
 * is retried" (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md,
 * "Webhook metadata"). Key: `webhook:<id>`.
 */
export const standardWebhookId: WebhookKeyReader = (request) =>
  senderKey('webhook', request.headers.get('webhook-id'));

/**
 * Svix, which sends Standard Webhooks: `svix-id`, or `webhook-id` for endpoints set to the
 * unbranded headers (https://docs.svix.com/receiving/verifying-payloads/how-manual). Key:
 * `svix:<id>`, whichever header carried it.
 */
export const svixId: WebhookKeyReader = (request) =>
  senderKey('svix', request.headers.get('svix-id') ?? request.headers.get('webhook-id'));

/**
 * GitHub: `X-GitHub-Delivery`, a GUID that a redelivery keeps ("If you request a redelivery,
 * the X-GitHub-Delivery header will be the same as in the original delivery",
 * https://docs.github.com/en/webhooks/using-webhooks/best-practices-for-using-webhooks).
 * GitHub does not retry on its own; redeliveries come from you or from a script. Key:
 * `github:<guid>`.
 */
export const githubDelivery: WebhookKeyReader = (request) =>
  senderKey('github', request.headers.get('x-github-delivery'));

/**
 * Shopify: `X-Shopify-Event-Id`, the header Shopify's own guide names for duplicates ("the same
 * value across more than one webhook indicates a duplicate",
 * https://shopify.dev/docs/apps/build/webhooks/ignore-duplicates), rather than
 * `X-Shopify-Webhook-Id` ("a unique composite key per delivery",
 * https://shopify.dev/docs/apps/build/webhooks/delivery-structure), which that guide does not
 * offer for deduplication. The topic is part of the key (`shopify:<topic>:<event id>`), so two
 * topics that one change fires are never taken for one another.
 */
export const shopifyEventId: WebhookKeyReader = (request) => {
  const topic = request.headers.get('x-shopify-topic')?.trim();
  return senderKey(topic ? `shopify:${topic}` : 'shopify', request.headers.get('x-shopify-event-id'));
};

/**
 * Upstash QStash: `Upstash-Message-Id`, "the message id of the message", sent on every attempt
 * beside `Upstash-Retried` (https://upstash.com/docs/qstash/howto/receiving). Key: `qstash:<id>`.
 */
export const qstashMessageId: WebhookKeyReader = (request) =>
  senderKey('qstash', request.headers.get('upstash-message-id'));

const utf8 = new TextDecoder();

/**
 * Stripe: the event's `id` (`evt_...`) in the JSON body; Stripe's webhook guide keys duplicates
 * on it ("Handle duplicate events ... by logging the event IDs you've processed",
 * https://docs.stripe.com/webhooks).
 * `Stripe-Signature` changes on every attempt and is never part of the key or the
 * fingerprint. A body that is not JSON, or has no `evt_` id, answers `undefined`: never a throw.
 * Key: `stripe:<evt id>`.
 */
export const stripeEventId: WebhookKeyReader = (_request, body) => {
  if (body === null) return undefined;
  let event: unknown;
  try {
    event = JSON.parse(utf8.decode(body));
  } catch {
    return undefined;
  }
  const id = typeof event === 'object' && event !== null ? (event as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id.length > 4 && id.startsWith('evt_')
    ? senderKey('stripe', id)
    : undefined;
};

/**
 * A `fingerprint` for webhook routes: the method and path, not the body. Once the signature is
 * verified, a body that differs under one delivery id can only be the sender serializing the
 * event again (Stripe's `pending_webhooks` count, a Shopify subscription on another API
 * version); the default fingerprint would answer that retry 422, which senders retry until they
 * give up or disable the endpoint.
 */
export function webhookFingerprint(request: Request): string {
  return `${request.method} ${new URL(request.url).pathname}`;
}
