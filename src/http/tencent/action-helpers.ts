// Bounds and lookups that API 3.0 actions and their legacy twins share.
import { isDomainError } from '../../domain/errors.js';
import type { Member } from '../../domain/types.js';
import type { Services } from '../../services/container.js';
import type { GroupShare } from '../../services/share.service.js';
import type { RequestContext } from '../../services/context.js';

/** The image's shares; a private or public image the caller may see simply has none. */
export async function membersOrNone(
  services: Services,
  ctx: RequestContext,
  imageId: string,
): Promise<Member[]> {
  try {
    return await services.shares.listMembers(ctx, imageId);
  } catch (err) {
    if (isDomainError(err) && err.code === 'ImageNotShareable') return [];
    throw err;
  }
}

/** The image's shares with groups, for its owner (imageshare's extension); none for anyone else. */
export async function groupSharesOrNone(
  services: Services,
  ctx: RequestContext,
  imageId: string,
): Promise<GroupShare[]> {
  try {
    return await services.shares.listGroupShares(ctx, imageId);
  } catch (err) {
    if (isDomainError(err) && err.code === 'ImageNotShareable') return [];
    throw err;
  }
}
