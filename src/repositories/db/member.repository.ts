// Image members: the shares of an image with other accounts. One row per (image, account).
import type { Kysely } from 'kysely';
import type { Member, MemberStatus, ShareAccess } from '../../domain/types.js';
import type { Database, MemberRow } from './schema.js';
import type { MemberStore } from '../image-stores.js';
import type { DialectName } from './database.js';
import { fixedStatement } from './statement-shapes.js';

export class MemberRepository implements MemberStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
  ) {}

  async find(imageId: string, memberId: string): Promise<Member | undefined> {
    const row = await this.db
      .selectFrom('image_members')
      .selectAll()
      .where('image_id', '=', imageId)
      .where('member_id', '=', memberId)
      .executeTakeFirst();
    return row && toMember(row);
  }

  /** Members in the order they were added (Tencent returns shares in insertion order). */
  async listForImage(imageId: string): Promise<Member[]> {
    const rows = await this.db
      .selectFrom('image_members')
      .selectAll()
      .where('image_id', '=', imageId)
      .orderBy('created_at')
      .orderBy('member_id')
      .execute();
    return rows.map(toMember);
  }

  /**
   * Two columns and no sort, read inside every share's transaction (under the write lock on SQLite): a full,
   * ordered member list cost 40 us of an add-member's ~460 us lock hold at 25 members (bench/RESULTS.md).
   */
  async endsForImage(imageId: string): Promise<Array<Pick<Member, 'memberId' | 'expiresAt'>>> {
    const { rows } = await this.db.executeQuery<Pick<MemberRow, 'member_id' | 'expires_at'>>(
      fixedStatement(`member ends ${this.dialect}`, { imageId }, (v) =>
        this.db
          .selectFrom('image_members')
          .select(['member_id', 'expires_at'])
          .where('image_id', '=', v.imageId),
      ),
    );
    return rows.map((r) => ({ memberId: r.member_id, expiresAt: r.expires_at }));
  }

  async countForImage(imageId: string): Promise<number> {
    const row = await this.db
      .selectFrom('image_members')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('image_id', '=', imageId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async insert(member: Member): Promise<void> {
    const row = {
      image_id: member.imageId,
      member_id: member.memberId,
      status: member.status,
      expires_at: member.expiresAt,
      access: member.access,
      created_at: member.createdAt,
      updated_at: member.updatedAt,
    };
    await this.db.executeQuery(
      fixedStatement(`member insert ${this.dialect}`, row, (r) =>
        this.db.insertInto('image_members').values({
          ...r,
          // The image's own created_at (0080), read in the same statement: the receiver's list order.
          image_created_at: (eb) =>
            eb.selectFrom('images').select('images.created_at').where('images.id', '=', r.image_id),
        }),
      ),
    );
  }

  async setStatus(imageId: string, memberId: string, status: MemberStatus, updatedAt: string): Promise<void> {
    await this.db
      .updateTable('image_members')
      .set({ status, updated_at: updatedAt })
      .where('image_id', '=', imageId)
      .where('member_id', '=', memberId)
      .execute();
  }

  async setTerms(
    imageId: string,
    memberId: string,
    terms: Pick<Member, 'expiresAt' | 'access'>,
    updatedAt: string,
  ): Promise<void> {
    await this.db
      .updateTable('image_members')
      .set({ expires_at: terms.expiresAt, access: terms.access, updated_at: updatedAt })
      .where('image_id', '=', imageId)
      .where('member_id', '=', memberId)
      .execute();
  }

  async delete(imageId: string, memberIds: string[]): Promise<number> {
    if (memberIds.length === 0) return 0;
    const result = await this.db
      .deleteFrom('image_members')
      .where('image_id', '=', imageId)
      .where('member_id', 'in', memberIds)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async deleteAllForImage(imageId: string): Promise<void> {
    await this.db.deleteFrom('image_members').where('image_id', '=', imageId).execute();
  }
}

function toMember(row: MemberRow): Member {
  return {
    imageId: row.image_id,
    memberId: row.member_id,
    status: row.status as MemberStatus,
    expiresAt: row.expires_at,
    access: row.access as ShareAccess,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
