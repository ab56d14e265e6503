// Sharing use cases: image members (Glance) and share permissions (Tencent) are one thing, kept here.
// Each method loads the image under a row lock, checks access, then the sharing rules, then writes.
import { fail } from '../domain/errors.js';
import { isAccountId, nowIso } from '../domain/ids.js';
import {
  assertImageTakesMembers,
  assertMayLeave,
  assertMaySetMemberStatus,
  assertShareRequestSize,
  assertValidShareTarget,
  assertWithinShareLimit,
  type SharingPolicy,
} from '../domain/sharing.js';
import type { Member, MemberStatus, Visibility } from '../domain/types.js';
import type { ImageStores, ImageUnitOfWork } from '../repositories/image-stores.js';
import type { AccountLookup, RequestContext } from './context.js';
import { loadImageFor, type LoadedImage } from './image-access.js';
import type { ImageAction } from '../domain/access.js';
import { recordHistory } from './history.js';

export interface SharingPanel {
  limit: number;
  used: number;
  shares: Array<Member & { launches: number; runningInstances: number }>;
}

export class ShareService {
  constructor(
    private readonly store: ImageUnitOfWork,
    private readonly accounts: AccountLookup,
    private readonly policy: SharingPolicy,
  ) {}

  private load(
    repos: ImageStores,
    ctx: RequestContext,
    imageId: string,
    action: ImageAction,
    lock = false,
  ): Promise<LoadedImage> {
    return loadImageFor(repos, ctx, imageId, action, { lock });
  }

  /** Glance POST /members: one account, 409 when it is a member already. */
  async addMember(ctx: RequestContext, imageId: string, memberId: string): Promise<Member> {
    const added = await this.share(ctx, imageId, [memberId], { duplicate: 'fail' });
    return added[0] as Member;
  }

  /**
   * Tencent SHARE: several accounts at once, all or nothing. Accounts that already have the image are
   * left as they are, so repeating a call is harmless. Returns the members added now.
   */
  async shareWith(ctx: RequestContext, imageId: string, accountIds: string[]): Promise<Member[]> {
    return this.share(ctx, imageId, accountIds, { duplicate: 'skip' });
  }

  private async share(
    ctx: RequestContext,
    imageId: string,
    accountIds: string[],
    options: { duplicate: 'fail' | 'skip' },
  ): Promise<Member[]> {
    const targets = [...new Set(accountIds)];
    assertShareRequestSize(targets.length, this.policy);
    // Account existence is read before the transaction (accounts are never deleted, only disabled).
    const exists = new Map<string, boolean>();
    for (const id of targets) exists.set(id, isAccountId(id) && (await this.accounts.exists(id)));

    return this.store.transaction(async (repos) => {
      const { row } = await this.load(repos, ctx, imageId, 'manageMembers', true);
      assertImageTakesMembers({ id: row.id, visibility: row.visibility as Visibility });
      for (const id of targets)
        assertValidShareTarget({ ownerId: row.owner_id }, id, exists.get(id) ?? false);

      const current = await repos.members.listForImage(imageId);
      const currentIds = new Set(current.map((m) => m.memberId));
      const fresh = targets.filter((id) => !currentIds.has(id));
      // The limit is checked before duplicates, as Glance does, under the image's row lock.
      assertWithinShareLimit(imageId, current.length, fresh.length, this.policy);
      if (options.duplicate === 'fail' && fresh.length < targets.length) {
        throw fail(
          'MemberAlreadyExists',
          `Member ${targets.find((id) => currentIds.has(id))} is duplicated for image ${imageId}`,
        );
      }
      const now = nowIso();
      const added: Member[] = fresh.map((memberId) => ({
        imageId,
        memberId,
        status: 'pending',
        createdAt: now,
        updatedAt: now,
      }));
      for (const member of added) {
        await repos.members.insert(member);
        await recordHistory(repos, ctx, 'share', row, { targetAccountId: member.memberId });
      }
      return added;
    });
  }

  /** Owner and admins see every member; a member sees only its own row. */
  async listMembers(ctx: RequestContext, imageId: string): Promise<Member[]> {
    const repos = this.store.stores;
    const { row } = await this.load(repos, ctx, imageId, 'readMembers');
    assertImageTakesMembers({ id: row.id, visibility: row.visibility as Visibility });
    const members = await repos.members.listForImage(imageId);
    if (row.owner_id === ctx.caller.accountId || ctx.caller.isAdmin) return members;
    return members.filter((m) => m.memberId === ctx.caller.accountId);
  }

  async getMember(ctx: RequestContext, imageId: string, memberId: string): Promise<Member> {
    const repos = this.store.stores;
    const { row } = await this.load(repos, ctx, imageId, 'read');
    const mayRead =
      row.owner_id === ctx.caller.accountId || ctx.caller.isAdmin || memberId === ctx.caller.accountId;
    const member =
      row.visibility === 'shared' && mayRead ? await repos.members.find(imageId, memberId) : undefined;
    if (!member) throw memberNotFound(imageId, memberId);
    return member;
  }

