// Notifications (issue 12): each account's inbox, its webhooks, the dispatcher that delivers the outbox to
// them, and the scan that raises "expiring soon". Events themselves are written by recordEvent (events.ts)
// inside the transaction of each change.
import { randomBytes } from 'node:crypto';
import { fail } from '../domain/errors.js';
import {
  SYSTEM_ACTOR,
  afterFailedAttempt,
  assertValidWebhookUrl,
  assertWebhookDescription,
  assertWithinWebhookLimit,
  eventDocument,
  isExpiringSoon,
  type RetryPolicy,
  type WebhookPolicy,
} from '../domain/notifications.js';
import type {
  ClaimedDelivery,
  DeliveryRecord,
  ImageUnitOfWork,
  InboxEntry,
  WebhookRecord,
} from '../repositories/image-stores.js';
import { metrics } from '../metrics.js';
import { isoNow, type Clock } from './clock.js';
import type { RequestContext } from './context.js';
import { recordEvent } from './events.js';
import type { SecretBox } from './secret-box.js';
import { pausePoint } from './test-pause.js';
import { WEBHOOK_HEADERS, newWebhookSecret, webhookSignature } from './webhook-signature.js';
import type { WebhookTransport } from './webhook-transport.js';

export type { DeliveryRecord, InboxEntry } from '../repositories/image-stores.js';

export const MAX_PAGE = 100;
export const DEFAULT_PAGE = 25;

export interface NotificationPolicy {
  expiringSoonSeconds: number;
  /** Inbox entries, finished deliveries and their events are kept this many days. */
  retentionDays: number;
  webhooks: WebhookPolicy & RetryPolicy & { timeoutMs: number; leaseSeconds: number; concurrency: number };
}

/** A webhook as its owner sees it (never its secret). */
export type WebhookView = Omit<WebhookRecord, 'secretSealed'>;

export interface InboxPage {
  entries: InboxEntry[];
  unread: number;
  /** The marker of the next page, or null on the last one. */
  next: string | null;
}

export interface DispatchReport {
  claimed: number;
  delivered: number;
  failed: number;
  gaveUp: number;
}

interface Logger {
  warn(obj: object, msg: string): void;
}

export class NotificationService {
  constructor(
    private readonly store: ImageUnitOfWork,
    private readonly box: () => SecretBox,
    private readonly policy: NotificationPolicy,
    private readonly clock: Clock,
    private readonly transport: WebhookTransport,
  ) {}

  // ---- the inbox -------------------------------------------------------------------------------------

  /** The caller's inbox, newest first, `limit` entries after `marker` (an event ID of a previous page). */
  async inbox(
    ctx: RequestContext,
    options: { marker?: string; limit?: number; unreadOnly?: boolean } = {},
  ): Promise<InboxPage> {
    const limit = pageSize(options.limit);
    const repos = this.store.stores.notifications;
    const page = await repos.inboxPage(ctx.caller.accountId, {
      ...(options.marker !== undefined ? { marker: options.marker } : {}),
      limit: limit + 1,
      unreadOnly: options.unreadOnly ?? false,
    });
    if (!page.markerFound) throw badMarker(options.marker as string);
    const entries = page.entries.slice(0, limit);
    const last = entries[entries.length - 1];
    return {
      entries,
      unread: await repos.unreadCount(ctx.caller.accountId),
      next: page.entries.length > limit && last ? last.event.id : null,
    };
  }

  async unreadCount(ctx: RequestContext): Promise<number> {
    return this.store.stores.notifications.unreadCount(ctx.caller.accountId);
  }

  async inboxEntry(ctx: RequestContext, eventId: string): Promise<InboxEntry> {
    const entry = await this.store.stores.notifications.inboxEntry(ctx.caller.accountId, eventId);
    if (!entry) throw eventNotFound(eventId);
    return entry;
  }

