import type { Kysely, Migration } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

// Issue 12, guardrails for receivers and the history of shares that end by their end time.
// - launch_policies: one row per account that set a launch policy (mode off | audit | enforce, and the
//   allow-list of image owners as a JSON array of account and group IDs, bounded by
//   guardrails.maxAllowedOwners). No row: mode off.
// - launch_audit: the launches an `audit` policy would have refused, read by that account.
// - image_members.end_recorded_at: the end time (expires_at) whose "expire" history entry has been written,
//   so each end is recorded once (ShareEnds in src/services/share-ends.ts); a later end is recorded again.
export const m0070Guardrails: Migration = {
  async up(db: Db) {
    await db.schema
      .createTable('launch_policies')
      .addColumn('account_id', 'varchar(32)', (c) => c.primaryKey().references('accounts.id'))
      .addColumn('mode', 'varchar(16)', (c) => c.notNull())
      .addColumn('allowed_owners', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('launch_audit')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('account_id', 'varchar(32)', (c) => c.notNull())
      .addColumn('at', 'varchar(32)', (c) => c.notNull())
      .addColumn('image_id', 'varchar(32)', (c) => c.notNull())
      .addColumn('image_name', 'varchar(255)')
      .addColumn('owner_id', 'varchar(32)', (c) => c.notNull())
      .addColumn('region', 'varchar(64)', (c) => c.notNull())
      .addColumn('visibility', 'varchar(16)', (c) => c.notNull())
      .addColumn('instances', 'integer', (c) => c.notNull())
      .addColumn('surface', 'varchar(16)', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('launch_audit_account_at')
      .on('launch_audit')
      .columns(['account_id', 'at'])
      .execute();
    await db.schema.alterTable('image_members').addColumn('end_recorded_at', 'varchar(32)').execute();
  },
  async down(db: Db) {
    await db.schema.alterTable('image_members').dropColumn('end_recorded_at').execute();
    await db.schema.dropTable('launch_audit').execute();
    await db.schema.dropTable('launch_policies').execute();
  },
};
