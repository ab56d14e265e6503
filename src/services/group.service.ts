// Account groups (issue 12): an owner's named groups of other accounts, which it shares images with as one
// target (ShareService). Each change runs in one transaction under the group's row lock (members) or the
// owner's lock (creating, renaming), so the limits hold across nodes. Only the group's owner (or an admin)
// sees or changes a group; to anyone else it does not exist.
import { fail } from '../domain/errors.js';
import {
  assertMayManageGroup,
  assertValidGroupMember,
  assertWithinGroupQuota,
  assertWithinGroupSize,
  parseGroupDescription,
  parseGroupName,
  type Group,
  type GroupMember,
  type GroupPolicy,
} from '../domain/groups.js';
import { isAccountId, newGroupId } from '../domain/ids.js';
import type { ImageStores, ImageUnitOfWork } from '../repositories/image-stores.js';
import { isoNow, type Clock } from './clock.js';
import type { AccountLookup, RequestContext } from './context.js';
import { recordHistory } from './history.js';

/** A group with how many accounts it holds. */
export interface GroupView extends Group {
  size: number;
}

/** At most this many accounts added in one request (bounded input). */
export const MAX_ACCOUNTS_PER_GROUP_REQUEST = 100;
/** The largest page of a group list. */
export const MAX_GROUP_PAGE = 200;

export class GroupService {
  constructor(
    private readonly store: ImageUnitOfWork,
    private readonly accounts: AccountLookup,
    private readonly policy: GroupPolicy,
    private readonly clock: Clock,
  ) {}

  /** The limits, for clients that show them (the console). */
  get limits(): GroupPolicy {
    return { ...this.policy };
  }

  async create(ctx: RequestContext, input: { name: unknown; description?: unknown }): Promise<GroupView> {
    const name = parseGroupName(input.name);
    const description = parseGroupDescription(input.description);
    const ownerId = ctx.caller.accountId;
    return this.store.transaction(async (repos) => {
      await repos.groups.lockOwner(ownerId);
      assertWithinGroupQuota(await repos.groups.countOwned(ownerId), this.policy);
      await assertNameFree(repos, ownerId, name, null);
      const now = isoNow(this.clock);
      const group: Group = { id: newGroupId(), ownerId, name, description, createdAt: now, updatedAt: now };
      await repos.groups.insert(group);
      return { ...group, size: 0 };
    });
  }

  /** The caller's own groups, by name. */
  async list(
    ctx: RequestContext,
    page: { offset: number; limit: number },
  ): Promise<{ groups: GroupView[]; total: number }> {
    const repos = this.store.stores;
    const limit = Math.min(Math.max(page.limit, 1), MAX_GROUP_PAGE);
    const { groups, total } = await repos.groups.listOwned(ctx.caller.accountId, {
      offset: Math.max(page.offset, 0),
      limit,
    });
    const sizes = await repos.groups.sizes(groups.map((g) => g.id));
    return { groups: groups.map((g) => ({ ...g, size: sizes.get(g.id) ?? 0 })), total };
  }

  async get(ctx: RequestContext, id: string): Promise<GroupView> {
    const repos = this.store.stores;
    const group = await this.load(repos, ctx, id, false);
    return { ...group, size: (await repos.groups.sizes([id])).get(id) ?? 0 };
  }

  async update(
    ctx: RequestContext,
    id: string,
    input: { name?: unknown; description?: unknown },
  ): Promise<GroupView> {
    const name = input.name === undefined ? undefined : parseGroupName(input.name);
    const description =
      input.description === undefined ? undefined : parseGroupDescription(input.description);
    return this.store.transaction(async (repos) => {
      // The owner's lock first (as create takes it), then the group's.
      const found = await repos.groups.find(id);
      if (found) await repos.groups.lockOwner(found.ownerId);
      const group = await this.load(repos, ctx, id, true);
      if (name !== undefined) await assertNameFree(repos, group.ownerId, name, group.id);
      const now = isoNow(this.clock);
      const next = { name: name ?? group.name, description: description ?? group.description };
      await repos.groups.update(id, next, now);
      return { ...group, ...next, updatedAt: now, size: (await repos.groups.sizes([id])).get(id) ?? 0 };
    });
  }

