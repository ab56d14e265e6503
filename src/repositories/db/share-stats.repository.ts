// Counts the console shows beside images and shares, read in one query per page instead of one per row.
import type { Kysely } from 'kysely';
import type { MemberStatus } from '../../domain/types.js';
import type { ShareStatsStore } from '../image-stores.js';
import type { Database } from './schema.js';

export interface LaunchCounts {
  launches: number;
  running: number;
}

export class ShareStatsRepository implements ShareStatsStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** How many accounts each image is shared with (images without shares are absent). */
  async shareCounts(imageIds: string[]): Promise<Map<string, number>> {
    if (imageIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('image_members')
      .select(['image_id', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('image_id', 'in', imageIds)
      .groupBy('image_id')
      .execute();
    return new Map(rows.map((r) => [r.image_id, Number(r.n)]));
  }

  /** The account's membership status on each of the images it is a member of. */
  async membershipsOf(accountId: string, imageIds: string[]): Promise<Map<string, MemberStatus>> {
    if (imageIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('image_members')
      .select(['image_id', 'status'])
      .where('member_id', '=', accountId)
      .where('image_id', 'in', imageIds)
      .execute();
    return new Map(rows.map((r) => [r.image_id, r.status as MemberStatus]));
  }

  /** Instances launched from an image, per launching account: all of them, and those still running. */
  async launchesPerAccount(imageId: string): Promise<Map<string, LaunchCounts>> {
    const rows = await this.db
      .selectFrom('instances')
      .select(['account_id', 'state', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('image_id', '=', imageId)
      .groupBy(['account_id', 'state'])
      .execute();
    const out = new Map<string, LaunchCounts>();
    for (const row of rows) {
      const counts = out.get(row.account_id) ?? { launches: 0, running: 0 };
      counts.launches += Number(row.n);
      if (row.state === 'RUNNING') counts.running += Number(row.n);
      out.set(row.account_id, counts);
    }
    return out;
  }
}
