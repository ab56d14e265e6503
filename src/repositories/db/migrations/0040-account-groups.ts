import type { Kysely, Migration } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

// Account groups (issue 12): an owner's named groups of accounts (unique names per owner), their members,
// the shares of images with groups (one place each in the image's limit, with the same terms as a direct
// share), and each receiver's answer (pending / accepted / rejected) to an image that reaches it through
// groups: per receiver and image, as for a direct share. Who sees what is computed from these rows at read
// time (domain/visibility.ts combineShares), so a member who joins gets the group's images and one who
// leaves loses them in the same transaction, with no fan-out to rewrite.
export const m0040AccountGroups: Migration = {
  async up(db: Db) {
    await db.schema
      .createTable('account_groups')
      .addColumn('id', 'varchar(16)', (c) => c.primaryKey())
      .addColumn('owner_id', 'varchar(32)', (c) => c.notNull())
      .addColumn('name', 'varchar(64)', (c) => c.notNull())
      .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .addUniqueConstraint('account_groups_owner_name', ['owner_id', 'name'])
      .execute();

    await db.schema
      .createTable('account_group_members')
      .addColumn('group_id', 'varchar(16)', (c) => c.notNull())
      .addColumn('account_id', 'varchar(32)', (c) => c.notNull())
      .addColumn('added_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('account_group_members_pk', ['group_id', 'account_id'])
      .execute();
    // A receiver's groups, for its lists and its access to each image.
    await db.schema
      .createIndex('account_group_members_account')
      .on('account_group_members')
      .columns(['account_id', 'group_id'])
      .execute();

    await db.schema
      .createTable('image_group_shares')
      .addColumn('image_id', 'varchar(32)', (c) => c.notNull())
      .addColumn('group_id', 'varchar(16)', (c) => c.notNull())
      .addColumn('expires_at', 'varchar(32)')
      .addColumn('access', 'varchar(16)', (c) => c.notNull().defaultTo('launch'))
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('image_group_shares_pk', ['image_id', 'group_id'])
      .execute();
    await db.schema
      .createIndex('image_group_shares_group')
      .on('image_group_shares')
      .columns(['group_id', 'image_id'])
      .execute();

    await db.schema
      .createTable('group_share_consents')
      .addColumn('image_id', 'varchar(32)', (c) => c.notNull())
      .addColumn('account_id', 'varchar(32)', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('group_share_consents_pk', ['image_id', 'account_id'])
      .execute();
  },
  async down(db: Db) {
    await db.schema.dropTable('group_share_consents').execute();
    await db.schema.dropTable('image_group_shares').execute();
    await db.schema.dropTable('account_group_members').execute();
    await db.schema.dropTable('account_groups').execute();
  },
};