  /**
   * Deletes the group: its shares end with it (every member loses what only the group gave it, at once), each
   * recorded as a cancel in the image's history.
   */
  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.store.transaction(async (repos) => {
      await this.load(repos, ctx, id, true);
      const images = await repos.groups.delete(id);
      const now = isoNow(this.clock);
      for (const imageId of images) {
        const row = await repos.images.find(imageId);
        if (row) await recordHistory(repos, ctx, 'cancel', row, { targetAccountId: id, at: now });
      }
    });
  }

  async members(ctx: RequestContext, id: string): Promise<GroupMember[]> {
    const repos = this.store.stores;
    await this.load(repos, ctx, id, false);
    return repos.groups.members(id);
  }

  /**
   * Adds accounts to the group, all or none: existing accounts other than the owner, within the group's
   * size limit. Accounts already in it stay as they are (repeating a call is harmless). From the commit on,
   * every image shared with the group reaches them. Returns the accounts added now.
   */
  async addMembers(ctx: RequestContext, id: string, accountIds: string[]): Promise<GroupMember[]> {
    const targets = [...new Set(accountIds)];
    if (targets.length === 0) throw fail('InvalidInput', 'Name at least one account.', { field: 'members' });
    if (targets.length > MAX_ACCOUNTS_PER_GROUP_REQUEST) {
      throw fail('InvalidInput', `One request may add at most ${MAX_ACCOUNTS_PER_GROUP_REQUEST} accounts.`, {
        field: 'members',
      });
    }
    // Accounts are never deleted, only disabled: read before the transaction, as shares do.
    const exists = new Map<string, boolean>();
    for (const a of targets) exists.set(a, isAccountId(a) && (await this.accounts.exists(a)));
    return this.store.transaction(async (repos) => {
      const group = await this.load(repos, ctx, id, true);
      for (const a of targets) assertValidGroupMember(group, a, exists.get(a) ?? false);
      const current = new Set((await repos.groups.members(id)).map((m) => m.accountId));
      const adding = targets.filter((a) => !current.has(a));
      assertWithinGroupSize(id, current.size, adding.length, this.policy);
      const now = isoNow(this.clock);
      await repos.groups.addMembers(id, adding, now);
      return adding.map((accountId) => ({ groupId: id, accountId, addedAt: now }));
    });
  }

  /** Removes one account from the group: from the commit on, what only the group gave it is gone. */
  async removeMember(ctx: RequestContext, id: string, accountId: string): Promise<void> {
    await this.store.transaction(async (repos) => {
      await this.load(repos, ctx, id, true);
      if ((await repos.groups.removeMembers(id, [accountId])) === 0) {
        throw fail('MemberNotFound', `Account ${accountId} is not in group ${id}.`, {
          groupId: id,
          accountId,
        });
      }
    });
  }

  /** The images the group is shared with (IDs and end times), for its owner. */
  async sharedImages(
    ctx: RequestContext,
    id: string,
  ): Promise<Array<{ imageId: string; expiresAt: string | null }>> {
    const repos = this.store.stores;
    await this.load(repos, ctx, id, false);
    return repos.groups.imagesSharedWith(id);
  }

  private async load(repos: ImageStores, ctx: RequestContext, id: string, lock: boolean): Promise<Group> {
    const group = lock ? await repos.groups.findForUpdate(id) : await repos.groups.find(id);
    assertMayManageGroup(ctx.caller, id, group);
    return group as Group;
  }
}

async function assertNameFree(repos: ImageStores, ownerId: string, name: string, self: string | null) {
  const same = await repos.groups.findByName(ownerId, name);
  if (same && same.id !== self) {
    throw fail('Conflict', `You already have a group named "${name}".`, { field: 'name' });
  }
}
