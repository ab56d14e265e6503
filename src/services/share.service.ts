// Sharing use cases: image members (Glance) and share permissions (Tencent) are one thing, kept here.
// Each method loads the image under a row lock, checks access, then the sharing rules, then writes.
import { fail, type ErrorCode } from '../domain/errors.js';
import { isAccountId, isGroupId } from '../domain/ids.js';
import { isUsableGroup, type GroupPolicy } from '../domain/groups.js';
import {
  DEFAULT_SHARE_ACCESS,
  assertImageTakesMembers,
  assertMayLeave,
  assertMaySetMemberStatus,
  assertShareRequestSize,
  effectiveConsent,
  isShareLive,
  judgeShareTargets,
  parseShareExpiry,
  shareRefusal,
  type ShareVerdict,
  type SharingPolicy,
} from '../domain/sharing.js';
import type { Consent, Member, MemberStatus, ShareAccess, Visibility } from '../domain/types.js';
import type { GroupShare, ImageStores, ImageUnitOfWork } from '../repositories/image-stores.js';
import { isoNow, type Clock } from './clock.js';
import type { AccountLookup, RequestContext } from './context.js';
import { loadImageFor, membershipOf, type LoadedImage } from './image-access.js';
import type { ImageAction } from '../domain/access.js';
import { recordHistory } from './history.js';
import { recordShareEnds } from './share-ends.js';

export type { GroupShare } from '../repositories/image-stores.js';
import { recordEvent } from './events.js';

/** One share as its owner sees it: its terms, whether it holds now, and the receiver's live usage. */
export interface SharingPanelShare extends Member {
  /** False once the share is past its end time (it grants nothing, and holds no place in the limit). */
  live: boolean;
  launches: number;
  runningInstances: number;
  lastLaunchAt: string | null;
}

/** A share with a group on the owner's panel: one place in the limit, whatever the group's size. */
export interface SharingPanelGroupShare extends GroupShare {
  live: boolean;
}

export interface SharingPanel {
  limit: number;
  /** Live shares, direct and with groups (each holds one place in the limit). */
  used: number;
  /** The image's shares with the owner's groups (issue 12). */
  groups: SharingPanelGroupShare[];
  /** The consent the image asks for, and whether it is the image's own setting or the owner's default. */
  consent: Consent;
  consentSetting: Consent | null;
  shares: SharingPanelShare[];
}

/** The owner's terms for new shares (an end time as given by the caller, and what receivers may do). */
export interface ShareTermsInput {
  expiresAt?: string | null;
  access?: ShareAccess;
}

/** The pre-flight answer for one account: would the share succeed, and if not, the refusal's code and words. */
export interface ShareCheck {
  accountId: string;
  ok: boolean;
  /** The refusal the real share would meet for this account. */
  code: ErrorCode | null;
  message: string | null;
  /** True when the account holds a share past its end time, which sharing renews. */
  renews: boolean;
}

export class ShareService {
  constructor(
    private readonly store: ImageUnitOfWork,
    private readonly accounts: AccountLookup,
    private readonly policy: SharingPolicy & Pick<GroupPolicy, 'maxMembersPerGroup'>,
    private readonly clock: Clock,
  ) {}

  private load(
    repos: ImageStores,
    ctx: RequestContext,
    imageId: string,
    action: ImageAction,
    lock = false,
  ): Promise<LoadedImage> {
    return loadImageFor(repos, ctx, imageId, action, { lock, now: isoNow(this.clock) });
  }

  /** Glance POST /members: one account, 409 when it is a member already. */
  async addMember(
    ctx: RequestContext,
    imageId: string,
    memberId: string,
    terms: ShareTermsInput = {},
  ): Promise<Member> {
    const added = await this.share(ctx, imageId, [memberId], { duplicate: 'fail', terms });
    return added[0] as Member;
  }

