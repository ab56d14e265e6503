// Counts the console shows beside images and shares, read in one query per page instead of one per row.
import type { Kysely } from 'kysely';
import type { MemberStatus, ShareAccess } from '../../domain/types.js';
import { combineShares, type Membership } from '../../domain/visibility.js';
import { groupConsentsOf, groupSharesReaching } from './group.repository.js';
import type { LaunchStats, ShareStatsStore } from '../image-stores.js';
import type { Database } from './schema.js';

export class ShareStatsRepository implements ShareStatsStore {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * How many shares each image has: accounts, and groups (one each, as in the limit). Images without shares
   * are absent.
   */
  async shareCounts(imageIds: string[]): Promise<Map<string, number>> {
    if (imageIds.length === 0) return new Map();
    const out = new Map<string, number>();
    for (const table of ['image_members', 'image_group_shares'] as const) {
      const rows = await this.db
        .selectFrom(table)
        .select(['image_id', (eb) => eb.fn.countAll<number | string>().as('n')])
        .where('image_id', 'in', imageIds)
        .groupBy('image_id')
        .execute();
      for (const r of rows) out.set(r.image_id, (out.get(r.image_id) ?? 0) + Number(r.n));
    }
    return out;
  }

  /**
   * The account's share of each of the images it holds one of, at `now`: its own member row and the shares
   * with its groups, as one (domain/visibility.ts combineShares).
   */
  async membershipsOf(accountId: string, imageIds: string[], now: string): Promise<Map<string, Membership>> {
    if (imageIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('image_members')
      .select(['image_id', 'status', 'expires_at', 'access'])
      .where('member_id', '=', accountId)
      .where('image_id', 'in', imageIds)
      .execute();
    const direct = new Map(
      rows.map((r): [string, Membership] => [
        r.image_id,
        { status: r.status as MemberStatus, expiresAt: r.expires_at, access: r.access as ShareAccess },
      ]),
    );
    const viaGroups = await groupSharesReaching(this.db, accountId, imageIds);
    const answers = viaGroups.size
      ? await groupConsentsOf(this.db, accountId, [...viaGroups.keys()])
      : new Map<string, MemberStatus>();
    const out = new Map<string, Membership>();
    for (const id of imageIds) {
      const share = combineShares(
        direct.get(id) ?? null,
        viaGroups.get(id) ?? [],
        answers.get(id) ?? null,
        now,
      );
      if (share) out.set(id, share);
    }
    return out;
  }

  /**
   * Instances launched from an image, per launching account: all of them, those still running, and the
   * last launch. Read from the instance rows at the time of the request (live, not a daily report).
   */
  async launchesPerAccount(imageId: string): Promise<Map<string, LaunchStats>> {
    const rows = await this.db
      .selectFrom('instances')
      .select([
        'account_id',
        'state',
        (eb) => eb.fn.countAll<number | string>().as('n'),
        (eb) => eb.fn.max('created_at').as('last'),
      ])
      .where('image_id', '=', imageId)
      .groupBy(['account_id', 'state'])
      .execute();
    const out = new Map<string, LaunchStats>();
    for (const row of rows) {
      const stats = out.get(row.account_id) ?? { launches: 0, running: 0, lastLaunchAt: null };
      stats.launches += Number(row.n);
      if (row.state === 'RUNNING') stats.running += Number(row.n);
      if (stats.lastLaunchAt === null || row.last > stats.lastLaunchAt) stats.lastLaunchAt = row.last;
      out.set(row.account_id, stats);
    }
    return out;
  }
}
