import type { Kysely, Migration } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

// The retention purge (NotificationService.purgeOld, with the expiring-soon scan every scanIntervalSeconds on
// every node, in one transaction) deletes inbox entries, finished deliveries and events older than the
// cutoff, and keeps an event while a delivery or an inbox entry still names it. Without these indexes each of
// its three statements read its whole table, and the event check read the deliveries and the inbox once per
// old event: every minute, in every process, holding SQLite's one write lock meanwhile. The inbox and
// deliveries grow with every share, launch and cancel (an entry per party), so this was the largest table
// read of the service at scale.
const indexes: Array<[name: string, table: string, column: string]> = [
  ['notification_inbox_at', 'notification_inbox', 'at'],
  ['notification_inbox_event', 'notification_inbox', 'event_id'],
  ['notification_events_at', 'notification_events', 'at'],
  ['webhook_deliveries_created', 'webhook_deliveries', 'created_at'],
  ['webhook_deliveries_event', 'webhook_deliveries', 'event_id'],
];

export const m0100NotificationPurgeIndexes: Migration = {
  async up(db: Db) {
    for (const [name, table, column] of indexes)
      await db.schema.createIndex(name).on(table).column(column).execute();
  },
  async down(db: Db) {
    for (const [name] of indexes) await db.schema.dropIndex(name).execute();
  },
};