  /**
   * Tencent SHARE: several accounts at once, all or nothing. Accounts that already have the image are
   * left as they are (terms included), so repeating a call is harmless. Returns the members added now.
   */
  async shareWith(
    ctx: RequestContext,
    imageId: string,
    accountIds: string[],
    terms: ShareTermsInput = {},
  ): Promise<Member[]> {
    return this.share(ctx, imageId, accountIds, { duplicate: 'skip', terms });
  }

  /**
   * The pre-flight check: what sharing with each account would answer, without changing anything. It runs
   * the share's own steps (judgeAccounts: access, the image's rules, every account's verdict) and stops
   * before writing. Refusals about the image itself (not found, not the owner, not shareable, too many
   * accounts) are thrown, as the share throws them.
   */
  async checkShare(ctx: RequestContext, imageId: string, accountIds: string[]): Promise<ShareCheck[]> {
    const targets = [...new Set(accountIds)];
    const exists = await this.accountsExist(targets);
    const { verdicts } = await this.judgeAccounts(this.store.stores, ctx, imageId, targets, exists, false);
    return verdicts.map((v) => ({
      accountId: v.accountId,
      ok: v.refusal === null,
      code: v.refusal?.code ?? null,
      message: v.refusal?.message ?? null,
      renews: v.renews,
    }));
  }

  private async accountsExist(targets: string[]): Promise<Map<string, boolean>> {
    assertShareRequestSize(targets.length, this.policy);
    // Account existence is read before the transaction (accounts are never deleted, only disabled). Groups
    // are read under the image's lock (judgeAccounts): they can be deleted.
    const exists = new Map<string, boolean>();
    for (const id of targets) {
      if (!isGroupId(id)) exists.set(id, isAccountId(id) && (await this.accounts.exists(id)));
    }
    return exists;
  }

  /** The steps a share and its pre-flight check share: load for the owner, the image's rule, each account. */
  private async judgeAccounts(
    repos: ImageStores,
    ctx: RequestContext,
    imageId: string,
    targets: string[],
    exists: Map<string, boolean>,
    lock: boolean,
  ) {
    const loaded = await this.load(repos, ctx, imageId, 'manageMembers', lock);
    const { row } = loaded;
    assertImageTakesMembers({ id: row.id, visibility: row.visibility as Visibility });
    const now = isoNow(this.clock);
    const current = new Map((await repos.members.endsForImage(imageId)).map((m) => [m.memberId, m]));
    const groupShares = new Map((await repos.groups.sharesOfImage(imageId)).map((g) => [g.groupId, g]));
    // A share with a group holds one place, as a share with an account does (issue 12).
    const live = [...current.values(), ...groupShares.values()].filter((m) => isShareLive(m, now)).length;
    const groupFacts = new Map<string, { usable: boolean; size: number }>();
    for (const id of targets.filter(isGroupId)) {
      // Locked (after the image: every path takes image, then group) so that the group cannot be deleted,
      // nor grow past its limit, between this check and the share's commit.
      const group = lock ? await repos.groups.findForUpdate(id) : await repos.groups.find(id);
      const size = group ? ((await repos.groups.sizes([id])).get(id) ?? 0) : 0;
      groupFacts.set(id, { usable: isUsableGroup({ ownerId: row.owner_id }, group), size });
    }
    const verdicts: ShareVerdict[] = judgeShareTargets(
      { id: row.id, ownerId: row.owner_id },
      targets.map((accountId) => {
        const group = groupFacts.get(accountId);
        if (group) {
          return {
            accountId,
            exists: group.usable,
            share: group.usable ? (groupShares.get(accountId) ?? null) : null,
            groupSize: group.size,
          };
        }
        return { accountId, exists: exists.get(accountId) ?? false, share: current.get(accountId) ?? null };
      }),
      live,
      this.policy,
      now,
    );
    return { row, verdicts, now };
  }

