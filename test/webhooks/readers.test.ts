import { describe, expect, it } from 'vitest';
import { MAX_KEY_LENGTH, parseIdempotencyKey } from '../../src/index.ts';
import {
  githubDelivery,
  qstashMessageId,
  shopifyEventId,
  standardWebhookId,
  stripeEventId,
  svixId,
  webhookFingerprint,
} from '../../src/webhooks.ts';
import {
  githubDelivery as githubRequest,
  standardWebhook,
  stripeDelivery,
  stripeEventBody,
} from './deliveries.ts';

const bytes = (text: string) => new TextEncoder().encode(text);
const post = (headers: Record<string, string>, body = '{}') =>
  new Request('https://hooks.example.com/in', { method: 'POST', headers, body });

/** What the wrapper requires of a key: 1–255 printable ASCII, as a header key is checked. */
function expectAcceptedKey(key: string | undefined): void {
  expect(key).toBeTypeOf('string');
  expect(key?.length).toBeLessThanOrEqual(MAX_KEY_LENGTH);
  expect(parseIdempotencyKey(key as string)).toBe(key);
}

describe('webhook key readers', () => {
  it('githubDelivery reads X-GitHub-Delivery from a GitHub delivery', async () => {
    const request = await githubRequest('72d3162e-cc78-11e3-81ab-4c9367dc0958');
    const key = githubDelivery(request, null);
    expect(key).toBe('github:72d3162e-cc78-11e3-81ab-4c9367dc0958');
    expectAcceptedKey(key);
  });

  it('standardWebhookId reads webhook-id; svixId reads svix-id or the unbranded webhook-id', async () => {
    const standard = await standardWebhook('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', 1_674_087_231);
    expect(standardWebhookId(standard, null)).toBe('webhook:msg_2KWPBgLlAfxdpx2AI54pPJ85f4W');
    expect(svixId(standard, null)).toBe('svix:msg_2KWPBgLlAfxdpx2AI54pPJ85f4W');
    const branded = await standardWebhook('msg_p5jXN8AQM9LWM0D4loKWxJek', 1_614_265_330, undefined, 'svix');
    expect(svixId(branded, null)).toBe('svix:msg_p5jXN8AQM9LWM0D4loKWxJek');
    expect(standardWebhookId(branded, null)).toBeUndefined();
    expectAcceptedKey(svixId(branded, null));
  });

  it('shopifyEventId reads X-Shopify-Event-Id under its topic, not X-Shopify-Webhook-Id', () => {
    const request = post({
      'x-shopify-topic': 'orders/create',
      'x-shopify-hmac-sha256': 'XWmrwMey6OsLMeiZKwP4FppHH3cmAiiJJAweH5Jo4bM=',
      'x-shopify-shop-domain': 'cool-store.myshopify.com',
      'x-shopify-api-version': '2025-04',
      'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      'x-shopify-event-id': '98880550-7158-44d4-b7cd-2c97c8a091b5',
      'x-shopify-triggered-at': '2025-04-22T19:30:00.000000000Z',
    });
    const key = shopifyEventId(request, null);
    expect(key).toBe('shopify:orders/create:98880550-7158-44d4-b7cd-2c97c8a091b5');
    expectAcceptedKey(key);
    const noTopic = post({ 'x-shopify-event-id': '98880550-7158-44d4-b7cd-2c97c8a091b5' });
    expect(shopifyEventId(noTopic, null)).toBe('shopify:98880550-7158-44d4-b7cd-2c97c8a091b5');
    expect(shopifyEventId(post({ 'x-shopify-webhook-id': 'b545' }), null)).toBeUndefined();
  });

  it('qstashMessageId reads Upstash-Message-Id', () => {
    const request = post({
      'user-agent': 'Upstash-QStash',
      'upstash-message-id': 'msg_2XavMmRcJHJf7HkNtNqjfVf8uQe',
      'upstash-retried': '2',
      'upstash-signature': 'eyJhbGciOiJIUzI1NiJ9.e30.x',
    });
    expect(qstashMessageId(request, null)).toBe('qstash:msg_2XavMmRcJHJf7HkNtNqjfVf8uQe');
  });

  it('stripeEventId reads the evt_ id of the body given, whatever the signature header', async () => {
    const body = stripeEventBody('evt_1PQ9xYZ2eZvKYlo2C0ffee00');
    const request = await stripeDelivery(body, 1_718_000_100);
    const key = stripeEventId(request, bytes(body));
    expect(key).toBe('stripe:evt_1PQ9xYZ2eZvKYlo2C0ffee00');
    expectAcceptedKey(key);
  });

  it('stripeEventId answers undefined, never throws, for bodies that carry no event id', () => {
    const request = post({});
    for (const body of [
      '',
      'not json',
      '{"id":',
      'null',
      '"evt_123"',
      '[{"id":"evt_123"}]',
      '{"id":42}',
      '{"id":"pi_123","object":"payment_intent"}',
      '{"id":"evt_"}',
      '{"data":{"id":"evt_123"}}',
    ]) {
      expect(stripeEventId(request, bytes(body)), body).toBeUndefined();
    }
    expect(stripeEventId(request, new Uint8Array([0xff, 0xfe, 0x00]))).toBeUndefined();
    expect(stripeEventId(request, null)).toBeUndefined();
  });

  it('answer undefined for a missing or blank id, never a shared `sender:` key', () => {
    for (const read of [githubDelivery, standardWebhookId, svixId, shopifyEventId, qstashMessageId]) {
      expect(read(post({}), null)).toBeUndefined();
    }
    expect(githubDelivery(post({ 'x-github-delivery': '   ' }), null)).toBeUndefined();
    expect(standardWebhookId(post({ 'webhook-id': '' }), null)).toBeUndefined();
  });

  it('webhookFingerprint is the method and path: a re-serialized body under one id still matches', async () => {
    const first = await stripeDelivery(stripeEventBody('evt_1', 2), 1);
    const retry = await stripeDelivery(stripeEventBody('evt_1', 1), 2);
    expect(webhookFingerprint(first)).toBe('POST /stripe');
    expect(webhookFingerprint(retry)).toBe(webhookFingerprint(first));
  });
});
