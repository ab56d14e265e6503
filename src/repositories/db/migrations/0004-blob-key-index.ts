import type { Kysely, Migration } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

// The blob sweep looks stored keys up by blob_key, in batches; without an index each batch reads every row.
export const m0004BlobKeyIndex: Migration = {
  async up(db: Db) {
    await db.schema.createIndex('images_blob_key').on('images').column('blob_key').execute();
  },
  async down(db: Db) {
    await db.schema.dropIndex('images_blob_key').execute();
  },
};