  private async share(
    ctx: RequestContext,
    imageId: string,
    accountIds: string[],
    options: { duplicate: 'fail' | 'skip'; terms: ShareTermsInput },
  ): Promise<Member[]> {
    const targets = [...new Set(accountIds)];
    const exists = await this.accountsExist(targets);
    const expiresAt = parseShareExpiry(options.terms.expiresAt, isoNow(this.clock));
    const access = options.terms.access ?? DEFAULT_SHARE_ACCESS;

    return this.store.transaction(async (repos) => {
      const { row, verdicts, now } = await this.judgeAccounts(repos, ctx, imageId, targets, exists, true);
      const refusal = shareRefusal(verdicts, options.duplicate);
      if (refusal) throw refusal;
      const added: Member[] = [];
      for (const verdict of verdicts.filter((v) => v.refusal === null)) {
        if (isGroupId(verdict.accountId)) {
          const share = {
            imageId,
            groupId: verdict.accountId,
            expiresAt,
            access,
            createdAt: now,
            updatedAt: now,
          };
          if (verdict.renews) await repos.groups.deleteShares(imageId, [share.groupId]);
          await repos.groups.insertShare(share);
          await recordHistory(repos, ctx, 'share', row, {
            targetAccountId: share.groupId,
            details: { ...shareDetails(share), group: share.groupId },
            at: now,
          });
          await recordEvent(repos, {
            type: 'share.created',
            image: row,
            actorId: ctx.caller.accountId,
            ...(await this.eventTarget(repos, share.groupId)),
            details: { ...shareDetails(share), group: share.groupId },
            at: now,
          });
          // Its members answer per account (pending until they do), as for a direct share.
          added.push({ ...share, memberId: share.groupId, status: 'pending' });
          continue;
        }
        const member: Member = {
          imageId,
          memberId: verdict.accountId,
          status: 'pending',
          expiresAt,
          access,
          createdAt: now,
          updatedAt: now,
        };
        // A share past its end is replaced by the new one (it asks for consent again); its end stays in
        // the history.
        if (verdict.renews) {
          await recordShareEnds(repos, { imageId }, now);
          await repos.members.delete(imageId, [member.memberId]);
        }
        await repos.members.insert(member);
        await recordHistory(repos, ctx, 'share', row, {
          targetAccountId: member.memberId,
          details: shareDetails(member),
          at: now,
        });
        await recordEvent(repos, {
          type: 'share.created',
          image: row,
          actorId: ctx.caller.accountId,
          targetAccountId: member.memberId,
          details: shareDetails(member),
          at: now,
        });
        added.push(member);
      }
      return added;
    });
  }

  /**
   * The owner changes the terms of an existing share: its end time (null: none) and what the receiver may
   * do. Recorded in the history, which both sides read.
   */
  async setShareTerms(
    ctx: RequestContext,
    imageId: string,
    memberId: string,
    terms: ShareTermsInput,
  ): Promise<Member> {
    const now = isoNow(this.clock);
    const expiresAt = terms.expiresAt === undefined ? undefined : parseShareExpiry(terms.expiresAt, now);
    return this.store.transaction(async (repos) => {
      const { row } = await this.load(repos, ctx, imageId, 'manageMembers', true);
      assertImageTakesMembers({ id: row.id, visibility: row.visibility as Visibility });
      const member = isGroupId(memberId)
        ? groupShareAsMember(await this.groupShare(repos, imageId, memberId))
        : await repos.members.find(imageId, memberId);
      if (!member) throw memberNotFound(imageId, memberId);
      // An end already reached stays in the history when the owner sets another.
      await recordShareEnds(repos, { imageId }, now);
      const next = {
        expiresAt: expiresAt === undefined ? member.expiresAt : expiresAt,
        access: terms.access ?? member.access,
      };
      if (isGroupId(memberId)) await repos.groups.setShareTerms(imageId, memberId, next, now);
      else await repos.members.setTerms(imageId, memberId, next, now);
      const updated: Member = { ...member, ...next, updatedAt: now };
      await recordHistory(repos, ctx, 'terms', row, {
        targetAccountId: memberId,
        details: shareDetails(updated),
        at: now,
      });
      return updated;
    });
  }

