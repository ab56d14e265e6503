// The history of image changes. Rows are written by the services inside the transaction of the change
// (so a change and its record commit or roll back together) and read per account, newest first.
import type { Kysely } from 'kysely';
import type { HistoryAction, HistoryEntry, Surface } from '../../domain/history.js';
import type { HistoryStore } from '../image-stores.js';
import type { Database, HistoryEventRow } from './schema.js';
import type { DialectName } from './database.js';
import { fixedStatement } from './statement-shapes.js';

export class HistoryRepository implements HistoryStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
  ) {}

  async insert(entry: HistoryEntry): Promise<void> {
    const row = {
      id: entry.id,
      at: entry.at,
      action: entry.action,
      image_id: entry.imageId,
      image_name: entry.imageName,
      owner_id: entry.ownerId,
      region: entry.region,
      actor_id: entry.actorId,
      target_account_id: entry.targetAccountId,
      surface: entry.surface,
      client_address: entry.clientAddress,
      details: JSON.stringify(entry.details),
    };
    await this.db.executeQuery(
      fixedStatement(`history insert ${this.dialect}`, row, (r) =>
        this.db.insertInto('history_events').values(r),
      ),
    );
  }

  /** The entries an account may see (domain/history.ts historyVisibleTo), newest first, with the total. */
  async listVisibleTo(
    accountId: string,
    page: { offset: number; limit: number },
  ): Promise<{ entries: HistoryEntry[]; total: number }> {
    const base = this.db
      .selectFrom('history_events')
      .where((eb) =>
        eb.or([
          eb('owner_id', '=', accountId),
          eb('actor_id', '=', accountId),
          eb('target_account_id', '=', accountId),
        ]),
      );
    const [rows, count] = await Promise.all([
      base
        .selectAll()
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .offset(page.offset)
        .limit(page.limit)
        .execute(),
      base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { entries: rows.map(toEntry), total: Number(count.n) };
  }

  /** Every entry about one image, oldest first (tests and audits). */
  async listForImage(imageId: string): Promise<HistoryEntry[]> {
    const rows = await this.db
      .selectFrom('history_events')
      .selectAll()
      .where('image_id', '=', imageId)
      .orderBy('at')
      .orderBy('id')
      .execute();
    return rows.map(toEntry);
  }
}

function toEntry(row: HistoryEventRow): HistoryEntry {
  return {
    id: row.id,
    at: row.at,
    action: row.action as HistoryAction,
    imageId: row.image_id,
    imageName: row.image_name,
    ownerId: row.owner_id,
    region: row.region,
    actorId: row.actor_id,
    targetAccountId: row.target_account_id,
    surface: row.surface as Surface,
    clientAddress: row.client_address,
    details: JSON.parse(row.details) as Record<string, string>,
  };
}
