// Account groups (0040): the groups, their members, the shares of images with groups, and each receiver's
// answer to an image that reaches it through groups. Rules live in domain/groups.ts; the group and share
// services call these under the locks they take (lockOwner, findForUpdate).
import { sql, type InferResult, type Kysely } from 'kysely';
import type { Group, GroupMember } from '../../domain/groups.js';
import type { MemberStatus, ShareAccess } from '../../domain/types.js';
import type { GroupShareTerms } from '../../domain/visibility.js';
import type { DialectName } from './database.js';
import type { Database } from './schema.js';
import { fixedStatement } from './statement-shapes.js';
import type { GroupShare, GroupStore } from '../image-stores.js';

type GroupRow = {
  id: string;
  owner_id: string;
  name: string;
  description: string;
  created_at: string;
  updated_at: string;
};

export class GroupRepository implements GroupStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
  ) {}

  /** Serializes one owner's group creations and renames (quota, unique names) until the transaction ends. */
  async lockOwner(ownerId: string): Promise<void> {
    if (this.dialect !== 'postgres') return;
    await sql`select pg_advisory_xact_lock(hashtextextended(${`groups:${ownerId}`}, 0))`.execute(this.db);
  }

  async countOwned(ownerId: string): Promise<number> {
    const row = await this.db
      .selectFrom('account_groups')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('owner_id', '=', ownerId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async insert(group: Group): Promise<void> {
    await this.db
      .insertInto('account_groups')
      .values({
        id: group.id,
        owner_id: group.ownerId,
        name: group.name,
        description: group.description,
        created_at: group.createdAt,
        updated_at: group.updatedAt,
      })
      .execute();
  }

  async find(id: string): Promise<Group | null> {
    const row = await this.db
      .selectFrom('account_groups')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toGroup(row) : null;
  }

  /**
   * Reads the group and locks its row until the transaction ends (PostgreSQL): joins, leaves, shares with the
   * group and its deletion serialize on it, on every node. SQLite serializes whole transactions already.
   */
  async findForUpdate(id: string): Promise<Group | null> {
    let query = this.db.selectFrom('account_groups').selectAll().where('id', '=', id);
    if (this.dialect === 'postgres') query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row ? toGroup(row) : null;
  }

  async findByName(ownerId: string, name: string): Promise<Group | null> {
    const row = await this.db
      .selectFrom('account_groups')
      .selectAll()
      .where('owner_id', '=', ownerId)
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? toGroup(row) : null;
  }

  async listOwned(
    ownerId: string,
    page: { offset: number; limit: number },
  ): Promise<{ groups: Group[]; total: number }> {
    const [rows, total] = await Promise.all([
      this.db
        .selectFrom('account_groups')
        .selectAll()
        .where('owner_id', '=', ownerId)
        .orderBy('name')
        .orderBy('id')
        .offset(page.offset)
        .limit(page.limit)
        .execute(),
      this.countOwned(ownerId),
    ]);
    return { groups: rows.map(toGroup), total };
  }

  async update(id: string, changes: { name: string; description: string }, at: string): Promise<void> {
    await this.db
      .updateTable('account_groups')
      .set({ name: changes.name, description: changes.description, updated_at: at })
      .where('id', '=', id)
      .execute();
  }

  /** Removes the group, its members and its shares; returns the images it was shared with. */
  async delete(id: string): Promise<string[]> {
    const shares = await this.db
      .selectFrom('image_group_shares')
      .select('image_id')
      .where('group_id', '=', id)
      .execute();
    await this.db.deleteFrom('image_group_shares').where('group_id', '=', id).execute();
    await this.db.deleteFrom('account_group_members').where('group_id', '=', id).execute();
    await this.db.deleteFrom('account_groups').where('id', '=', id).execute();
    return shares.map((s) => s.image_id);
  }

  async members(groupId: string): Promise<GroupMember[]> {
    const rows = await this.db
      .selectFrom('account_group_members')
      .selectAll()
      .where('group_id', '=', groupId)
      .orderBy('added_at')
      .orderBy('account_id')
      .execute();
    return rows.map((r) => ({ groupId: r.group_id, accountId: r.account_id, addedAt: r.added_at }));
  }

  async sizes(groupIds: string[]): Promise<Map<string, number>> {
    if (groupIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('account_group_members')
      .select(['group_id', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('group_id', 'in', groupIds)
      .groupBy('group_id')
      .execute();
    return new Map(rows.map((r) => [r.group_id, Number(r.n)]));
  }

  async addMembers(groupId: string, accountIds: string[], at: string): Promise<void> {
    if (accountIds.length === 0) return;
    await this.db
      .insertInto('account_group_members')
      .values(accountIds.map((accountId) => ({ group_id: groupId, account_id: accountId, added_at: at })))
      .execute();
  }

  async removeMembers(groupId: string, accountIds: string[]): Promise<number> {
    if (accountIds.length === 0) return 0;
    const result = await this.db
      .deleteFrom('account_group_members')
      .where('group_id', '=', groupId)
      .where('account_id', 'in', accountIds)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** An image's group shares, oldest first, with each group's name and size. */
  async sharesOfImage(imageId: string): Promise<GroupShare[]> {
    // Read inside every share's transaction: compiled once (statement-shapes.ts fixedStatement).
    const build = (v: { imageId: string }) =>
      this.db
        .selectFrom('image_group_shares')
        .innerJoin('account_groups', 'account_groups.id', 'image_group_shares.group_id')
        .select([
          'image_group_shares.image_id',
          'image_group_shares.group_id',
          'image_group_shares.expires_at',
          'image_group_shares.access',
          'image_group_shares.created_at',
          'image_group_shares.updated_at',
          'account_groups.name',
        ])
        .where('image_group_shares.image_id', '=', v.imageId)
        .orderBy('image_group_shares.created_at')
        .orderBy('image_group_shares.group_id');
    const { rows } = await this.db.executeQuery<InferResult<ReturnType<typeof build>>[number]>(
      fixedStatement(`group shares of image ${this.dialect}`, { imageId }, build),
    );
    const sizes = await this.sizes(rows.map((r) => r.group_id));
    return rows.map((r) => ({
      imageId: r.image_id,
      groupId: r.group_id,
      groupName: r.name,
      size: sizes.get(r.group_id) ?? 0,
      expiresAt: r.expires_at,
      access: r.access as ShareAccess,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }

  /** The images shared with a group (any region), oldest share first. */
  async imagesSharedWith(groupId: string): Promise<Array<{ imageId: string; expiresAt: string | null }>> {
    const rows = await this.db
      .selectFrom('image_group_shares')
      .select(['image_id', 'expires_at'])
      .where('group_id', '=', groupId)
      .orderBy('created_at')
      .orderBy('image_id')
      .execute();
    return rows.map((r) => ({ imageId: r.image_id, expiresAt: r.expires_at }));
  }

  async insertShare(share: Omit<GroupShare, 'groupName' | 'size'>): Promise<void> {
    await this.db
      .insertInto('image_group_shares')
      .values({
        image_id: share.imageId,
        group_id: share.groupId,
        expires_at: share.expiresAt,
        access: share.access,
        created_at: share.createdAt,
        updated_at: share.updatedAt,
      })
      .execute();
  }

  async setShareTerms(
    imageId: string,
    groupId: string,
    terms: GroupShareTerms,
    updatedAt: string,
  ): Promise<void> {
    await this.db
      .updateTable('image_group_shares')
      .set({ expires_at: terms.expiresAt, access: terms.access, updated_at: updatedAt })
      .where('image_id', '=', imageId)
      .where('group_id', '=', groupId)
      .execute();
  }

  async deleteShares(imageId: string, groupIds: string[]): Promise<number> {
    if (groupIds.length === 0) return 0;
    const result = await this.db
      .deleteFrom('image_group_shares')
      .where('image_id', '=', imageId)
      .where('group_id', 'in', groupIds)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async deleteAllSharesOfImage(imageId: string): Promise<void> {
    await this.db.deleteFrom('image_group_shares').where('image_id', '=', imageId).execute();
    await this.db.deleteFrom('group_share_consents').where('image_id', '=', imageId).execute();
  }

  sharesReaching(accountId: string, imageIds: string[]): Promise<Map<string, GroupShareTerms[]>> {
    return groupSharesReaching(this.db, accountId, imageIds);
  }

  consentsOf(accountId: string, imageIds: string[]): Promise<Map<string, MemberStatus>> {
    return groupConsentsOf(this.db, accountId, imageIds);
  }

  async setConsent(imageId: string, accountId: string, status: MemberStatus, at: string): Promise<void> {
    await this.db
      .insertInto('group_share_consents')
      .values({ image_id: imageId, account_id: accountId, status, updated_at: at })
      .onConflict((oc) => oc.columns(['image_id', 'account_id']).doUpdateSet({ status, updated_at: at }))
      .execute();
  }
}

function toGroup(row: GroupRow): Group {
  return {
    id: row.id,
    ownerId: row.owner_id,
    name: row.name,
    description: row.description,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** For each image, the terms of its shares with groups the account belongs to (any, live or not). */
export async function groupSharesReaching(
  db: Kysely<Database>,
  accountId: string,
  imageIds: string[],
): Promise<Map<string, GroupShareTerms[]>> {
  const out = new Map<string, GroupShareTerms[]>();
  if (imageIds.length === 0) return out;
  const rows = await db
    .selectFrom('account_group_members')
    .innerJoin('image_group_shares', 'image_group_shares.group_id', 'account_group_members.group_id')
    .select(['image_group_shares.image_id', 'image_group_shares.expires_at', 'image_group_shares.access'])
    .where('account_group_members.account_id', '=', accountId)
    .where('image_group_shares.image_id', 'in', imageIds)
    .execute();
  for (const row of rows) {
    const list = out.get(row.image_id) ?? [];
    list.push({ expiresAt: row.expires_at, access: row.access as ShareAccess });
    out.set(row.image_id, list);
  }
  return out;
}

/** The account's answer to each image's group shares, where it gave one. */
export async function groupConsentsOf(
  db: Kysely<Database>,
  accountId: string,
  imageIds: string[],
): Promise<Map<string, MemberStatus>> {
  if (imageIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('group_share_consents')
    .select(['image_id', 'status'])
    .where('account_id', '=', accountId)
    .where('image_id', 'in', imageIds)
    .execute();
  return new Map(rows.map((r) => [r.image_id, r.status as MemberStatus]));
}