  /** Marks one of the caller's entries read (or unread again). */
  async markRead(ctx: RequestContext, eventId: string, read: boolean): Promise<InboxEntry> {
    const repos = this.store.stores.notifications;
    const at = read ? isoNow(this.clock) : null;
    if (!(await repos.markRead(ctx.caller.accountId, eventId, at))) throw eventNotFound(eventId);
    return this.inboxEntry(ctx, eventId);
  }

  async markAllRead(ctx: RequestContext): Promise<number> {
    return this.store.stores.notifications.markAllRead(ctx.caller.accountId, isoNow(this.clock));
  }

  // ---- webhooks --------------------------------------------------------------------------------------

  /** Registers a webhook; its secret is returned here once and never again (it is stored sealed). */
  async createWebhook(
    ctx: RequestContext,
    input: { url: string; description?: string },
  ): Promise<{ webhook: WebhookView; secret: string }> {
    const url = assertValidWebhookUrl(input.url, this.policy.webhooks).toString();
    const description = input.description ?? '';
    assertWebhookDescription(description);
    const id = `whk-${randomBytes(12).toString('hex')}`;
    const secret = newWebhookSecret();
    const record: WebhookRecord = {
      id,
      accountId: ctx.caller.accountId,
      url,
      description,
      secretSealed: this.box().seal(secret, webhookAad(id)),
      createdAt: isoNow(this.clock),
    };
    await this.store.transaction(async (repos) => {
      await repos.notifications.lockAccountWebhooks(ctx.caller.accountId);
      assertWithinWebhookLimit(
        await repos.notifications.countWebhooks(ctx.caller.accountId),
        this.policy.webhooks,
      );
      await repos.notifications.insertWebhook(record);
    });
    return { webhook: view(record), secret };
  }

  async listWebhooks(ctx: RequestContext): Promise<WebhookView[]> {
    return (await this.store.stores.notifications.listWebhooks(ctx.caller.accountId)).map(view);
  }

  async getWebhook(ctx: RequestContext, webhookId: string): Promise<WebhookView> {
    const found = await this.store.stores.notifications.findWebhook(ctx.caller.accountId, webhookId);
    if (!found) throw webhookNotFound(webhookId);
    return view(found);
  }

  /** Removes the webhook; deliveries not yet made are dropped with it. */
  async deleteWebhook(ctx: RequestContext, webhookId: string): Promise<void> {
    const deleted = await this.store.transaction((repos) =>
      repos.notifications.deleteWebhook(ctx.caller.accountId, webhookId),
    );
    if (!deleted) throw webhookNotFound(webhookId);
  }

  /** A webhook's deliveries, newest first: state, attempts, the last status or error. */
  async deliveries(
    ctx: RequestContext,
    webhookId: string,
    options: { marker?: string; limit?: number } = {},
  ): Promise<{ deliveries: DeliveryRecord[]; next: string | null }> {
    await this.getWebhook(ctx, webhookId);
    const limit = pageSize(options.limit);
    const page = await this.store.stores.notifications.deliveriesPage(webhookId, {
      ...(options.marker !== undefined ? { marker: options.marker } : {}),
      limit: limit + 1,
    });
    if (!page.markerFound) throw badMarker(options.marker as string);
    const deliveries = page.deliveries.slice(0, limit);
    const last = deliveries[deliveries.length - 1];
    return { deliveries, next: page.deliveries.length > limit && last ? last.id : null };
  }

  // ---- the dispatcher --------------------------------------------------------------------------------

