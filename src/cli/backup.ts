// `imageshare backup --out DIR` and `imageshare restore --from DIR`: everything a fresh machine needs to
// give back every account, image, share and API key: the database, the image data and the master key.
//
// Backup layout (the manifest is written last, so a folder without one is an unfinished backup):
//   DIR/imageshare.sqlite   consistent copy of the live SQLite database (VACUUM INTO); absent for PostgreSQL
//   DIR/blobs/<key>         the data of every image the copied database refers to, checked against its MD5
//   DIR/master.key          the key API SecretKeys are sealed with, when it lives in <dataDir>/master.key
//   DIR/manifest.json       what is in the backup
//
// Order matters for consistency. The database is copied first, then exactly the blobs that copy refers to.
// Blobs are immutable once written and an image's data is written before its row commits, so every blob the
// copy refers to exists, unless its image was deleted after the copy; then a fresh database copy is taken
// (it no longer refers to that blob) and only the blobs still missing are read.
//
// PostgreSQL: the database is dumped with pg_dump first (docs/deploy.md); `backup --no-database` then copies
// the blobs the live database refers to, and `restore --no-database` puts them back after pg_restore.
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../config.js';
import { databaseUrl, openServices } from '../main.js';
import type { BlobStore } from '../repositories/blob/blob-store.js';
import {
  listBlobReferences,
  repointBlob,
  snapshotSqlite,
  type BlobReference,
} from '../repositories/db/backup.repository.js';
import { isPostgresUrl, openDatabase } from '../repositories/db/database.js';
import { packageVersion } from './version.js';

const FORMAT = 'imageshare-backup/1';
const SNAPSHOT_ATTEMPTS = 5;

export class BackupError extends Error {}

export interface BackupManifest {
  format: typeof FORMAT;
  createdAt: string;
  version: string;
  /** `sqlite`: DIR/imageshare.sqlite holds the database; `none`: it was backed up separately (pg_dump). */
  database: 'sqlite' | 'none';
  /** `file`: DIR/master.key; `configured`: it comes from config.masterKey (keep it with your secrets). */
  masterKey: 'file' | 'configured' | 'none';
  blobs: BlobReference[];
}

type Print = (line: string) => void;

export async function backup(
  config: Config,
  outDir: string,
  options: { noDatabase?: boolean },
  print: Print,
): Promise<BackupManifest> {
  const postgres = isPostgresUrl(config.database.url);
  if (postgres && !options.noDatabase) {
    throw new BackupError(
      'the database is PostgreSQL: dump it with pg_dump first, then run `imageshare backup --no-database` ' +
        'to copy the image data and the master key (docs/deploy.md, "Backup and restore")',
    );
  }
  if (existsSync(outDir) && (await readdir(outDir)).length > 0) {
    throw new BackupError(`${outDir} is not empty; back up into a new folder`);
  }
  await mkdir(join(outDir, 'blobs'), { recursive: true });

  const { db, blobs } = await openServices(config);
  try {
    let references: BlobReference[];
    const copied = new Set<string>();
    if (postgres) {
      references = await listBlobReferences(db);
      const missing = await copyBlobs(blobs, references, outDir, copied);
      // Deleted since pg_dump ran? Then the dump may still refer to it; say so rather than hide it.
      for (const key of missing) print(`warning: blob ${key} disappeared during the backup (image deleted)`);
      references = references.filter((r) => copied.has(r.key));
    } else {
      references = await snapshotWithBlobs(databaseUrl(config), blobs, outDir, copied);
    }
    // Blobs read for an earlier database copy whose image was deleted before the final copy.
    const kept = new Set(references.map((r) => r.key));
    for (const key of copied) if (!kept.has(key)) await rm(join(outDir, 'blobs', key), { force: true });

    let masterKey: BackupManifest['masterKey'] = 'none';
    if (config.masterKey) masterKey = 'configured';
    else if (existsSync(join(config.dataDir, 'master.key'))) {
      await copyFile(join(config.dataDir, 'master.key'), join(outDir, 'master.key'));
      masterKey = 'file';
    }

    const manifest: BackupManifest = {
      format: FORMAT,
      createdAt: new Date().toISOString(),
      version: packageVersion(),
      database: postgres ? 'none' : 'sqlite',
      masterKey,
      blobs: references,
    };
    await writeFile(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
    print(
      `backup written to ${outDir}: database ${manifest.database}, ${references.length} blobs, master key ${masterKey}`,
    );
    if (masterKey === 'configured')
      print('the master key comes from configuration: keep it with your secrets');
    return manifest;
  } finally {
    await db.close();
  }
}

/** Copies the live SQLite database, then the blobs it refers to; retries when an image was deleted meanwhile. */
async function snapshotWithBlobs(
  liveFile: string,
  blobs: BlobStore,
  outDir: string,
  copied: Set<string>,
): Promise<BlobReference[]> {
  const snapshotFile = join(outDir, 'imageshare.sqlite');
  const partial = `${snapshotFile}.partial`;
  for (let attempt = 1; attempt <= SNAPSHOT_ATTEMPTS; attempt++) {
    await rm(partial, { force: true });
    snapshotSqlite(liveFile, partial);
    const snapshot = openDatabase({ url: partial });
    let references: BlobReference[];
    try {
      references = await listBlobReferences(snapshot);
    } finally {
      await snapshot.close();
    }
    const missing = await copyBlobs(blobs, references, outDir, copied);
    if (missing.length === 0) {
      await rename(partial, snapshotFile);
      await rm(`${partial}-wal`, { force: true });
      await rm(`${partial}-shm`, { force: true });
      return references;
    }
  }
  throw new BackupError(
    `image data kept disappearing during ${SNAPSHOT_ATTEMPTS} database copies; try again later`,
  );
}

/** Copies each reference not yet in `copied`; returns the keys the store could not give (deleted meanwhile). */
async function copyBlobs(
  blobs: BlobStore,
  references: BlobReference[],
  outDir: string,
  copied: Set<string>,
): Promise<string[]> {
  const missing: string[] = [];
  for (const ref of references) {
    if (copied.has(ref.key)) continue;
    let stream;
    try {
      stream = await blobs.get(ref.key);
    } catch {
      missing.push(ref.key);
      continue;
    }
    const file = join(outDir, 'blobs', safeKey(ref.key));
    const { size, md5 } = await streamToFile(stream, file);
    if ((ref.size !== null && size !== ref.size) || (ref.md5 !== null && md5 !== ref.md5)) {
      throw new BackupError(
        `blob ${ref.key} does not match its image's size or checksum: the store is damaged`,
      );
    }
    copied.add(ref.key);
  }
  return missing;
}

async function streamToFile(
  stream: NodeJS.ReadableStream,
  file: string,
): Promise<{ size: number; md5: string }> {
  const hash = createHash('md5');
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      size += chunk.length;
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  await pipeline(stream, counter, createWriteStream(file, { flags: 'wx' }));
  return { size, md5: hash.digest('hex') };
}

/** Blob keys are generated by the stores; still, one must never name a path outside blobs/. */
function safeKey(key: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,250}$/.test(key)) throw new BackupError(`unexpected blob key ${key}`);
  return key;
}

