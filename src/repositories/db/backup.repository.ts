// What backup and restore need from the database: a consistent copy of a live SQLite file, the blob keys a
// database refers to, and re-pointing images at the keys their data got when restored into a store.
//
// `VACUUM INTO` reads the database in one read transaction, so the copy is the state at one instant even while
// a server keeps writing. A plain copy of a WAL database can miss committed pages still in the -wal file.
import { existsSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import type { Db } from './database.js';

/** Writes a consistent, compacted copy of the live database at `liveFile` to `destFile` (must not exist). */
export function snapshotSqlite(liveFile: string, destFile: string): void {
  if (!existsSync(liveFile)) throw new Error(`no SQLite database at ${liveFile}`);
  const live = new SQLite(liveFile, { fileMustExist: true });
  try {
    // A writer holding the lock briefly makes VACUUM INTO wait instead of failing.
    live.pragma('busy_timeout = 10000');
    live.prepare('vacuum into ?').run(destFile);
  } finally {
    live.close();
  }
}

/** Image data a database refers to: one blob key with the checksums its images recorded. */
export interface BlobReference {
  key: string;
  size: number | null;
  /** MD5 hex (Glance `checksum`), when recorded. */
  md5: string | null;
  /** SHA-512 hex (`os_hash_value`), when recorded. */
  sha512: string | null;
}

/** Every blob key the database refers to (deleted images hold none), with its recorded size and checksums. */
export async function listBlobReferences(db: Db): Promise<BlobReference[]> {
  const rows = await db.kysely
    .selectFrom('images')
    .select(['blob_key', 'size', 'checksum', 'os_hash_algo', 'os_hash_value'])
    .where('blob_key', 'is not', null)
    .orderBy('blob_key')
    .execute();
  const byKey = new Map<string, BlobReference>();
  for (const row of rows) {
    const key = row.blob_key as string;
    if (byKey.has(key)) continue;
    byKey.set(key, {
      key,
      size: row.size === null ? null : Number(row.size),
      md5: row.checksum,
      sha512: row.os_hash_algo === 'sha512' ? row.os_hash_value : null,
    });
  }
  return [...byKey.values()];
}

/** Points every image holding `oldKey` at `newKey`; returns how many images changed. */
export async function repointBlob(db: Db, oldKey: string, newKey: string): Promise<number> {
  const result = await db.kysely
    .updateTable('images')
    .set({ blob_key: newKey })
    .where('blob_key', '=', oldKey)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
