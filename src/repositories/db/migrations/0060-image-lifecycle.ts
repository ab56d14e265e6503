import type { Kysely, Migration } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

// Image lifecycle (issue 12). Deprecation: when the owner deprecated the image, the image it points
// receivers to instead, and the instant from which new launches are refused (all null: not deprecated).
// Disabling (AWS DisableImage): while disabled_at is set every share of the image is suspended (the member
// rows stay). The recycle bin: a deleted image keeps its row with deleted_at set, status "pending_delete",
// its data and its member rows until purge_after; binned_from is the status a restore returns it to.
export const m0060ImageLifecycle: Migration = {
  async up(db: Db) {
    for (const column of [
      'deprecated_at',
      'obsolete_at',
      'replacement_image_id',
      'disabled_at',
      'purge_after',
      'binned_from',
    ]) {
      await db.schema.alterTable('images').addColumn(column, 'varchar(32)').execute();
    }
    // The purge walks binned images whose retention ended, oldest first.
    await db.schema.createIndex('images_purge_after').on('images').column('purge_after').execute();
  },
  async down(db: Db) {
    await db.schema.dropIndex('images_purge_after').execute();
    for (const column of [
      'binned_from',
      'purge_after',
      'disabled_at',
      'replacement_image_id',
      'obsolete_at',
      'deprecated_at',
    ]) {
      await db.schema.alterTable('images').dropColumn(column).execute();
    }
  },
};
