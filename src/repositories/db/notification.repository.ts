// Notifications (issue 12): the outbox written beside each change, the inboxes, webhooks and their
// deliveries. The same builder calls on SQLite and PostgreSQL; only the claim's row locking differs.
import { sql, type Kysely } from 'kysely';
import { isEventType, type NotificationEvent } from '../../domain/notifications.js';
import type {
  ClaimedDelivery,
  DeliveryRecord,
  DeliveryState,
  ExpiringShare,
  InboxEntry,
  NotificationStore,
  WebhookRecord,
} from '../image-stores.js';
import type { DialectName } from './database.js';
import type { Database } from './schema.js';
import { fixedStatement } from './statement-shapes.js';

type EventRow = Database['notification_events'];
type WebhookRow = Database['webhooks'];

export class NotificationRepository implements NotificationStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
  ) {}

  async record(
    event: NotificationEvent,
    audience: string[],
    readBy: string | null,
    deliveryIds: () => string,
  ): Promise<void> {
    const d = this.dialect;
    await this.db.executeQuery(
      fixedStatement(
        `event insert ${d}`,
        {
          id: event.id,
          type: event.type,
          at: event.at,
          image_id: event.imageId,
          image_name: event.imageName,
          region: event.region,
          owner_id: event.ownerId,
          actor_id: event.actorId,
          target_account_id: event.targetAccountId,
          details: JSON.stringify(event.details),
        },
        (row) => this.db.insertInto('notification_events').values(row),
      ),
    );
    if (audience.length === 0) return;
    // Which entries start read is part of the shape (a boolean per account), the accounts are its slots.
    const read = audience.map((accountId) => accountId === readBy);
    await this.db.executeQuery(
      fixedStatement(
        `inbox insert ${d}`,
        { accounts: audience, read, eventId: event.id, at: event.at },
        (v) =>
          this.db.insertInto('notification_inbox').values(
            v.accounts.map((accountId, i) => ({
              account_id: accountId,
              event_id: v.eventId,
              at: v.at,
              read_at: v.read[i] ? v.at : null,
            })),
          ),
      ),
    );
    const { rows: hooks } = await this.db.executeQuery<Pick<WebhookRow, 'id' | 'account_id'>>(
      fixedStatement(`webhooks of ${d}`, { accounts: audience }, (v) =>
        this.db
          .selectFrom('webhooks')
          .select(['id', 'account_id'])
          .where('account_id', 'in', v.accounts)
          .orderBy('id'),
      ),
    );
    if (hooks.length === 0) return;
    await this.db
      .insertInto('webhook_deliveries')
      .values(
        hooks.map((hook) => ({
          id: deliveryIds(),
          webhook_id: hook.id,
          event_id: event.id,
          account_id: hook.account_id,
          state: 'pending',
          attempts: 0,
          next_attempt_at: event.at,
          claim: null,
          created_at: event.at,
        })),
      )
      .execute();
  }

  private inboxQuery(accountId: string) {
    return this.db
      .selectFrom('notification_inbox as i')
      .innerJoin('notification_events as e', 'e.id', 'i.event_id')
      .selectAll('e')
      .select(['i.read_at'])
      .where('i.account_id', '=', accountId);
  }

  async inboxPage(
    accountId: string,
    page: { marker?: string; limit: number; unreadOnly: boolean },
  ): Promise<{ entries: InboxEntry[]; markerFound: boolean }> {
    let query = this.inboxQuery(accountId);
    if (page.marker !== undefined) {
      const marker = await this.db
        .selectFrom('notification_inbox')
        .select(['at', 'event_id'])
        .where('account_id', '=', accountId)
        .where('event_id', '=', page.marker)
        .executeTakeFirst();
      if (!marker) return { entries: [], markerFound: false };
      query = query.where((eb) =>
        eb.or([
          eb('i.at', '<', marker.at),
          eb.and([eb('i.at', '=', marker.at), eb('i.event_id', '<', marker.event_id)]),
        ]),
      );
    }
    if (page.unreadOnly) query = query.where('i.read_at', 'is', null);
    const rows = await query
      .orderBy('i.at', 'desc')
      .orderBy('i.event_id', 'desc')
      .limit(page.limit)
      .execute();
    return { entries: rows.map((r) => ({ event: toEvent(r), readAt: r.read_at })), markerFound: true };
  }

  async unreadCount(accountId: string): Promise<number> {
    const row = await this.db
      .selectFrom('notification_inbox')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('account_id', '=', accountId)
      .where('read_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async inboxEntry(accountId: string, eventId: string): Promise<InboxEntry | undefined> {
    const row = await this.inboxQuery(accountId).where('i.event_id', '=', eventId).executeTakeFirst();
    return row && { event: toEvent(row), readAt: row.read_at };
  }

  async markRead(accountId: string, eventId: string, readAt: string | null): Promise<boolean> {
    const result = await this.db
      .updateTable('notification_inbox')
      .set({ read_at: readAt })
      .where('account_id', '=', accountId)
      .where('event_id', '=', eventId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async markAllRead(accountId: string, readAt: string): Promise<number> {
    const result = await this.db
      .updateTable('notification_inbox')
      .set({ read_at: readAt })
      .where('account_id', '=', accountId)
      .where('read_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async insertWebhook(webhook: WebhookRecord): Promise<void> {
    await this.db
      .insertInto('webhooks')
      .values({
        id: webhook.id,
        account_id: webhook.accountId,
        url: webhook.url,
        description: webhook.description,
        secret_sealed: webhook.secretSealed,
        created_at: webhook.createdAt,
      })
      .execute();
  }

  async lockAccountWebhooks(accountId: string): Promise<void> {
    if (this.dialect !== 'postgres') return; // SQLite: BEGIN IMMEDIATE serializes writers already
    await sql`select pg_advisory_xact_lock(hashtextextended(${`webhooks:${accountId}`}, 0))`.execute(this.db);
  }

  async countWebhooks(accountId: string): Promise<number> {
    const row = await this.db
      .selectFrom('webhooks')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async listWebhooks(accountId: string): Promise<WebhookRecord[]> {
    const rows = await this.db
      .selectFrom('webhooks')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toWebhook);
  }

  async findWebhook(accountId: string, webhookId: string): Promise<WebhookRecord | undefined> {
    const row = await this.db
      .selectFrom('webhooks')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('id', '=', webhookId)
      .executeTakeFirst();
    return row && toWebhook(row);
  }

  async deleteWebhook(accountId: string, webhookId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('webhooks')
      .where('account_id', '=', accountId)
      .where('id', '=', webhookId)
      .executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) return false;
    await this.db.deleteFrom('webhook_deliveries').where('webhook_id', '=', webhookId).execute();
    return true;
  }

  async deliveriesPage(
    webhookId: string,
    page: { marker?: string; limit: number },
  ): Promise<{ deliveries: DeliveryRecord[]; markerFound: boolean }> {
    let query = this.db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId);
    if (page.marker !== undefined) {
      const marker = await this.db
        .selectFrom('webhook_deliveries')
        .select(['created_at', 'id'])
        .where('webhook_id', '=', webhookId)
        .where('id', '=', page.marker)
        .executeTakeFirst();
      if (!marker) return { deliveries: [], markerFound: false };
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '<', marker.created_at),
          eb.and([eb('created_at', '=', marker.created_at), eb('id', '<', marker.id)]),
        ]),
      );
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.limit).execute();
    return { deliveries: rows.map(toDelivery), markerFound: true };
  }

  async claimDue(now: string, leaseUntil: string, limit: number, claim: string): Promise<ClaimedDelivery[]> {
    let due = this.db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('state', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(limit);
    // Another node's claim in progress holds its rows locked: skip them rather than wait (SQLite has one
    // writer at a time, BEGIN IMMEDIATE, so its claims never overlap).
    if (this.dialect === 'postgres') due = due.forUpdate().skipLocked();
    const ids = (await due.execute()).map((r) => r.id);
    if (ids.length === 0) return [];
    await this.db
      .updateTable('webhook_deliveries')
      .set((eb) => ({
        claim,
        attempts: eb('attempts', '+', 1),
        next_attempt_at: leaseUntil,
        last_attempt_at: now,
      }))
      .where('id', 'in', ids)
      .execute();
    const rows = await this.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('notification_events as e', 'e.id', 'd.event_id')
      .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
      .select([
        'd.id as d_id',
        'd.webhook_id as d_webhook_id',
        'd.event_id as d_event_id',
        'd.account_id as d_account_id',
        'd.state as d_state',
        'd.attempts as d_attempts',
        'd.next_attempt_at as d_next_attempt_at',
        'd.last_attempt_at as d_last_attempt_at',
        'd.last_status as d_last_status',
        'd.last_error as d_last_error',
        'd.delivered_at as d_delivered_at',
        'd.created_at as d_created_at',
        'd.claim as d_claim',
        'e.id',
        'e.type',
        'e.at',
        'e.image_id',
        'e.image_name',
        'e.region',
        'e.owner_id',
        'e.actor_id',
        'e.target_account_id',
        'e.details',
        'w.account_id as w_account_id',
        'w.url as w_url',
        'w.description as w_description',
        'w.secret_sealed as w_secret_sealed',
        'w.created_at as w_created_at',
      ])
      .where('d.id', 'in', ids)
      .orderBy('d.created_at')
      .orderBy('d.id')
      .execute();
    return rows.map((r) => ({
      claim: r.d_claim ?? claim,
      delivery: toDelivery({
        id: r.d_id,
        webhook_id: r.d_webhook_id,
        event_id: r.d_event_id,
        account_id: r.d_account_id,
        state: r.d_state,
        attempts: r.d_attempts,
        next_attempt_at: r.d_next_attempt_at,
        claim: r.d_claim,
        last_attempt_at: r.d_last_attempt_at,
        last_status: r.d_last_status,
        last_error: r.d_last_error,
        delivered_at: r.d_delivered_at,
        created_at: r.d_created_at,
      }),
      event: toEvent(r),
      webhook: toWebhook({
        id: r.d_webhook_id,
        account_id: r.w_account_id,
        url: r.w_url,
        description: r.w_description,
        secret_sealed: r.w_secret_sealed,
        created_at: r.w_created_at,
      }),
    }));
  }

  async hasDue(now: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('state', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async markDelivered(deliveryId: string, at: string, status: number): Promise<void> {
    await this.db
      .updateTable('webhook_deliveries')
      .set({ state: 'delivered', delivered_at: at, last_status: status, last_error: null, claim: null })
      .where('id', '=', deliveryId)
      .execute();
  }

  async markAttemptFailed(
    deliveryId: string,
    at: string,
    failure: { status: number | null; error: string },
    retryAt: string | null,
  ): Promise<void> {
    await this.db
      .updateTable('webhook_deliveries')
      .set({
        state: retryAt === null ? 'failed' : 'pending',
        next_attempt_at: retryAt ?? at,
        last_status: failure.status,
        last_error: failure.error.slice(0, 255),
        claim: null,
      })
      .where('id', '=', deliveryId)
      // A delivery another attempt completed meanwhile stays delivered.
      .where('state', '=', 'pending')
      .execute();
  }

  async countPending(): Promise<number> {
    const row = await this.db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('state', '=', 'pending')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async purgeBefore(cutoff: string): Promise<number> {
    const inbox = await this.db.deleteFrom('notification_inbox').where('at', '<', cutoff).executeTakeFirst();
    await this.db
      .deleteFrom('webhook_deliveries')
      .where('created_at', '<', cutoff)
      .where('state', '!=', 'pending')
      .execute();
    await this.db
      .deleteFrom('notification_events')
      .where('at', '<', cutoff)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('webhook_deliveries as d')
              .select('d.id')
              .whereRef('d.event_id', '=', 'notification_events.id'),
          ),
        ),
      )
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('notification_inbox as i')
              .select('i.event_id')
              .whereRef('i.event_id', '=', 'notification_events.id'),
          ),
        ),
      )
      .execute();
    return Number(inbox.numDeletedRows);
  }

  async sharesEndingBy(now: string, until: string, limit: number): Promise<ExpiringShare[]> {
    const rows = await this.db
      .selectFrom('image_members as m')
      .innerJoin('images as i', 'i.id', 'm.image_id')
      .select(['m.image_id', 'm.member_id', 'm.expires_at', 'm.expiry_noticed_for'])
      .where('i.deleted_at', 'is', null)
      .where('m.expires_at', '>', now)
      .where('m.expires_at', '<=', until)
      .where((eb) =>
        eb.or([
          eb('m.expiry_noticed_for', 'is', null),
          eb('m.expiry_noticed_for', '!=', eb.ref('m.expires_at')),
        ]),
      )
      .orderBy('m.expires_at')
      .orderBy('m.image_id')
      .orderBy('m.member_id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      imageId: r.image_id,
      memberId: r.member_id,
      expiresAt: r.expires_at as string,
      noticedFor: r.expiry_noticed_for,
    }));
  }

  async claimExpiryNotice(imageId: string, memberId: string, expiresAt: string): Promise<boolean> {
    const result = await this.db
      .updateTable('image_members')
      .set({ expiry_noticed_for: expiresAt })
      .where('image_id', '=', imageId)
      .where('member_id', '=', memberId)
      .where('expires_at', '=', expiresAt)
      .where((eb) => eb.or([eb('expiry_noticed_for', 'is', null), eb('expiry_noticed_for', '!=', expiresAt)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}

function toEvent(row: EventRow): NotificationEvent {
  if (!isEventType(row.type)) throw new Error(`unknown notification type ${row.type}`);
  return {
    id: row.id,
    type: row.type,
    at: row.at,
    imageId: row.image_id,
    imageName: row.image_name,
    region: row.region,
    ownerId: row.owner_id,
    actorId: row.actor_id,
    targetAccountId: row.target_account_id,
    details: JSON.parse(row.details) as Record<string, string>,
  };
}

function toWebhook(row: WebhookRow): WebhookRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    url: row.url,
    description: row.description,
    secretSealed: row.secret_sealed,
    createdAt: row.created_at,
  };
}

function toDelivery(row: {
  id: string;
  webhook_id: string;
  event_id: string;
  account_id: string;
  state: string;
  attempts: number;
  next_attempt_at: string;
  claim: string | null;
  last_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: string | null;
  created_at: string;
}): DeliveryRecord {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    eventId: row.event_id,
    accountId: row.account_id,
    state: row.state as DeliveryState,
    attempts: Number(row.attempts),
    nextAttemptAt: row.next_attempt_at,
    lastAttemptAt: row.last_attempt_at,
    lastStatus: row.last_status === null ? null : Number(row.last_status),
    lastError: row.last_error,
    deliveredAt: row.delivered_at,
    createdAt: row.created_at,
  };
}
