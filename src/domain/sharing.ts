// The sharing rules of DESIGN.md, one function each. Pure: the services gather the facts (counts, rows)
// inside a transaction and call these before writing.
// eslint-disable-next-line no-restricted-imports -- the last layer violation on main; the rules branch removes it.
import type { DeleteSharedPolicy } from '../config.js';
import { fail } from './errors.js';
import { memberStatuses, type Caller, type Image, type MemberStatus } from './types.js';

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

/** Rule 1: at most `max` accounts per image; `current` is counted under the image's row lock. */
export function assertWithinShareLimit(imageId: string, current: number, adding: number, max: number): void {
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
  policy: DeleteSharedPolicy,
): void {
  if (image.protected) throw fail('ImageProtected', `Image ${image.id} is protected and cannot be deleted.`);
  if (memberCount > 0 && policy === 'refuse') {
    throw fail(
      'ImageInShared',
      `Image ${image.id} is shared with ${memberCount} account(s): cancel its shares (remove its members) ` +
        `before deleting it.`,
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
  if (own && targetRegion === image.region) {
    throw fail(
      'InvalidCopyTarget',
      `Image ${image.id} is already in ${targetRegion}: copy it to another region.`,
    );
  }
  if (!own && targetRegion !== image.region) {
    throw fail(
      'InvalidCopyTarget',
      `Image ${image.id} was shared with you: it can be copied into your own image in ${image.region} only.`,
    );
  }
}
