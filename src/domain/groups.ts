// Account groups (issue 12): an owner's named set of other accounts, which it can share an image with as one
// target. The rules, one function each; the group service gathers the facts under the group's (or the owner's)
// lock and calls these before writing. Who sees an image through a group is visibility.ts's
// (combineShares); what a group share costs in the per-image limit is sharing.ts's (judgeShareTargets).
import { fail } from './errors.js';
import { isGroupId } from './ids.js';
import type { Caller } from './types.js';

/** The deployment's limits on groups (from the configuration, passed in by the services). */
export interface GroupPolicy {
  /** At most this many accounts in one group. */
  maxMembersPerGroup: number;
  /** At most this many groups owned by one account. */
  maxGroupsPerAccount: number;
}

export interface Group {
  id: string;
  ownerId: string;
  name: string;
  description: string;
  createdAt: string;
  updatedAt: string;
}

export interface GroupMember {
  groupId: string;
  accountId: string;
  addedAt: string;
}

export const MAX_GROUP_NAME_LENGTH = 64;
export const MAX_GROUP_DESCRIPTION_LENGTH = 255;

/** A group's name: 1-64 characters, no control characters, trimmed; unique per owner (the store enforces). */
export function parseGroupName(value: unknown): string {
  if (typeof value !== 'string') throw fail('InvalidInput', 'name must be a string.', { field: 'name' });
  const name = value.trim();
  if (name.length === 0) throw fail('InvalidInput', 'name must not be empty.', { field: 'name' });
  if (name.length > MAX_GROUP_NAME_LENGTH) {
    throw fail('InvalidInput', `name may be at most ${MAX_GROUP_NAME_LENGTH} characters.`, { field: 'name' });
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    throw fail('InvalidInput', 'name must not contain control characters.', { field: 'name' });
  }
  return name;
}

export function parseGroupDescription(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') {
    throw fail('InvalidInput', 'description must be a string.', { field: 'description' });
  }
  if (value.length > MAX_GROUP_DESCRIPTION_LENGTH) {
    throw fail('InvalidInput', `description may be at most ${MAX_GROUP_DESCRIPTION_LENGTH} characters.`, {
      field: 'description',
    });
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(value)) {
    throw fail('InvalidInput', 'description must not contain control characters.', { field: 'description' });
  }
  return value;
}

export function groupNotFound(id: string) {
  return fail('GroupNotFound', `No group found with ID ${id}.`, { groupId: id });
}

/**
 * Only a group's owner sees or changes it (admins too: they do to any account's group what its owner may).
 * Anyone else is told it does not exist, never "forbidden", as for images (DESIGN.md rule 4).
 */
export function assertMayManageGroup(caller: Caller, id: string, group: Pick<Group, 'ownerId'> | null): void {
  if (!isGroupId(id) || group === null) throw groupNotFound(id);
  if (group.ownerId !== caller.accountId && !caller.isAdmin) throw groupNotFound(id);
}

/**
 * A share names a group: only a group of the image's owner, so that an owner shares only with its own groups
 * and nobody (not even an admin acting on another's image) shares someone else's group.
 */
export function isUsableGroup(image: { ownerId: string }, group: Pick<Group, 'ownerId'> | null): boolean {
  return group !== null && group.ownerId === image.ownerId;
}

/** An account may own at most `maxGroupsPerAccount` groups; `owned` is counted under the owner's lock. */
export function assertWithinGroupQuota(
  owned: number,
  policy: Pick<GroupPolicy, 'maxGroupsPerAccount'>,
): void {
  const max = policy.maxGroupsPerAccount;
  if (owned + 1 > max) {
    throw fail('GroupQuotaExceeded', `Group quota exceeded: an account may own at most ${max} groups.`, {
      maximum: max,
    });
  }
}

/** A group holds at most `maxMembersPerGroup` accounts; `current` is counted under the group's lock. */
export function assertWithinGroupSize(
  groupId: string,
  current: number,
  adding: number,
  policy: Pick<GroupPolicy, 'maxMembersPerGroup'>,
): void {
  const max = policy.maxMembersPerGroup;
  if (current + adding > max) {
    throw fail(
      'GroupTooLarge',
      `Group ${groupId} would hold ${current + adding} accounts: a group holds at most ${max}.`,
      { groupId, maximum: max, attempted: current + adding },
    );
  }
}

/** A group holds existing accounts other than its owner (the owner sees its images as their owner). */
export function assertValidGroupMember(
  group: Pick<Group, 'id' | 'ownerId'>,
  accountId: string,
  exists: boolean,
): void {
  if (accountId === group.ownerId) {
    throw fail('InvalidInput', `A group holds other accounts: ${accountId} owns group ${group.id}.`, {
      field: 'member',
    });
  }
  if (!exists) throw fail('AccountNotFound', `Account ${accountId} does not exist.`, { accountId });
}
