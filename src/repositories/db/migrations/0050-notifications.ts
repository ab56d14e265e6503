import type { Kysely, Migration } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

// Notifications (issue 12). Written in the transaction of the change that causes them (the outbox):
// - notification_events: each event once (type, time, image, actor, details);
// - notification_inbox: one row per account the event concerns, with its read mark;
// - webhooks: per account, the target URL and its signing secret sealed with the master key;
// - webhook_deliveries: one row per (webhook, event) to deliver; `next_attempt_at` is also the claim's lease
//   (a node that claims a row moves it forward by the lease; a node that dies lets it come due again).
// image_members.expiry_noticed_for: the end time the last "expiring soon" event was about, so that the event
// is sent once per end time however many nodes scan.
export const m0050Notifications: Migration = {
  async up(db: Db) {
    await db.schema
      .createTable('notification_events')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('type', 'varchar(32)', (c) => c.notNull())
      .addColumn('at', 'varchar(32)', (c) => c.notNull())
      .addColumn('image_id', 'varchar(32)', (c) => c.notNull())
      .addColumn('image_name', 'varchar(255)')
      .addColumn('region', 'varchar(64)', (c) => c.notNull())
      .addColumn('owner_id', 'varchar(32)', (c) => c.notNull())
      .addColumn('actor_id', 'varchar(32)', (c) => c.notNull())
      .addColumn('target_account_id', 'varchar(32)')
      .addColumn('details', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('notification_inbox')
      .addColumn('account_id', 'varchar(32)', (c) => c.notNull())
      .addColumn('event_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('at', 'varchar(32)', (c) => c.notNull())
      .addColumn('read_at', 'varchar(32)')
      .addPrimaryKeyConstraint('notification_inbox_pk', ['account_id', 'event_id'])
      .execute();
    // The inbox is read per account, newest first, by keyset (at, event_id).
    await db.schema
      .createIndex('notification_inbox_account_at')
      .on('notification_inbox')
      .columns(['account_id', 'at', 'event_id'])
      .execute();

    await db.schema
      .createTable('webhooks')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('account_id', 'varchar(32)', (c) => c.notNull())
      .addColumn('url', 'varchar(2048)', (c) => c.notNull())
      .addColumn('description', 'varchar(255)', (c) => c.notNull())
      .addColumn('secret_sealed', 'varchar(255)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('webhooks_account').on('webhooks').column('account_id').execute();

    await db.schema
      .createTable('webhook_deliveries')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('webhook_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('event_id', 'varchar(40)', (c) => c.notNull())
      .addColumn('account_id', 'varchar(32)', (c) => c.notNull())
      .addColumn('state', 'varchar(16)', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('claim', 'varchar(40)')
      .addColumn('last_attempt_at', 'varchar(32)')
      .addColumn('last_status', 'integer')
      .addColumn('last_error', 'varchar(255)')
      .addColumn('delivered_at', 'varchar(32)')
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .execute();
    // The dispatchers look for due rows; the API lists a webhook's deliveries, newest first.
    await db.schema
      .createIndex('webhook_deliveries_due')
      .on('webhook_deliveries')
      .columns(['state', 'next_attempt_at'])
      .execute();
    await db.schema
      .createIndex('webhook_deliveries_webhook')
      .on('webhook_deliveries')
      .columns(['webhook_id', 'created_at', 'id'])
      .execute();

    await db.schema.alterTable('image_members').addColumn('expiry_noticed_for', 'varchar(32)').execute();
  },
  async down(db: Db) {
    await db.schema.alterTable('image_members').dropColumn('expiry_noticed_for').execute();
    await db.schema.dropTable('webhook_deliveries').execute();
    await db.schema.dropTable('webhooks').execute();
    await db.schema.dropTable('notification_inbox').execute();
    await db.schema.dropTable('notification_events').execute();
  },
};
