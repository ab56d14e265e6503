// A webhook receiver for the notification tests: a real HTTP server on 127.0.0.1 that checks each delivery
// as docs/api/notifications.md tells receivers to (the signature with the webhook's secret, the timestamp's
// age, the event ID not seen before) and keeps what it got. `hold` makes it answer a chosen status instead
// of 204 (a failing receiver), `raw` keeps every request as it arrived (to replay one).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WEBHOOK_HEADERS, verifyWebhookSignature } from '../../src/services/webhook-signature.js';

export interface ReceivedDelivery {
  eventId: string;
  type: string;
  deliveryId: string;
  attempt: number;
  body: Record<string, unknown>;
  verdict: 'ok' | 'bad-signature' | 'stale' | 'duplicate';
}

export interface RawDelivery {
  headers: Record<string, string>;
  body: string;
}

export interface WebhookReceiver {
  url: string;
  /** The secret the receiver checks with (set it from the webhook's creation answer). */
  secret: string;
  /** Every delivery received, with the receiver's verdict. */
  received: ReceivedDelivery[];
  raw: RawDelivery[];
  /** Event IDs accepted once (the de-duplicated stream). */
  accepted: Map<string, ReceivedDelivery>;
  /** The status to answer (default 204); a function may decide per delivery. */
  answer: (d: ReceivedDelivery) => number;
  /**
   * While true, deliveries are kept unanswered and not handled (a receiver that is slow or crashes before
   * acting on them): the sender must send them again. `held` counts them.
   */
  hold: boolean;
  held: number;
  /** The receiver's clock (Unix seconds) for the timestamp check; default: the system clock. */
  nowSeconds: () => number;
  /** Resolves once `count` distinct events were accepted. */
  waitForAccepted(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const TOLERANCE_SECONDS = 300;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const receiver = {
    url: '',
    secret: '',
    received: [] as ReceivedDelivery[],
    raw: [] as RawDelivery[],
    accepted: new Map<string, ReceivedDelivery>(),
    answer: (() => 204) as (d: ReceivedDelivery) => number,
    hold: false,
    held: 0,
    nowSeconds: () => Math.floor(Date.now() / 1000),
  };
  const waiters: Array<() => void> = [];
  const server: Server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const header = (name: string) => {
        const v = req.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      receiver.raw.push({
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body: text,
      });
      const eventId = header(WEBHOOK_HEADERS.eventId) ?? '';
      if (receiver.hold) {
        receiver.held += 1;
        for (const w of waiters.splice(0)) w();
        return; // never answered
      }
      let verdict: ReceivedDelivery['verdict'] = verifyWebhookSignature(
        receiver.secret,
        { timestamp: header(WEBHOOK_HEADERS.timestamp), signature: header(WEBHOOK_HEADERS.signature) },
        text,
        { nowSeconds: receiver.nowSeconds(), toleranceSeconds: TOLERANCE_SECONDS },
      );
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        verdict = 'bad-signature';
      }
      // The header's event ID must be the body's (both are signed only through the body).
      if (verdict === 'ok' && body.id !== eventId) verdict = 'bad-signature';
      if (verdict === 'ok' && receiver.accepted.has(eventId)) verdict = 'duplicate';
      const delivery: ReceivedDelivery = {
        eventId,
        type: header(WEBHOOK_HEADERS.eventType) ?? '',
        deliveryId: header(WEBHOOK_HEADERS.deliveryId) ?? '',
        attempt: Number(header(WEBHOOK_HEADERS.attempt)),
        body,
        verdict,
      };
      receiver.received.push(delivery);
      let status = verdict === 'bad-signature' || verdict === 'stale' ? 401 : receiver.answer(delivery);
      // A duplicate is acknowledged (the sender must stop), but not handled again.
      if (verdict === 'duplicate') status = 204;
      if (verdict === 'ok' && status >= 200 && status < 300) receiver.accepted.set(eventId, delivery);
      res.writeHead(status).end();
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return Object.assign(receiver, {
    async waitForAccepted(count: number, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (receiver.accepted.size < count) {
        if (Date.now() > deadline)
          throw new Error(`receiver accepted ${receiver.accepted.size} of ${count} events in time`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200).unref();
        });
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
