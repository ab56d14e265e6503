// The sharing rules of DESIGN.md, one function each. Pure: the services gather the facts (counts, rows)
// inside a transaction and call these before writing. Every surface reaches them through the services;
// the surfaces only translate the errors raised here into their own codes.
import { DomainError, fail } from './errors.js';
import { assertWithinGroupSize, groupNotFound, type GroupPolicy } from './groups.js';
import {
  memberStatuses,
  type Caller,
  type Consent,
  type Image,
  type Member,
  type MemberStatus,
  type ShareAccess,
  type Visibility,
} from './types.js';

/** What deleting a still-shared image does: refuse (the seed's rule) or cancel the shares (Glance). */
export type DeleteSharedPolicy = 'refuse' | 'cancel-shares';

/** The deployment's choices the sharing rules take (from the configuration, passed in by the services). */
export interface SharingPolicy {
  /** Rule 1: at most this many accounts per image. */
  maxAccountsPerImage: number;
  /** Rule 5. */
  deleteShared: DeleteSharedPolicy;
}

/**
 * Rule 2: an image exists for its callers in its own region only, so a share holds there and nowhere else.
 * Every place that asks "is this image here?" (access, copies) asks this.
 */
export function isInRegion(image: Pick<Image, 'region'>, region: string): boolean {
  return image.region === region;
}

/**
 * Expiring shares: a share grants nothing from its end time on. No job ends it: every rule that asks
 * "does this account hold a share?" (relationOf, and the list SQL built from listPlan) asks this with the
 * request's clock. Timestamps are ISO-8601 UTC with milliseconds, so they compare as text, in SQL too.
 */
export function isShareLive(share: Pick<Member, 'expiresAt'>, now: string): boolean {
  return share.expiresAt === null || now < share.expiresAt;
}

/** How far ahead a share's end time may be set (bounded input: about ten years). */
export const MAX_SHARE_DURATION_MS = 10 * 366 * 24 * 3600 * 1000;

/**
 * An end time given by an owner, as the one stored form (ISO-8601 UTC with milliseconds), or null for none.
 * It must lie in the future (a share that ends before it starts grants nothing and is a mistake) and within
 * MAX_SHARE_DURATION_MS.
 */
export function parseShareExpiry(value: string | null | undefined, now: string): string | null {
  if (value === null || value === undefined) return null;
  // An explicit offset or Z: a time without one would mean whatever the server's zone is.
  const shaped = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(value);
  const ms = shaped ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) {
    throw fail(
      'InvalidInput',
      'expires_at must be an ISO-8601 date and time with a zone, e.g. 2027-01-31T18:00:00Z.',
      {
        field: 'expires_at',
      },
    );
  }
  const nowMs = Date.parse(now);
  if (ms <= nowMs) throw fail('InvalidInput', 'expires_at must be in the future.', { field: 'expires_at' });
  if (ms - nowMs > MAX_SHARE_DURATION_MS) {
    throw fail('InvalidInput', 'expires_at may be at most ten years ahead.', { field: 'expires_at' });
  }
  return new Date(ms).toISOString();
}

/** What a share lets its receiver do unless the owner grants more: launch only (the seed's rule). */
export const DEFAULT_SHARE_ACCESS: ShareAccess = 'launch';

/** Consent gates listing only unless the owner (per image, or by default for all its images) asks more. */
export const DEFAULT_CONSENT: Consent = 'listing';

/** The consent an image asks for: its own setting, else its owner's default, else DEFAULT_CONSENT. */
export function effectiveConsent(imageSetting: Consent | null, ownerDefault: Consent | null): Consent {
  return imageSetting ?? ownerDefault ?? DEFAULT_CONSENT;
}

/**
 * A receiver launches a shared image: with consent "launch" only once it accepted the share (Glance and
 * Huawei let a pending or rejected image boot; here the owner can require the receiver's yes first).
 */
export function assertReceiverMayLaunch(
  imageId: string,
  share: Pick<Member, 'status'>,
  consent: Consent,
): void {
  if (consent === 'launch' && share.status !== 'accepted') {
    throw fail(
      'ShareNotAccepted',
      `Image ${imageId} was shared with you pending your consent: accept the share before launching it ` +
        `(its status is "${share.status}").`,
      { imageId, status: share.status },
    );
  }
}

/**
 * A receiver copies a shared image into its own images (SyncImages, an image from an instance, any copy
 * path): only with the owner's explicit grant on the share. Without it the copy is refused, so a receiver
 * cannot make the image its own and share it onward.
 */
export function assertReceiverMayCopy(imageId: string, share: Pick<Member, 'access'>): void {
  if (share.access !== 'launch_and_copy') {
    throw fail(
      'CopyNotGranted',
      `Image ${imageId} was shared with you to launch only: its owner has not allowed copies.`,
      { imageId },
    );
  }
}

