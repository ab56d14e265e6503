// How a webhook delivery is signed (docs/api/notifications.md "Verifying a delivery"): HMAC-SHA256 with the
// webhook's secret over `<timestamp>.<body>`, the timestamp in Unix seconds sent beside it. A receiver
// recomputes it, compares in constant time, refuses old timestamps and event IDs it has seen (replays).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const WEBHOOK_HEADERS = {
  eventId: 'x-imageshare-event-id',
  eventType: 'x-imageshare-event-type',
  deliveryId: 'x-imageshare-delivery-id',
  attempt: 'x-imageshare-delivery-attempt',
  timestamp: 'x-imageshare-timestamp',
  signature: 'x-imageshare-signature',
} as const;

/** A new webhook secret: `whsec_` and 32 random bytes, base64url. Shown once, at creation. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** `v1=` and the hex HMAC-SHA256 of `<timestamp>.<body>` keyed with the secret (its UTF-8 bytes). */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The receiver's check (also used by the tests and the docs' example): signature and freshness. */
export function verifyWebhookSignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: string,
  options: { nowSeconds: number; toleranceSeconds: number },
): 'ok' | 'bad-signature' | 'stale' {
  const timestamp = Number(headers.timestamp);
  if (!headers.signature || !Number.isInteger(timestamp)) return 'bad-signature';
  const expected = Buffer.from(webhookSignature(secret, timestamp, body));
  const given = Buffer.from(headers.signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'bad-signature';
  if (Math.abs(options.nowSeconds - timestamp) > options.toleranceSeconds) return 'stale';
  return 'ok';
}
