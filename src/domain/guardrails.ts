// Guardrails (issue 12): what a receiving account lets itself launch, and what the operator lets accounts
// publish. Pure rules over plain facts; the services read the facts (the account's launch policy, the
// configuration's switches) and call these.
import { fail } from './errors.js';
import { isAccountId } from './ids.js';
import type { Visibility } from './types.js';

/**
 * How an account's launch policy acts: `off` (launch whatever one may see, the default), `audit` (launch,
 * but record each launch the allow-list would have refused, as AWS's Allowed AMIs audit mode does), or
 * `enforce` (refuse such launches).
 */
export const launchPolicyModes = ['off', 'audit', 'enforce'] as const;
export type LaunchPolicyMode = (typeof launchPolicyModes)[number];

/** An account's launch policy: a mode and an allow-list of image owners (account IDs, or group IDs). */
export interface LaunchPolicy {
  mode: LaunchPolicyMode;
  /** Account IDs (`909619400`) and account group IDs (`grp-xxxxxxxx`), as the account wrote them. */
  allowedOwners: string[];
}

/** The policy of an account that never set one. */
export const DEFAULT_LAUNCH_POLICY: LaunchPolicy = { mode: 'off', allowedOwners: [] };

/** An account group's ID (issue 12, account groups): `grp-` and 8 of [a-z0-9]. */
export const GROUP_ID_PATTERN = /^grp-[a-z0-9]{8}$/;

/**
 * The policy an account asks for, checked: a known mode, and at most `maxEntries` distinct entries, each an
 * account ID or a group ID (kept in the order given, duplicates dropped). An empty list with `enforce`
 * means: launch only one's own images and the operator's public images.
 */
export function parseLaunchPolicy(mode: unknown, entries: unknown, maxEntries: number): LaunchPolicy {
  if (typeof mode !== 'string' || !(launchPolicyModes as readonly string[]).includes(mode)) {
    throw fail('InvalidInput', 'mode must be "off", "audit" or "enforce".', { field: 'mode' });
  }
  if (!Array.isArray(entries)) {
    throw fail('InvalidInput', 'allowed_owners must be a list of account IDs or group IDs.', {
      field: 'allowed_owners',
    });
  }
  const allowedOwners = [...new Set(entries)];
  if (allowedOwners.length > maxEntries) {
    throw fail(
      'InvalidInput',
      `allowed_owners may name at most ${maxEntries} accounts and groups (got ${allowedOwners.length}).`,
      { field: 'allowed_owners', maximum: maxEntries },
    );
  }
  for (const entry of allowedOwners) {
    if (typeof entry !== 'string' || !(isAccountId(entry) || GROUP_ID_PATTERN.test(entry))) {
      throw fail(
        'InvalidInput',
        `allowed_owners entries must be account IDs (e.g. 909619400) or group IDs (grp-xxxxxxxx); ` +
          `"${String(entry).slice(0, 64)}" is neither.`,
        { field: 'allowed_owners' },
      );
    }
  }
  return { mode: mode as LaunchPolicyMode, allowedOwners: allowedOwners as string[] };
}

/**
 * The accounts one allow-list entry stands for. An account ID stands for itself; a group ID for the group's
 * members, which the service reads and passes in `groupMembers` (group ID to member account IDs, at the
 * instant of the launch; only the caller's own groups). A group the service did not pass (unknown, deleted,
 * another account's) stands for nobody, so a stale entry never widens the list.
 */
export function expandAllowListEntry(
  entry: string,
  groupMembers: ReadonlyMap<string, readonly string[]>,
): readonly string[] {
  if (GROUP_ID_PATTERN.test(entry)) return groupMembers.get(entry) ?? [];
  return [entry];
}

/** The group IDs an allow-list names (the service reads their members for expandAllowListEntry). */
export function groupsOf(policy: LaunchPolicy): string[] {
  return policy.allowedOwners.filter((entry) => GROUP_ID_PATTERN.test(entry));
}

/** What a launch is, for the launch policy: who launches, and whose image, of which visibility. */
export interface LaunchFacts {
  callerId: string;
  image: { id: string; ownerId: string; visibility: Visibility };
}

/**
 * Whether the allow-list lets the caller launch the image, whatever the mode: its own images and the
 * operator's public images always (only administrators publish `public` images, so they are the cloud's
 * own, like a cloud's official images); any other image (shared with it, community) only if its owner is
 * on the list, directly or through a group.
 */
export function ownerAllowed(
  policy: LaunchPolicy,
  facts: LaunchFacts,
  groupMembers: ReadonlyMap<string, readonly string[]>,
): boolean {
  if (facts.image.ownerId === facts.callerId) return true;
  if (facts.image.visibility === 'public') return true;
  return policy.allowedOwners.some((entry) =>
    expandAllowListEntry(entry, groupMembers).includes(facts.image.ownerId),
  );
}

/**
 * The launch policy's verdict: `allowed`, or `audited` (the launch goes ahead, and the service records that
 * the list would have refused it). In `enforce` mode a launch the list does not allow is refused here.
 */
export function judgeLaunch(
  policy: LaunchPolicy,
  facts: LaunchFacts,
  groupMembers: ReadonlyMap<string, readonly string[]>,
): 'allowed' | 'audited' {
  if (policy.mode === 'off' || ownerAllowed(policy, facts, groupMembers)) return 'allowed';
  if (policy.mode === 'audit') return 'audited';
  throw fail(
    'LaunchNotAllowed',
    `Your launch policy does not allow images owned by account ${facts.image.ownerId}: image ` +
      `${facts.image.id} was not launched. Add the owner to your allowed owners, or set the mode to ` +
      `"audit" or "off".`,
    { imageId: facts.image.id, ownerId: facts.image.ownerId },
  );
}

/** The operator's switches on new public and community images (config images.allowNewPublic/Community). */
export interface PublicationPolicy {
  allowNewPublic: boolean;
  allowNewCommunity: boolean;
}

/**
 * An image becomes `public` or `community` (created so, or changed to it): refused when the operator turned
 * that off. Images that already have the visibility keep it (`current`), and may be changed away from it.
 */
export function assertMayPublish(
  to: Visibility,
  current: Visibility | null,
  policy: PublicationPolicy,
): void {
  if (to === current) return;
  if (to === 'public' && !policy.allowNewPublic) {
    throw fail(
      'Forbidden',
      'New public images are turned off on this service by its operator: the image cannot be made public ' +
        '(existing public images stay).',
      { field: 'visibility' },
    );
  }
  if (to === 'community' && !policy.allowNewCommunity) {
    throw fail(
      'Forbidden',
      'New community images are turned off on this service by its operator: the image cannot be made ' +
        'community (existing community images stay). Share it with accounts instead.',
      { field: 'visibility' },
    );
  }
}

/** One launch an `audit` launch policy would have refused (the launch went ahead). */
export interface LaunchAuditEntry {
  id: string;
  /** The account that launched (whose policy it is). */
  accountId: string;
  at: string;
  imageId: string;
  imageName: string | null;
  /** The owner the allow-list does not name. */
  ownerId: string;
  region: string;
  visibility: Visibility;
  /** How many instances that launch started. */
  instances: number;
  surface: string;
}