/** Rule 3: a new image, copies included (rule 7), is "shared" with nobody yet: it takes members at once. */
export const DEFAULT_VISIBILITY: Visibility = 'shared';

/** Rule 3: only images with visibility "shared" take members (as in Glance). */
export function assertImageTakesMembers(image: Pick<Image, 'id' | 'visibility'>): void {
  if (image.visibility !== 'shared') {
    throw fail(
      'ImageNotShareable',
      `Only shared images have members: image ${image.id} has visibility "${image.visibility}".`,
    );
  }
}

/** Rule 2: only to an existing account other than the owner. */
export function assertValidShareTarget(
  image: Pick<Image, 'ownerId'>,
  memberId: string,
  exists: boolean,
): void {
  if (memberId === image.ownerId)
    throw fail('ShareWithSelf', 'An image cannot be shared with its own owner.');
  if (!exists) throw fail('AccountNotFound', `Account ${memberId} does not exist.`, { accountId: memberId });
}

/**
 * A share with a group: only one of the image owner's own groups (anyone else's is "not found"), and not one
 * grown past the group size limit (possible only when the limit was lowered after it filled).
 */
export function assertValidGroupTarget(
  groupId: string,
  usable: boolean,
  size: number,
  policy: Partial<Pick<GroupPolicy, 'maxMembersPerGroup'>>,
): void {
  if (!usable) throw groupNotFound(groupId);
  if (policy.maxMembersPerGroup !== undefined) assertWithinGroupSize(groupId, size, 0, policy as GroupPolicy);
}

/**
 * Rule 1, for one request: naming more distinct accounts than an image can ever have is refused before
 * anything is looked up (Tencent answers it with its own code, as a bad parameter rather than a full image).
 */
export function assertShareRequestSize(
  distinctAccounts: number,
  policy: Pick<SharingPolicy, 'maxAccountsPerImage'>,
): void {
  const max = policy.maxAccountsPerImage;
  if (distinctAccounts > max) {
    throw fail(
      'ShareRequestTooLarge',
      `One request may name at most ${max} accounts: an image is shared with at most ${max} accounts.`,
      { maximum: max, attempted: distinctAccounts },
    );
  }
}

/** Rule 1: at most `maxAccountsPerImage` accounts per image; `current` is counted under the image's row lock. */
export function assertWithinShareLimit(
  imageId: string,
  current: number,
  adding: number,
  policy: Pick<SharingPolicy, 'maxAccountsPerImage'>,
): void {
  const max = policy.maxAccountsPerImage;
  if (current + adding > max) {
    throw fail(
      'ShareLimitExceeded',
      `Image member limit exceeded for image ${imageId}: an image can be shared with at most ${max} accounts ` +
        `(attempted: ${current + adding}).`,
      { maximum: max, attempted: current + adding },
    );
  }
}

/** What one target of a share request (an account, or a group) is, read under the image's lock. */
export interface ShareTargetFacts {
  /** An account ID, or a group ID (grp-...). */
  accountId: string;
  /** An existing, enabled account; for a group: a group of the image's owner (groups.ts isUsableGroup). */
  exists: boolean;
  /** Its member row (for a group: its group share) on the image, if any (live or past its end). */
  share: Pick<Member, 'expiresAt'> | null;
  /** For a group: how many accounts it holds now. A group takes ONE place in the image's limit. */
  groupSize?: number;
}

/** The verdict on one account: the refusal the share would meet, or null; `renews` a share past its end. */
export interface ShareVerdict {
  accountId: string;
  refusal: DomainError | null;
  renews: boolean;
}

/**
 * Rules 1 and 2 for every account of one share request, in the order given: not the owner, an existing
 * account, not already shared (a share past its end is renewed instead), and within the limit (only live
 * shares hold a place; `liveShares` is counted under the image's row lock). The real share and its dry run
 * (the pre-flight check) both judge the accounts here, once; the real share then throws `shareRefusal`.
 */
export function judgeShareTargets(
  image: Pick<Image, 'id' | 'ownerId'>,
  targets: readonly ShareTargetFacts[],
  liveShares: number,
  policy: Pick<SharingPolicy, 'maxAccountsPerImage'> & Partial<Pick<GroupPolicy, 'maxMembersPerGroup'>>,
  now: string,
): ShareVerdict[] {
  let adding = 0;
  return targets.map((target) => {
    const renews = target.share !== null && !isShareLive(target.share, now);
    const verdict = (refusal: DomainError | null): ShareVerdict => ({
      accountId: target.accountId,
      refusal,
      renews,
    });
    const invalid = refusalOf(() =>
      target.groupSize === undefined
        ? assertValidShareTarget(image, target.accountId, target.exists)
        : assertValidGroupTarget(target.accountId, target.exists, target.groupSize, policy),
    );
    if (invalid) return verdict(invalid);
    if (target.share !== null && !renews) {
      return verdict(
        fail('MemberAlreadyExists', `Member ${target.accountId} is duplicated for image ${image.id}`, {
          accountId: target.accountId,
        }),
      );
    }
    adding += 1;
    return verdict(refusalOf(() => assertWithinShareLimit(image.id, liveShares, adding, policy)));
  });
}

