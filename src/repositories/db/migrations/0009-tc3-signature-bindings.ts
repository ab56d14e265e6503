import type { Kysely, Migration } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

// TC3 signatures as the SDKs make them cover neither X-TC-Action nor X-TC-Region nor X-TC-Version: each
// signature seen is bound to the (action, region, version) it was first used with, in the database so that
// every node refuses it with any other while its timestamp is acceptable.
export const m0009Tc3SignatureBindings: Migration = {
  async up(db: Db) {
    await db.schema
      .createTable('tc3_signature_bindings')
      .addColumn('signature', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('binding', 'varchar(400)', (c) => c.notNull())
      .addColumn('seen_at', 'varchar(32)', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('tc3_signature_bindings_seen_at')
      .on('tc3_signature_bindings')
      .column('seen_at')
      .execute();
  },
  async down(db: Db) {
    await db.schema.dropTable('tc3_signature_bindings').execute();
  },
};
