import { sql, type Kysely, type Migration } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

// Lists at scale (issue 10): a receiver's "shared with me" page read in order from its own share rows. Each
// share row carries its image's created_at (fixed for the image's life), and the member index ends with it,
// so a first page of the default order is an index range walked newest first and stopped after the page,
// whatever the number of shares the receiver holds (the old index gave the shares in image ID order, so
// every page read and sorted all of them). The new index has the old one's prefix (member_id, status), so
// it replaces it.
export const m0080MemberImageCreated: Migration = {
  async up(db: Db) {
    await db.schema.alterTable('image_members').addColumn('image_created_at', 'varchar(32)').execute();
    await sql`update image_members set image_created_at =
      (select images.created_at from images where images.id = image_members.image_id)`.execute(db);
    await db.schema
      .createIndex('image_members_member_created')
      .on('image_members')
      .columns(['member_id', 'status', 'image_created_at', 'image_id'])
      .execute();
    await db.schema.dropIndex('image_members_member').execute();
  },
  async down(db: Db) {
    await db.schema
      .createIndex('image_members_member')
      .on('image_members')
      .columns(['member_id', 'status', 'image_id'])
      .execute();
    await db.schema.dropIndex('image_members_member_created').execute();
    await db.schema.alterTable('image_members').dropColumn('image_created_at').execute();
  },
};
