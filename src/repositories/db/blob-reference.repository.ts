// What the blob sweep asks the database: which stored keys an image still refers to, and which images have
// an upload in progress (whose data must not be swept even though no row refers to it yet).
import type { Db } from './database.js';

export interface BlobReferenceRepository {
  /** Of `keys`, those that an image row (not deleted) refers to. */
  referencedKeys(keys: string[]): Promise<Set<string>>;
  /** Of `imageIds`, those being uploaded right now: status saving and a heartbeat after `heartbeatAfter`. */
  liveUploads(imageIds: string[], heartbeatAfter: string): Promise<Set<string>>;
}

/** Stays well under SQLite's and PostgreSQL's limits on bound parameters. */
const BATCH = 500;

export class KyselyBlobReferenceRepository implements BlobReferenceRepository {
  constructor(private readonly db: Db) {}

  async referencedKeys(keys: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < keys.length; i += BATCH) {
      const rows = await this.db.kysely
        .selectFrom('images')
        .select('blob_key')
        .where('blob_key', 'in', keys.slice(i, i + BATCH))
        .execute();
      for (const row of rows) if (row.blob_key) found.add(row.blob_key);
    }
    return found;
  }

  async liveUploads(imageIds: string[], heartbeatAfter: string): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < imageIds.length; i += BATCH) {
      const rows = await this.db.kysely
        .selectFrom('images')
        .select('id')
        .where('id', 'in', imageIds.slice(i, i + BATCH))
        .where('status', '=', 'saving')
        .where('upload_heartbeat_at', '>', heartbeatAfter)
        .execute();
      for (const row of rows) found.add(row.id);
    }
    return found;
  }
}