  /** The consent an image asks for (its own setting, or null for its owner's default), set by its owner. */
  async setImageConsent(ctx: RequestContext, imageId: string, consent: Consent | null): Promise<void> {
    await this.store.transaction(async (repos) => {
      const { row } = await this.load(repos, ctx, imageId, 'manageMembers', true);
      await repos.consent.setForImage(imageId, consent);
      await recordHistory(repos, ctx, 'consent', row, {
        details: { consent: consent ?? 'owner-default' },
        at: isoNow(this.clock),
      });
    });
  }

  /** The caller's default consent for its images that set none (null: the service's default). */
  async defaultConsent(ctx: RequestContext): Promise<{ setting: Consent | null; effective: Consent }> {
    const setting = await this.store.stores.consent.ownerDefault(ctx.caller.accountId);
    return { setting, effective: effectiveConsent(null, setting) };
  }

  async setDefaultConsent(ctx: RequestContext, consent: Consent | null): Promise<void> {
    await this.store.stores.consent.setOwnerDefault(ctx.caller.accountId, consent);
  }

  /**
   * Owner and admins see every member; a member sees only its own row. Shares with groups are the owner's
   * (listGroupShares); a receiver reached through a group sees its own share as one row (ownShare).
   */
  async listMembers(ctx: RequestContext, imageId: string): Promise<Member[]> {
    const repos = this.store.stores;
    const { row, membership } = await this.load(repos, ctx, imageId, 'readMembers');
    assertImageTakesMembers({ id: row.id, visibility: row.visibility as Visibility });
    if (row.owner_id === ctx.caller.accountId || ctx.caller.isAdmin) {
      return repos.members.listForImage(imageId);
    }
    const own = await this.ownShare(repos, imageId, ctx.caller.accountId, membership);
    return own ? [own] : [];
  }

  /** The image's shares with groups, for its owner (and admins); nobody else sees them. */
  async listGroupShares(ctx: RequestContext, imageId: string): Promise<GroupShare[]> {
    const repos = this.store.stores;
    const { row } = await this.load(repos, ctx, imageId, 'readMembers');
    assertImageTakesMembers({ id: row.id, visibility: row.visibility as Visibility });
    if (row.owner_id !== ctx.caller.accountId && !ctx.caller.isAdmin) return [];
    return repos.groups.sharesOfImage(imageId);
  }

  async getMember(ctx: RequestContext, imageId: string, memberId: string): Promise<Member> {
    const repos = this.store.stores;
    const { row, membership } = await this.load(repos, ctx, imageId, 'read');
    const manages = row.owner_id === ctx.caller.accountId || ctx.caller.isAdmin;
    const mayRead = manages || memberId === ctx.caller.accountId;
    let member: Member | undefined;
    if (row.visibility === 'shared' && mayRead) {
      if (isGroupId(memberId)) member = groupShareAsMember(await this.groupShare(repos, imageId, memberId));
      else if (manages) member = await repos.members.find(imageId, memberId);
      else member = await this.ownShare(repos, imageId, memberId, membership);
    }
    if (!member) throw memberNotFound(imageId, memberId);
    return member;
  }

  /** One group share of the image, or undefined. */
  private async groupShare(repos: ImageStores, imageId: string, groupId: string) {
    return (await repos.groups.sharesOfImage(imageId)).find((g) => g.groupId === groupId);
  }

