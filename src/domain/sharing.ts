// The sharing rules of DESIGN.md, one function each. Pure: the services gather the facts (counts, rows)
// inside a transaction and call these before writing. Every surface reaches them through the services;
// the surfaces only translate the errors raised here into their own codes.
import { fail } from './errors.js';
import { memberStatuses, type Caller, type Image, type MemberStatus, type Visibility } from './types.js';

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

/** Rule 5: a shared image cannot be deleted until its shares are cancelled (unless the policy cancels them). */
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