  /**
   * Claims the deliveries due now (at most `concurrency` x 4) and sends them, `concurrency` at a time.
   * At least once: a delivery is marked delivered only after its receiver answered 2xx; a node that dies
   * in between leaves the claim to expire (leaseSeconds) and another attempt sends it again, with the same
   * event ID, which receivers de-duplicate by.
   */
  async dispatchOnce(): Promise<DispatchReport> {
    const now = this.clock.now();
    const leaseUntil = new Date(now.getTime() + this.policy.webhooks.leaseSeconds * 1000).toISOString();
    const claim = randomBytes(16).toString('hex');
    const batch = this.policy.webhooks.concurrency * 4;
    // Idle nodes poll often: a plain read first, so that they take no write lock when nothing is due.
    if (!(await this.store.stores.notifications.hasDue(now.toISOString())))
      return { claimed: 0, delivered: 0, failed: 0, gaveUp: 0 };
    const claimed = await this.store.transaction((repos) =>
      repos.notifications.claimDue(now.toISOString(), leaseUntil, batch, claim),
    );
    const report: DispatchReport = { claimed: claimed.length, delivered: 0, failed: 0, gaveUp: 0 };
    if (claimed.length === 0) return report;
    await pausePoint('webhooks:claimed'); // claimed, nothing sent yet
    const queue = [...claimed];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await this.deliver(next, report);
    };
    await Promise.all(
      Array.from({ length: Math.min(this.policy.webhooks.concurrency, queue.length) }, worker),
    );
    return report;
  }

  private async deliver(claimed: ClaimedDelivery, report: DispatchReport): Promise<void> {
    const { delivery, event, webhook } = claimed;
    const body = JSON.stringify(eventDocument(event));
    let secret: string;
    try {
      secret = this.box().open(webhook.secretSealed, webhookAad(webhook.id));
    } catch {
      await this.failed(
        delivery,
        { status: null, error: 'the secret cannot be opened (master key changed?)' },
        report,
      );
      return;
    }
    const timestamp = Math.floor(Date.now() / 1000);
    const result = await this.transport(
      {
        url: webhook.url,
        body,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'imageshare-webhooks/1',
          [WEBHOOK_HEADERS.eventId]: event.id,
          [WEBHOOK_HEADERS.eventType]: event.type,
          [WEBHOOK_HEADERS.deliveryId]: delivery.id,
          [WEBHOOK_HEADERS.attempt]: String(delivery.attempts),
          [WEBHOOK_HEADERS.timestamp]: String(timestamp),
          [WEBHOOK_HEADERS.signature]: webhookSignature(secret, timestamp, body),
        },
      },
      {
        timeoutMs: this.policy.webhooks.timeoutMs,
        allowPrivateTargets: this.policy.webhooks.allowPrivateTargets,
      },
    );
    if (result.ok) {
      await pausePoint('webhooks:sent'); // the receiver has it; not yet marked delivered
      await this.store.stores.notifications.markDelivered(
        delivery.id,
        isoNow(this.clock),
        result.status ?? 200,
      );
      report.delivered += 1;
      metrics.webhookAttempt('delivered');
      return;
    }
    await this.failed(delivery, { status: result.status, error: result.error ?? 'failed' }, report);
  }

  private async failed(
    delivery: DeliveryRecord,
    failure: { status: number | null; error: string },
    report: DispatchReport,
  ): Promise<void> {
    const now = this.clock.now();
    const next = afterFailedAttempt(delivery.attempts, this.policy.webhooks);
    const retryAt = next.giveUp ? null : new Date(now.getTime() + next.delaySeconds * 1000).toISOString();
    await this.store.stores.notifications.markAttemptFailed(delivery.id, now.toISOString(), failure, retryAt);
    if (next.giveUp) report.gaveUp += 1;
    else report.failed += 1;
    metrics.webhookAttempt(next.giveUp ? 'failed' : 'retry');
  }

  /** Deliveries waiting to be sent (the outbox backlog, for /metrics). */
  backlog(): Promise<number> {
    return this.store.stores.notifications.countPending();
  }

  // ---- expiring soon ---------------------------------------------------------------------------------

  /**
   * Raises "expiring soon" for every live share whose end is within expiringSoonSeconds, once per end time:
   * the mark on the share and the event are written in one transaction, and only the caller whose
   * conditional update changed the mark writes the event (two nodes, or a restart, cannot send it twice).
   */
  async scanExpiring(): Promise<number> {
    const now = isoNow(this.clock);
    const until = new Date(Date.parse(now) + this.policy.expiringSoonSeconds * 1000).toISOString();
    const due = await this.store.stores.notifications.sharesEndingBy(now, until, 500);
    let raised = 0;
    for (const share of due) {
      if (!isExpiringSoon(share, now, this.policy.expiringSoonSeconds)) continue;
      const sent = await this.store.transaction(async (repos) => {
        if (!(await repos.notifications.claimExpiryNotice(share.imageId, share.memberId, share.expiresAt)))
          return false;
        const image = await repos.images.find(share.imageId);
        if (!image) return false;
        await recordEvent(repos, {
          type: 'share.expiring',
          image,
          actorId: SYSTEM_ACTOR,
          targetAccountId: share.memberId,
          details: { expiresAt: share.expiresAt },
          at: now,
        });
        return true;
      });
      if (sent) raised += 1;
    }
    return raised;
  }

  /** Drops inbox entries, finished deliveries and events older than retentionDays; returns the entries. */
  async purgeOld(): Promise<number> {
    const cutoff = new Date(
      this.clock.now().getTime() - this.policy.retentionDays * 86_400_000,
    ).toISOString();
    return this.store.transaction((repos) => repos.notifications.purgeBefore(cutoff));
  }

  /**
   * Runs the dispatcher (every pollIntervalMs, at once again while there is more to send) and the
   * expiring scan (every scanIntervalMs) in this process until stopped. Every node runs both.
   */
  startBackground(options: { pollIntervalMs: number; scanIntervalMs: number; log: Logger }): {
    stop(): Promise<void>;
  } {
    let stopped = false;
    let dispatchTimer: NodeJS.Timeout | undefined;
    let scanTimer: NodeJS.Timeout | undefined;
    let running: Promise<unknown> = Promise.resolve();
    const dispatch = () => {
      running = this.dispatchOnce().then(
        (report) => {
          if (stopped) return;
          const more = report.claimed === this.policy.webhooks.concurrency * 4;
          dispatchTimer = setTimeout(dispatch, more ? 0 : options.pollIntervalMs).unref();
        },
        (err: unknown) => {
          options.log.warn({ err }, 'webhook dispatch failed');
          if (!stopped) dispatchTimer = setTimeout(dispatch, options.pollIntervalMs).unref();
        },
      );
    };
    const scan = () => {
      Promise.all([this.scanExpiring(), this.purgeOld()])
        .then(
          () => undefined,
          (err: unknown) => options.log.warn({ err }, 'expiring-share scan or inbox purge failed'),
        )
        .finally(() => {
          if (!stopped) scanTimer = setTimeout(scan, options.scanIntervalMs).unref();
        });
    };
    if (options.pollIntervalMs > 0) dispatchTimer = setTimeout(dispatch, 0).unref();
    if (options.scanIntervalMs > 0)
      scanTimer = setTimeout(scan, Math.random() * options.scanIntervalMs).unref();
    return {
      stop: async () => {
        stopped = true;
        clearTimeout(dispatchTimer);
        clearTimeout(scanTimer);
        await running.catch(() => undefined);
      },
    };
  }
}

function webhookAad(id: string): string {
  return `webhook:${id}`;
}

function view(record: WebhookRecord): WebhookView {
  const { secretSealed: _sealed, ...rest } = record;
  return rest;
}

function pageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
    throw fail('InvalidInput', `limit must be an integer from 1 to ${MAX_PAGE}.`, { field: 'limit' });
  return limit;
}

function badMarker(marker: string) {
  return fail('InvalidInput', `Marker ${marker} could not be found.`, { field: 'marker' });
}

function eventNotFound(eventId: string) {
  return fail('NotificationNotFound', `No event ${eventId} in your inbox.`, { eventId });
}

function webhookNotFound(webhookId: string) {
  return fail('NotificationNotFound', `No webhook ${webhookId}.`, { webhookId });
}
