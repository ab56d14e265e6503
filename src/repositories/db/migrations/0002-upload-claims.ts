import type { Kysely, Migration } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

// An upload claims its image (status "saving") with an ID and keeps a heartbeat while data flows. A claim
// whose heartbeat stopped (the node crashed mid-upload) can be taken over, so no image stays stuck in
// "saving"; a live claim cannot, and only its owner may activate the image or put it back to "queued".
export const m0002UploadClaims: Migration = {
  async up(db: Db) {
    await db.schema.alterTable('images').addColumn('upload_id', 'varchar(64)').execute();
    await db.schema.alterTable('images').addColumn('upload_heartbeat_at', 'varchar(32)').execute();
  },
  async down(db: Db) {
    await db.schema.alterTable('images').dropColumn('upload_heartbeat_at').execute();
    await db.schema.alterTable('images').dropColumn('upload_id').execute();
  },
};