  /**
   * A receiver's own share as one member row: its member row, or, when only groups lead to the image, a row
   * with its combined share (status, the latest end, the widest access) and the earliest group share's times.
   */
  private async ownShare(
    repos: ImageStores,
    imageId: string,
    accountId: string,
    membership: Pick<Member, 'status' | 'expiresAt' | 'access'> | null,
  ): Promise<Member | undefined> {
    const now = isoNow(this.clock);
    const direct = await repos.members.find(imageId, accountId);
    if (direct && isShareLive(direct, now)) return { ...direct, ...(membership ?? {}) };
    // No live way, or only its own row past its end: that row as it is (or nothing).
    if (membership === null || !isShareLive(membership, now)) return direct;
    const first = (await repos.groups.sharesOfImage(imageId))[0];
    const at = first?.createdAt ?? isoNow(this.clock);
    return { imageId, memberId: accountId, ...membership, createdAt: at, updatedAt: first?.updatedAt ?? at };
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
      const now = isoNow(this.clock);
      // The receiver answers for its account, whichever ways (its member row, its groups) lead to the image.
      const receiver = {
        caller: { accountId: memberId, isAdmin: false },
        region: ctx.region,
        surface: ctx.surface,
      };
      const before = await membershipOf(repos, row, receiver, now);
      const direct = await repos.members.find(imageId, memberId);
      const viaGroups = (await repos.groups.sharesReaching(memberId, [imageId])).get(imageId) ?? [];
      if (!direct && viaGroups.length === 0) throw memberNotFound(imageId, memberId);
      if (direct) await repos.members.setStatus(imageId, memberId, status, now);
      if (viaGroups.length) await repos.groups.setConsent(imageId, memberId, status, now);
      if (status !== before?.status && status !== 'pending') {
        await recordHistory(repos, ctx, status === 'accepted' ? 'accept' : 'reject', row, {
          targetAccountId: memberId,
          at: now,
        });
      }
      const after = await membershipOf(repos, row, receiver, now);
      const member = direct ?? (await this.ownShare(repos, imageId, memberId, after));
      return { ...(member as Member), ...(after ?? {}), status, updatedAt: now };
    });
  }

  /**
   * Whom a share event is about: the account of a direct share, or, for a share with a group, every account
   * in the group now (each gets the event in its inbox; the group itself has none).
   */
  private async eventTarget(
    repos: ImageStores,
    memberId: string,
  ): Promise<{ targetAccountId: string } | { receivers: string[] }> {
    if (!isGroupId(memberId)) return { targetAccountId: memberId };
    return { receivers: (await repos.groups.members(memberId)).map((m) => m.accountId) };
  }

  /** Glance DELETE /members/{id}: the owner cancels one share. */
  async removeMember(ctx: RequestContext, imageId: string, memberId: string): Promise<void> {
    await this.store.transaction(async (repos) => {
      const { row } = await this.load(repos, ctx, imageId, 'manageMembers', true);
      assertImageTakesMembers({ id: row.id, visibility: row.visibility as Visibility });
      await recordShareEnds(repos, { imageId }, isoNow(this.clock));
      const removed = isGroupId(memberId)
        ? await repos.groups.deleteShares(imageId, [memberId])
        : await repos.members.delete(imageId, [memberId]);
      if (removed === 0) throw memberNotFound(imageId, memberId);
      await recordHistory(repos, ctx, 'cancel', row, {
        targetAccountId: memberId,
        at: isoNow(this.clock),
      });
      await recordEvent(repos, {
        type: 'share.cancelled',
        image: row,
        actorId: ctx.caller.accountId,
        ...(await this.eventTarget(repos, memberId)),
        at: isoNow(this.clock),
      });
    });
  }

  /** Tencent CANCEL: several accounts at once; accounts that do not have the image are ignored. */
  async cancelShares(ctx: RequestContext, imageId: string, accountIds: string[]): Promise<number> {
    return this.store.transaction(async (repos) => {
      const { row } = await this.load(repos, ctx, imageId, 'manageMembers', true);
      assertImageTakesMembers({ id: row.id, visibility: row.visibility as Visibility });
      await recordShareEnds(repos, { imageId }, isoNow(this.clock));
      // In the order asked for, so the history lists the cancels as the caller gave them.
      const current = new Set([
        ...(await repos.members.listForImage(imageId)).map((m) => m.memberId),
        ...(await repos.groups.sharesOfImage(imageId)).map((g) => g.groupId),
      ]);
      const present = [...new Set(accountIds)]
        .filter((id) => current.has(id))
        .map((memberId) => ({ memberId }));
      const ids = present.map((m) => m.memberId);
      const removed =
        (await repos.members.delete(
          imageId,
          ids.filter((id) => !isGroupId(id)),
        )) + (await repos.groups.deleteShares(imageId, ids.filter(isGroupId)));
      const at = isoNow(this.clock);
      for (const member of present) {
        await recordHistory(repos, ctx, 'cancel', row, { targetAccountId: member.memberId, at });
        await recordEvent(repos, {
          type: 'share.cancelled',
          image: row,
          actorId: ctx.caller.accountId,
          ...(await this.eventTarget(repos, member.memberId)),
          at,
        });
      }
      return removed;
    });
  }

  /** The owner cancels every share of the image at once; returns how many there were. */
  async cancelAllShares(ctx: RequestContext, imageId: string): Promise<number> {
    const { row } = await this.load(this.store.stores, ctx, imageId, 'manageMembers');
    assertImageTakesMembers({ id: row.id, visibility: row.visibility as Visibility });
    const members = await this.store.stores.members.listForImage(imageId);
    const groups = await this.store.stores.groups.sharesOfImage(imageId);
    return this.cancelShares(ctx, imageId, [
      ...members.map((m) => m.memberId),
      ...groups.map((g) => g.groupId),
    ]);
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
      // Only the group's owner changes a group: leaving an image that groups lead to is declining it.
      const viaGroups = await repos.groups.sharesReaching(ctx.caller.accountId, [imageId]);
      if (viaGroups.has(imageId)) {
        await repos.groups.setConsent(imageId, ctx.caller.accountId, 'rejected', isoNow(this.clock));
      }
      await recordHistory(repos, ctx, 'leave', row, {
        targetAccountId: ctx.caller.accountId,
        at: isoNow(this.clock),
      });
      await recordEvent(repos, {
        type: 'share.cancelled',
        image: row,
        actorId: ctx.caller.accountId,
        targetAccountId: ctx.caller.accountId,
        details: { reason: 'left' },
        at: isoNow(this.clock),
      });
    });
  }

  /**
   * The owner's sharing panel: every share with its status, terms and times, and each receiver's live usage
   * (instances launched from the image, how many run now, the last launch), read at the time of the request;
   * the limit, and the consent the image asks for.
   */
  async sharingPanel(ctx: RequestContext, imageId: string): Promise<SharingPanel> {
    const repos = this.store.stores;
    const { row } = await this.load(repos, ctx, imageId, 'manageMembers');
    assertImageTakesMembers({ id: row.id, visibility: row.visibility as Visibility });
    const now = isoNow(this.clock);
    const members = await repos.members.listForImage(imageId);
    const launches = await repos.shareStats.launchesPerAccount(imageId);
    const consent = await repos.consent.settingsOf(imageId);
    const groups = (await repos.groups.sharesOfImage(imageId)).map((g) => ({
      ...g,
      live: isShareLive(g, now),
    }));
    const shares = members.map((m) => ({
      ...m,
      live: isShareLive(m, now),
      launches: launches.get(m.memberId)?.launches ?? 0,
      runningInstances: launches.get(m.memberId)?.running ?? 0,
      lastLaunchAt: launches.get(m.memberId)?.lastLaunchAt ?? null,
    }));
    return {
      limit: this.policy.maxAccountsPerImage,
      used: shares.filter((s) => s.live).length + groups.filter((g) => g.live).length,
      groups,
      consent: effectiveConsent(consent.image, consent.ownerDefault),
      consentSetting: consent.image,
      shares,
    };
  }
}

/** What the history keeps of a share's terms (both sides read it). */
function shareDetails(member: Pick<Member, 'expiresAt' | 'access'>): Record<string, string> {
  return { access: member.access, ...(member.expiresAt ? { expiresAt: member.expiresAt } : {}) };
}

/** A group share in a member list's shape (member_id is the group's ID; receivers answer per account). */
function groupShareAsMember(share: GroupShare | undefined): Member | undefined {
  if (!share) return undefined;
  const { imageId, groupId, expiresAt, access, createdAt, updatedAt } = share;
  return { imageId, memberId: groupId, status: 'pending', expiresAt, access, createdAt, updatedAt };
}

function memberNotFound(imageId: string, memberId: string) {
  return fail('MemberNotFound', `Member ${memberId} not found for image ${imageId}.`, { imageId, memberId });
}