  /** Only the member itself (or an admin) accepts, rejects or resets its share. */
  async setMemberStatus(
    ctx: RequestContext,
    imageId: string,
    memberId: string,
    status: MemberStatus,
  ): Promise<Member> {
    return this.store.transaction(async (repos) => {
      const { row } = await this.load(repos, ctx, imageId, 'read', true);
      const isOwner = row.owner_id === ctx.caller.accountId;
      // Someone else's membership is invisible to a member: 404, as for any row it may not see.
      if (!isOwner && !ctx.caller.isAdmin && memberId !== ctx.caller.accountId)
        throw memberNotFound(imageId, memberId);
      assertImageTakesMembers({ id: row.id, visibility: row.visibility as Visibility });
      assertMaySetMemberStatus(ctx.caller, imageId, memberId);
      const member = await repos.members.find(imageId, memberId);
      if (!member) throw memberNotFound(imageId, memberId);
      const now = nowIso();
      await repos.members.setStatus(imageId, memberId, status, now);
      if (status !== member.status && status !== 'pending') {
        await recordHistory(repos, ctx, status === 'accepted' ? 'accept' : 'reject', row, {
          targetAccountId: memberId,
        });
      }
      return { ...member, status, updatedAt: now };
    });
  }

  /** Glance DELETE /members/{id}: the owner cancels one share. */
  async removeMember(ctx: RequestContext, imageId: string, memberId: string): Promise<void> {
    await this.store.transaction(async (repos) => {
      const { row } = await this.load(repos, ctx, imageId, 'manageMembers', true);
      assertImageTakesMembers({ id: row.id, visibility: row.visibility as Visibility });
      if ((await repos.members.delete(imageId, [memberId])) === 0) throw memberNotFound(imageId, memberId);
      await recordHistory(repos, ctx, 'cancel', row, { targetAccountId: memberId });
    });
  }

  /** Tencent CANCEL: several accounts at once; accounts that do not have the image are ignored. */
  async cancelShares(ctx: RequestContext, imageId: string, accountIds: string[]): Promise<number> {
    return this.store.transaction(async (repos) => {
      const { row } = await this.load(repos, ctx, imageId, 'manageMembers', true);
      assertImageTakesMembers({ id: row.id, visibility: row.visibility as Visibility });
      // In the order asked for, so the history lists the cancels as the caller gave them.
      const current = new Set((await repos.members.listForImage(imageId)).map((m) => m.memberId));
      const present = [...new Set(accountIds)]
        .filter((id) => current.has(id))
        .map((memberId) => ({ memberId }));
      const removed = await repos.members.delete(
        imageId,
        present.map((m) => m.memberId),
      );
      for (const member of present)
        await recordHistory(repos, ctx, 'cancel', row, { targetAccountId: member.memberId });
      return removed;
    });
  }

  /** The owner cancels every share of the image at once; returns how many there were. */
  async cancelAllShares(ctx: RequestContext, imageId: string): Promise<number> {
    const { row } = await this.load(this.store.stores, ctx, imageId, 'manageMembers');
    assertImageTakesMembers({ id: row.id, visibility: row.visibility as Visibility });
    const members = await this.store.stores.members.listForImage(imageId);
    return this.cancelShares(
      ctx,
      imageId,
      members.map((m) => m.memberId),
    );
  }

  /**
   * A receiver leaves a share it no longer wants: its own member row goes, as when the owner cancels. Only
   * a member may leave (the owner cancels instead); to anyone else the share does not exist.
   */
  async leave(ctx: RequestContext, imageId: string): Promise<void> {
    await this.store.transaction(async (repos) => {
      const { row, membership } = await this.load(repos, ctx, imageId, 'read', true);
      assertMayLeave(row.owner_id, ctx.caller.accountId, imageId, membership !== null);
      await repos.members.delete(imageId, [ctx.caller.accountId]);
      await recordHistory(repos, ctx, 'leave', row, { targetAccountId: ctx.caller.accountId });
    });
  }

  /**
   * The owner's sharing panel: every share with its status and times, how many instances each receiver
   * launched from the image and how many still run, and the limit.
   */
  async sharingPanel(ctx: RequestContext, imageId: string): Promise<SharingPanel> {
    const repos = this.store.stores;
    const { row } = await this.load(repos, ctx, imageId, 'manageMembers');
    assertImageTakesMembers({ id: row.id, visibility: row.visibility as Visibility });
    const members = await repos.members.listForImage(imageId);
    const launches = await repos.shareStats.launchesPerAccount(imageId);
    return {
      limit: this.policy.maxAccountsPerImage,
      used: members.length,
      shares: members.map((m) => ({
        ...m,
        launches: launches.get(m.memberId)?.launches ?? 0,
        runningInstances: launches.get(m.memberId)?.running ?? 0,
      })),
    };
  }
}

function memberNotFound(imageId: string, memberId: string) {
  return fail('MemberNotFound', `Member ${memberId} not found for image ${imageId}.`, { imageId, memberId });
}
