// Groups the image-side repositories over one executor, and runs work in one database transaction.
import type { Kysely } from 'kysely';
import type { Db, DialectName } from './database.js';
import type { Database } from './schema.js';
import { ImageRepository } from './image.repository.js';
import { MemberRepository } from './member.repository.js';
import { InstanceRepository } from './instance.repository.js';

export interface ImageRepositories {
  images: ImageRepository;
  members: MemberRepository;
  instances: InstanceRepository;
}

export function imageRepositories(executor: Kysely<Database>, dialect: DialectName): ImageRepositories {
  return {
    images: new ImageRepository(executor, dialect),
    members: new MemberRepository(executor),
    instances: new InstanceRepository(executor, dialect),
  };
}

/**
 * Runs `work` in one transaction. Keep I/O other than the database (image data) outside: on SQLite a
 * transaction holds the only connection until it ends.
 */
export async function inTransaction<T>(db: Db, work: (repos: ImageRepositories) => Promise<T>): Promise<T> {
  return db.kysely.transaction().execute((trx) => work(imageRepositories(trx, db.dialect)));
}
