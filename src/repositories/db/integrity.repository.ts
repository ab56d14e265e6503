// What `imageshare images verify` reads: the images that hold data, with the size and hashes recorded when
// the data was stored, walked in ID order a page at a time so a large catalogue never sits in memory.
import type { Db } from './database.js';

export interface RecordedData {
  id: string;
  ownerId: string;
  region: string;
  status: string;
  blobKey: string;
  size: number | null;
  md5: string | null;
  sha512: string | null;
}

export interface IntegrityRepository {
  /** Images (not deleted) that hold data, with IDs after `afterId`, in ID order. */
  pageWithData(afterId: string, limit: number): Promise<RecordedData[]>;
  /** The given images (not deleted) that hold data. */
  withData(ids: string[]): Promise<RecordedData[]>;
}

export class KyselyIntegrityRepository implements IntegrityRepository {
  constructor(private readonly db: Db) {}

  private base() {
    return this.db.kysely
      .selectFrom('images')
      .select(['id', 'owner_id', 'region', 'status', 'blob_key', 'size', 'checksum', 'os_hash_value'])
      .where('blob_key', 'is not', null)
      .where('status', '!=', 'deleted');
  }

  async pageWithData(afterId: string, limit: number): Promise<RecordedData[]> {
    const rows = await this.base().where('id', '>', afterId).orderBy('id').limit(limit).execute();
    return rows.map(toRecorded);
  }

  async withData(ids: string[]): Promise<RecordedData[]> {
    if (ids.length === 0) return [];
    const rows = await this.base().where('id', 'in', ids).orderBy('id').execute();
    return rows.map(toRecorded);
  }
}

function toRecorded(row: {
  id: string;
  owner_id: string;
  region: string;
  status: string;
  blob_key: string | null;
  size: number | null;
  checksum: string | null;
  os_hash_value: string | null;
}): RecordedData {
  return {
    id: row.id,
    ownerId: row.owner_id,
    region: row.region,
    status: row.status,
    blobKey: row.blob_key as string,
    size: row.size === null ? null : Number(row.size),
    md5: row.checksum,
    sha512: row.os_hash_value,
  };
}
