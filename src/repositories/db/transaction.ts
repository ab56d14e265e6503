// The Kysely implementation of the image stores and their unit of work (one database transaction).
import type { Kysely } from 'kysely';
import type { ImageStores, ImageUnitOfWork } from '../image-stores.js';
import type { Db, DialectName } from './database.js';
import type { Database } from './schema.js';
import { ImageRepository } from './image.repository.js';
import { MemberRepository } from './member.repository.js';
import { InstanceRepository } from './instance.repository.js';
import { HistoryRepository } from './history.repository.js';
import { ShareStatsRepository } from './share-stats.repository.js';
import { ConsentRepository } from './consent.repository.js';
import { GroupRepository } from './group.repository.js';
import { LaunchPolicyRepository, ShareEndRepository } from './guardrails.repository.js';
import { NotificationRepository } from './notification.repository.js';

function kyselyImageStores(executor: Kysely<Database>, dialect: DialectName): ImageStores {
  return {
    images: new ImageRepository(executor, dialect),
    members: new MemberRepository(executor, dialect),
    instances: new InstanceRepository(executor, dialect),
    history: new HistoryRepository(executor, dialect),
    shareStats: new ShareStatsRepository(executor),
    consent: new ConsentRepository(executor),
    groups: new GroupRepository(executor, dialect),
    launchPolicies: new LaunchPolicyRepository(executor),
    shareEnds: new ShareEndRepository(executor),
    notifications: new NotificationRepository(executor, dialect),
  };
}

export class KyselyImageUnitOfWork implements ImageUnitOfWork {
  readonly stores: ImageStores;

  constructor(private readonly db: Db) {
    this.stores = kyselyImageStores(db.kysely, db.dialect);
  }

  /**
   * Keep I/O other than the database (image data) outside: on SQLite a transaction holds the only
   * connection until it ends.
   */
  transaction<T>(work: (stores: ImageStores) => Promise<T>): Promise<T> {
    return this.db.kysely.transaction().execute((trx) => work(kyselyImageStores(trx, this.db.dialect)));
  }
}
