import type { Kysely, Migration } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

// The terms of a share (issue 12): an end time after which it grants nothing (compared with the clock on
// every read, so no job is needed), and what the receiver may do ("launch", the default, or
// "launch_and_copy"). The consent an image asks of its receivers ("listing" or "launch"): per image, or
// the owner's default for all its images; null means "not set" (the image falls back to the owner's default,
// the owner's default to the domain's DEFAULT_CONSENT).
export const m0020ShareTerms: Migration = {
  async up(db: Db) {
    await db.schema.alterTable('image_members').addColumn('expires_at', 'varchar(32)').execute();
    await db.schema
      .alterTable('image_members')
      .addColumn('access', 'varchar(16)', (c) => c.notNull().defaultTo('launch'))
      .execute();
    await db.schema.alterTable('images').addColumn('consent', 'varchar(16)').execute();
    await db.schema.alterTable('accounts').addColumn('default_consent', 'varchar(16)').execute();
  },
  async down(db: Db) {
    await db.schema.alterTable('accounts').dropColumn('default_consent').execute();
    await db.schema.alterTable('images').dropColumn('consent').execute();
    await db.schema.alterTable('image_members').dropColumn('access').execute();
    await db.schema.alterTable('image_members').dropColumn('expires_at').execute();
  },
};