/**
 * The one refusal a whole share request meets, as the share has always answered: an invalid account first
 * (in the order given), then the limit (counting every new account, as Glance checks it before duplicates),
 * then a duplicate unless duplicates are skipped (Tencent). Null: the share goes ahead.
 */
export function shareRefusal(
  verdicts: readonly ShareVerdict[],
  duplicates: 'fail' | 'skip',
): DomainError | null {
  const refusals = verdicts.flatMap((v) => (v.refusal ? [v.refusal] : []));
  const first = (codes: string[]) => refusals.find((r) => codes.includes(r.code));
  const lastLimit = refusals.filter((r) => r.code === 'ShareLimitExceeded').at(-1);
  return (
    first(['ShareWithSelf', 'AccountNotFound', 'GroupNotFound', 'GroupTooLarge']) ??
    lastLimit ??
    (duplicates === 'fail' ? first(['MemberAlreadyExists']) : undefined) ??
    null
  );
}

function refusalOf(check: () => void): DomainError | null {
  try {
    check();
    return null;
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
}

/** Only the member itself (or an admin) sets a member's status; the owner may not accept on its behalf. */
/**
 * Leaving a share is the receiver removing its own member row: only a member may (the owner cancels
 * instead); for anyone else there is no share to leave.
 */
export function assertMayLeave(ownerId: string, callerId: string, imageId: string, isMember: boolean): void {
  if (ownerId === callerId) {
    throw fail('Forbidden', `Image ${imageId} is yours: cancel its shares instead of leaving.`);
  }
  if (!isMember) {
    throw fail('MemberNotFound', `Image ${imageId} is not shared with you.`, { imageId });
  }
}

export function assertMaySetMemberStatus(caller: Caller, imageId: string, memberId: string): void {
  if (caller.accountId !== memberId && !caller.isAdmin) {
    throw fail('Forbidden', `Not allowed to update members for image ${imageId}.`);
  }
}

export function parseMemberStatus(value: unknown): MemberStatus {
  if (typeof value === 'string' && (memberStatuses as readonly string[]).includes(value)) {
    return value as MemberStatus;
  }
  throw fail('InvalidInput', 'Status must be "pending", "accepted" or "rejected".');
}

/**
 * Rule 5: a shared image cannot be deleted until its shares are cancelled (unless the policy cancels them).
 * `memberCount` counts live shares only (isShareLive): a share past its end time holds nothing.
 */
export function assertMayDelete(
  image: Pick<Image, 'id' | 'protected'>,
  memberCount: number,
  policy: Pick<SharingPolicy, 'deleteShared'>,
): void {
  if (image.protected) throw fail('ImageProtected', `Image ${image.id} is protected and cannot be deleted.`);
  if (memberCount > 0 && policy.deleteShared === 'refuse') {
    throw fail(
      'ImageInShared',
      `Image ${image.id} is shared with ${memberCount} account(s): cancel its shares (remove its members) ` +
        `before deleting it.`,
      { imageId: image.id, shareCount: memberCount },
    );
  }
}

/** Launching (and copying) needs an active image. */
export function assertUsable(image: Pick<Image, 'id' | 'status'>): void {
  if (image.status !== 'active') {
    throw fail('InvalidImageStatus', `Image ${image.id} is not active (status "${image.status}").`);
  }
}

/** Rule 6: only an account's own images count against its per-region quota. */
export function assertWithinImageQuota(ownedInRegion: number, adding: number, quota: number): void {
  if (ownedInRegion + adding > quota) {
    throw fail(
      'ImageQuotaExceeded',
      `Custom image quota exceeded: at most ${quota} images per region (you have ${ownedInRegion}).`,
      { quota, used: ownedInRegion },
    );
  }
}

/**
 * Rule 7 and Tencent's SyncImages: an owner (or admin) copies its image to other regions; a receiver copies
 * a shared image into its own image, in the image's own region only.
 */
export function assertCopyTarget(
  image: Pick<Image, 'id' | 'ownerId' | 'region'>,
  caller: Caller,
  targetRegion: string,
): void {
  const own = image.ownerId === caller.accountId || caller.isAdmin;
  const sameRegion = isInRegion(image, targetRegion);
  if (own && sameRegion) {
    throw fail(
      'InvalidCopyTarget',
      `Image ${image.id} is already in ${targetRegion}: copy it to another region.`,
    );
  }
  if (!own && !sameRegion) {
    throw fail(
      'InvalidCopyTarget',
      `Image ${image.id} was shared with you: it can be copied into your own image in ${image.region} only.`,
    );
  }
}
