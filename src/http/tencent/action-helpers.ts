// Checks and lookups that API 3.0 actions and their legacy twins share.
import type { Config } from '../../config.js';
import { isDomainError } from '../../domain/errors.js';
import type { Member } from '../../domain/types.js';
import type { Services } from '../../services/container.js';
import type { RequestContext } from '../../services/context.js';
import { TencentError } from './error-codes.js';

/** One call names at most as many accounts as an image may be shared with. */
export function assertShareCount(config: Config, accounts: string[], parameter: string): void {
  const max = config.sharing.maxAccountsPerImage;
  if (new Set(accounts).size > max) {
    throw new TencentError(
      'InvalidParameterValue.LimitExceeded',
      `${parameter} takes at most ${max} accounts (an image is shared with at most ${max}).`,
    );
  }
}

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
