import type { Kysely, Migration } from 'kysely';

// `Kysely<any>`: migrations describe the schema as it was at their time, not today's types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

export const m0001Initial: Migration = {
  async up(db: Db) {
    await db.schema
      .createTable('accounts')
      .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('password_hash', 'varchar(255)', (c) => c.notNull())
      .addColumn('is_admin', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('disabled_at', 'varchar(32)')
      .execute();

    await db.schema
      .createTable('tokens')
      .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('account_id', 'varchar(32)', (c) => c.notNull().references('accounts.id'))
      .addColumn('audit_id', 'varchar(32)', (c) => c.notNull())
      .addColumn('methods', 'varchar(64)', (c) => c.notNull())
      .addColumn('issued_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('revoked_at', 'varchar(32)')
      .execute();
    await db.schema.createIndex('tokens_expires_at').on('tokens').column('expires_at').execute();
    await db.schema.createIndex('tokens_account').on('tokens').column('account_id').execute();

    await db.schema
      .createTable('login_failures')
      .addColumn('key', 'varchar(128)', (c) => c.primaryKey())
      .addColumn('window_start', 'varchar(32)', (c) => c.notNull())
      .addColumn('failures', 'integer', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('api_keys')
      .addColumn('secret_id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('account_id', 'varchar(32)', (c) => c.notNull().references('accounts.id'))
      .addColumn('secret_key_encrypted', 'varchar(255)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('disabled_at', 'varchar(32)')
      .execute();
    await db.schema.createIndex('api_keys_account').on('api_keys').column('account_id').execute();

    await db.schema
      .createTable('used_nonces')
      .addColumn('secret_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('nonce', 'varchar(64)', (c) => c.notNull())
      .addColumn('seen_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('used_nonces_pk', ['secret_id', 'nonce'])
      .execute();
    await db.schema.createIndex('used_nonces_seen_at').on('used_nonces').column('seen_at').execute();

    await db.schema
      .createTable('images')
      .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
      // Not a foreign key: as in Glance, an admin may give an image any project ID as owner (Tempest's
      // BasicOperationsImagesAdminTest sets random 32-hex owners); image-fields.ts bounds its form.
      .addColumn('owner_id', 'varchar(32)', (c) => c.notNull())
      .addColumn('region', 'varchar(64)', (c) => c.notNull())
      .addColumn('name', 'varchar(255)')
      .addColumn('description', 'varchar(1024)')
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('visibility', 'varchar(16)', (c) => c.notNull())
      .addColumn('protected', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('os_hidden', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('size', 'bigint')
      .addColumn('virtual_size', 'bigint')
      .addColumn('checksum', 'varchar(32)')
      .addColumn('os_hash_algo', 'varchar(64)')
      .addColumn('os_hash_value', 'varchar(128)')
      .addColumn('disk_format', 'varchar(32)')
      .addColumn('container_format', 'varchar(32)')
      .addColumn('min_disk', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('min_ram', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('blob_key', 'varchar(255)')
      .addColumn('source_image_id', 'varchar(32)')
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('deleted_at', 'varchar(32)')
      .execute();
    // Keyset pagination: every list is ordered by (sort key, created_at, id), so these indexes let a page
    // start at the marker instead of scanning everything before it.
    await db.schema
      .createIndex('images_owner_region_created')
      .on('images')
      .columns(['owner_id', 'region', 'created_at', 'id'])
      .execute();
    await db.schema
      .createIndex('images_region_visibility_created')
      .on('images')
      .columns(['region', 'visibility', 'created_at', 'id'])
      .execute();
    await db.schema.createIndex('images_created').on('images').columns(['created_at', 'id']).execute();

    await db.schema
      .createTable('image_properties')
      .addColumn('image_id', 'varchar(32)', (c) => c.notNull().references('images.id'))
      .addColumn('key', 'varchar(255)', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('image_properties_pk', ['image_id', 'key'])
      .execute();

    await db.schema
      .createTable('image_tags')
      .addColumn('image_id', 'varchar(32)', (c) => c.notNull().references('images.id'))
      .addColumn('tag', 'varchar(255)', (c) => c.notNull())
      .addPrimaryKeyConstraint('image_tags_pk', ['image_id', 'tag'])
      .execute();
    await db.schema.createIndex('image_tags_tag').on('image_tags').column('tag').execute();

    await db.schema
      .createTable('image_members')
      .addColumn('image_id', 'varchar(32)', (c) => c.notNull().references('images.id'))
      .addColumn('member_id', 'varchar(32)', (c) => c.notNull().references('accounts.id'))
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('image_members_pk', ['image_id', 'member_id'])
      .execute();
    // "Images shared with me": from the member side, by status, joined to images by id.
    await db.schema
      .createIndex('image_members_member')
      .on('image_members')
      .columns(['member_id', 'status', 'image_id'])
      .execute();

    await db.schema
      .createTable('instances')
      .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
      .addColumn('account_id', 'varchar(32)', (c) => c.notNull().references('accounts.id'))
      .addColumn('image_id', 'varchar(32)', (c) => c.notNull().references('images.id'))
      .addColumn('region', 'varchar(64)', (c) => c.notNull())
      .addColumn('name', 'varchar(128)', (c) => c.notNull())
      .addColumn('state', 'varchar(16)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('terminated_at', 'varchar(32)')
      .execute();
    await db.schema
      .createIndex('instances_account_region')
      .on('instances')
      .columns(['account_id', 'region', 'created_at', 'id'])
      .execute();
    await db.schema.createIndex('instances_image').on('instances').column('image_id').execute();
  },

  async down(db: Db) {
    for (const table of [
      'instances',
      'image_members',
      'image_tags',
      'image_properties',
      'images',
      'used_nonces',
      'api_keys',
      'login_failures',
      'tokens',
      'accounts',
    ]) {
      await db.schema.dropTable(table).execute();
    }
  },
};