export async function restore(
  config: Config,
  fromDir: string,
  options: { noDatabase?: boolean },
  print: Print,
): Promise<void> {
  const manifestFile = join(fromDir, 'manifest.json');
  if (!existsSync(manifestFile)) {
    throw new BackupError(`${fromDir} holds no manifest.json: not a backup, or an unfinished one`);
  }
  const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as BackupManifest;
  if (manifest.format !== FORMAT) throw new BackupError(`unknown backup format ${String(manifest.format)}`);

  const postgres = isPostgresUrl(config.database.url);
  if (!options.noDatabase) {
    if (postgres) {
      throw new BackupError(
        'the target database is PostgreSQL: restore the pg_dump with pg_restore first, then run ' +
          '`imageshare restore --no-database` to put the image data back',
      );
    }
    if (manifest.database !== 'sqlite') {
      throw new BackupError('this backup holds no database (it was taken with --no-database)');
    }
    const target = databaseUrl(config);
    if (existsSync(target)) throw new BackupError(`${target} exists: restore onto a fresh data folder`);
    await mkdir(config.dataDir, { recursive: true });
    await copyFile(join(fromDir, 'imageshare.sqlite'), `${target}.partial`);
    await rename(`${target}.partial`, target);
  }

  if (manifest.masterKey === 'file') {
    const target = join(config.dataDir, 'master.key');
    const wanted = await readFile(join(fromDir, 'master.key'));
    if (existsSync(target)) {
      if (!(await readFile(target)).equals(wanted)) {
        throw new BackupError(`${target} exists and differs from the backup's: API keys would not open`);
      }
    } else {
      await mkdir(config.dataDir, { recursive: true });
      await writeFile(target, wanted, { flag: 'wx', mode: 0o600 });
    }
    if (config.masterKey) print('warning: masterKey is configured, so the restored master.key is not used');
  } else if (manifest.masterKey === 'configured' && !config.masterKey) {
    print('warning: the backup was taken with a configured masterKey; configure the same value here');
  }

  // Each blob goes back in through the configured store (which checks nothing is lost on the way: the
  // hashes it computes must equal the image's), under the new key the store gives it.
  const { db, blobs } = await openServices(config);
  try {
    // Restores go to stopped nodes (docs/deploy.md); the store's start-up preparation is due here too.
    await blobs.init();
    for (const ref of manifest.blobs) {
      const stored = await blobs.put(createReadStream(join(fromDir, 'blobs', safeKey(ref.key))), {
        maxBytes: Number.MAX_SAFE_INTEGER,
        keyPrefix: ref.key.split('-')[0] || 'restored',
      });
      const intact =
        (ref.size === null || stored.size === ref.size) &&
        (ref.md5 === null || stored.md5 === ref.md5) &&
        (ref.sha512 === null || stored.sha512 === ref.sha512);
      if (!intact) {
        await blobs.delete(stored.key);
        throw new BackupError(`blob ${ref.key} in the backup does not match its image's checksums`);
      }
      await repointBlob(db, ref.key, stored.key);
    }
    print(`restored ${manifest.blobs.length} blobs${options.noDatabase ? '' : ' and the database'}`);
  } finally {
    await db.close();
  }
}
