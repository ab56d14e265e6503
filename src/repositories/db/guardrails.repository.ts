// Issue 12 guardrails: receivers' launch policies and their audit records (launch_policies, launch_audit),
// and the shares that ended by their end time whose end the history has not shown yet (image_members).
import type { Kysely } from 'kysely';
import {
  launchPolicyModes,
  type LaunchAuditEntry,
  type LaunchPolicy,
  type LaunchPolicyMode,
} from '../../domain/guardrails.js';
import type { Visibility } from '../../domain/types.js';
import type { EndedShare, LaunchPolicyStore, ShareEndStore } from '../image-stores.js';
import type { Database } from './schema.js';

export class LaunchPolicyRepository implements LaunchPolicyStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(accountId: string): Promise<LaunchPolicy | undefined> {
    const row = await this.db
      .selectFrom('launch_policies')
      .select(['mode', 'allowed_owners'])
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    if (!row) return undefined;
    const mode = (launchPolicyModes as readonly string[]).includes(row.mode)
      ? (row.mode as LaunchPolicyMode)
      : 'off';
    const parsed: unknown = JSON.parse(row.allowed_owners);
    const allowedOwners = Array.isArray(parsed)
      ? parsed.filter((e): e is string => typeof e === 'string')
      : [];
    return { mode, allowedOwners };
  }

  async set(accountId: string, policy: LaunchPolicy, at: string): Promise<void> {
    const values = {
      mode: policy.mode,
      allowed_owners: JSON.stringify(policy.allowedOwners),
      updated_at: at,
    };
    await this.db
      .insertInto('launch_policies')
      .values({ account_id: accountId, ...values })
      .onConflict((oc) => oc.column('account_id').doUpdateSet(values))
      .execute();
  }

  async recordAudit(entry: LaunchAuditEntry): Promise<void> {
    await this.db
      .insertInto('launch_audit')
      .values({
        id: entry.id,
        account_id: entry.accountId,
        at: entry.at,
        image_id: entry.imageId,
        image_name: entry.imageName,
        owner_id: entry.ownerId,
        region: entry.region,
        visibility: entry.visibility,
        instances: entry.instances,
        surface: entry.surface,
      })
      .execute();
  }

  async listAudit(
    accountId: string,
    page: { offset: number; limit: number },
  ): Promise<{ entries: LaunchAuditEntry[]; total: number }> {
    const base = this.db.selectFrom('launch_audit').where('account_id', '=', accountId);
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
    return {
      entries: rows.map((row) => ({
        id: row.id,
        accountId: row.account_id,
        at: row.at,
        imageId: row.image_id,
        imageName: row.image_name,
        ownerId: row.owner_id,
        region: row.region,
        visibility: row.visibility as Visibility,
        instances: Number(row.instances),
        surface: row.surface,
      })),
      total: Number(count.n),
    };
  }
}

export class ShareEndRepository implements ShareEndStore {
  constructor(private readonly db: Kysely<Database>) {}

  async unrecorded(scope: { imageId: string } | { accountId: string }, now: string): Promise<EndedShare[]> {
    let query = this.db
      .selectFrom('image_members')
      .innerJoin('images', 'images.id', 'image_members.image_id')
      .select([
        'image_members.image_id as imageId',
        'images.name as imageName',
        'images.owner_id as ownerId',
        'images.region as region',
        'image_members.member_id as memberId',
        'image_members.expires_at as expiresAt',
      ])
      .where('image_members.expires_at', 'is not', null)
      .where('image_members.expires_at', '<=', now)
      .where((eb) =>
        eb.or([
          eb('image_members.end_recorded_at', 'is', null),
          eb('image_members.end_recorded_at', '<>', eb.ref('image_members.expires_at')),
        ]),
      );
    if ('imageId' in scope) {
      query = query.where('image_members.image_id', '=', scope.imageId);
    } else {
      const { accountId } = scope;
      query = query.where((eb) =>
        eb.or([eb('image_members.member_id', '=', accountId), eb('images.owner_id', '=', accountId)]),
      );
    }
    const rows = await query.orderBy('image_members.expires_at').execute();
    return rows.map((r) => ({ ...r, expiresAt: r.expiresAt as string }));
  }

  async markRecorded(imageId: string, memberId: string, expiresAt: string): Promise<boolean> {
    const result = await this.db
      .updateTable('image_members')
      .set({ end_recorded_at: expiresAt })
      .where('image_id', '=', imageId)
      .where('member_id', '=', memberId)
      .where('expires_at', '=', expiresAt)
      .where((eb) => eb.or([eb('end_recorded_at', 'is', null), eb('end_recorded_at', '<>', expiresAt)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}
