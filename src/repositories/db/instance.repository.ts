// Instances: records of who launched what from which image (not real virtual machines).
import { sql, type Kysely } from 'kysely';
import type { Instance, InstanceState } from '../../domain/types.js';
import type { DialectName } from './database.js';
import type { Database, InstanceRow } from './schema.js';
import type { InstanceStore } from '../image-stores.js';

export class InstanceRepository implements InstanceStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
  ) {}

  /** Serializes the per-account instance limit check until the transaction ends (see lockOwnerRegion). */
  async lockAccount(accountId: string): Promise<void> {
    if (this.dialect !== 'postgres') return;
    await sql`select pg_advisory_xact_lock(hashtextextended(${`instances:${accountId}`}, 0))`.execute(
      this.db,
    );
  }

  async insertMany(instances: Instance[]): Promise<void> {
    if (instances.length === 0) return;
    await this.db
      .insertInto('instances')
      .values(
        instances.map((i) => ({
          id: i.id,
          account_id: i.accountId,
          image_id: i.imageId,
          region: i.region,
          name: i.name,
          state: i.state,
          created_at: i.createdAt,
          updated_at: i.updatedAt,
          terminated_at: i.terminatedAt,
        })),
      )
      .execute();
  }

  async idExists(id: string): Promise<boolean> {
    return (
      (await this.db.selectFrom('instances').select('id').where('id', '=', id).executeTakeFirst()) !==
      undefined
    );
  }

  async countActive(accountId: string): Promise<number> {
    const row = await this.db
      .selectFrom('instances')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('account_id', '=', accountId)
      .where('state', '!=', 'TERMINATED')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The account's instances in a region, newest first, optionally only the given IDs. */
  async list(
    accountId: string,
    region: string,
    options: { ids?: string[]; offset: number; limit: number },
  ): Promise<{ instances: Instance[]; total: number }> {
    let base = this.db
      .selectFrom('instances')
      .where('account_id', '=', accountId)
      .where('region', '=', region);
    if (options.ids) base = base.where('id', 'in', options.ids.length ? options.ids : ['']);
    const [rows, count] = await Promise.all([
      base
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .offset(options.offset)
        .limit(options.limit)
        .execute(),
      base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { instances: rows.map(toInstance), total: Number(count.n) };
  }

  async find(id: string, accountId: string, region: string): Promise<Instance | undefined> {
    const row = await this.db
      .selectFrom('instances')
      .selectAll()
      .where('id', '=', id)
      .where('account_id', '=', accountId)
      .where('region', '=', region)
      .executeTakeFirst();
    return row && toInstance(row);
  }

  async setState(ids: string[], state: InstanceState, at: string): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('instances')
      .set({ state, updated_at: at, terminated_at: state === 'TERMINATED' ? at : null })
      .where('id', 'in', ids)
      .execute();
  }

  /** Instances launched from an image, by anyone (how an owner sees that a shared image was used). */
  async countForImage(imageId: string): Promise<number> {
    const row = await this.db
      .selectFrom('instances')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('image_id', '=', imageId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

function toInstance(row: InstanceRow): Instance {
  return {
    id: row.id,
    accountId: row.account_id,
    imageId: row.image_id,
    region: row.region,
    name: row.name,
    state: row.state as InstanceState,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    terminatedAt: row.terminated_at,
  };
}
