import type { Kysely, Migration } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

// The "expiring soon" scan (NotificationService.scanExpiring, every scanIntervalSeconds on every node) looks
// for shares whose end falls in the next window. Without an index on the end time it read every share row:
// at 5,000,000 shares a full scan each minute per process, and on SQLite a synchronous one, during which the
// process answers nothing. Most shares have no end (NULL), so the index holds only those that do (partial:
// `expires_at > ?` implies `expires_at is not null` on both databases, so the scan's plan can use it).
export const m0090MemberExpiryIndex: Migration = {
  async up(db: Db) {
    await db.schema
      .createIndex('image_members_expires_at')
      .on('image_members')
      .column('expires_at')
      .where('expires_at', 'is not', null)
      .execute();
  },
  async down(db: Db) {
    await db.schema.dropIndex('image_members_expires_at').execute();
  },
};
