import type { Kysely, Migration } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

// The web console: its login sessions (only a hash of the session token is stored, so every node can check
// one and a database leak yields no usable session), and the history of image changes made through any
// surface, written in the same transaction as the change it records.
export const m0003Console: Migration = {
  async up(db: Db) {
    await db.schema
      .createTable('console_sessions')
      .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('account_id', 'varchar(32)', (c) => c.notNull().references('accounts.id'))
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('revoked_at', 'varchar(32)')
      .addColumn('client_address', 'varchar(100)')
      .execute();
    await db.schema
      .createIndex('console_sessions_account')
      .on('console_sessions')
      .column('account_id')
      .execute();
    await db.schema
      .createIndex('console_sessions_expires_at')
      .on('console_sessions')
      .column('expires_at')
      .execute();

    await db.schema
      .createTable('history_events')
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('at', 'varchar(32)', (c) => c.notNull())
      .addColumn('action', 'varchar(16)', (c) => c.notNull())
      .addColumn('image_id', 'varchar(32)', (c) => c.notNull())
      .addColumn('image_name', 'varchar(255)')
      .addColumn('owner_id', 'varchar(32)', (c) => c.notNull())
      .addColumn('region', 'varchar(64)', (c) => c.notNull())
      .addColumn('actor_id', 'varchar(32)', (c) => c.notNull())
      .addColumn('target_account_id', 'varchar(32)')
      .addColumn('surface', 'varchar(16)', (c) => c.notNull())
      .addColumn('client_address', 'varchar(100)')
      .addColumn('details', 'text', (c) => c.notNull())
      .execute();
    // History is read per account as the union of three roles, newest first.
    for (const column of ['owner_id', 'actor_id', 'target_account_id']) {
      await db.schema
        .createIndex(`history_events_${column}`)
        .on('history_events')
        .columns([column, 'at'])
        .execute();
    }
    await db.schema.createIndex('history_events_image').on('history_events').column('image_id').execute();
  },
  async down(db: Db) {
    await db.schema.dropTable('history_events').execute();
    await db.schema.dropTable('console_sessions').execute();
  },
};
