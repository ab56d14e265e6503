import type { Kysely, Migration } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

// Console sessions also end after a while without use (console.sessionIdleSeconds). The last use is stored with
// the session, so every node sharing the database enforces the same idle timeout. Sessions from before this
// migration have none: their login time counts as their last use.
export const m0030ConsoleSessionIdle: Migration = {
  async up(db: Db) {
    await db.schema.alterTable('console_sessions').addColumn('last_seen_at', 'varchar(32)').execute();
  },
  async down(db: Db) {
    await db.schema.alterTable('console_sessions').dropColumn('last_seen_at').execute();
  },
};
