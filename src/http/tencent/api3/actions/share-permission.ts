// ModifyImageSharePermission (SHARE / CANCEL, many accounts per call, all or nothing) and
// DescribeImageSharePermission. The shares are the image members Glance shows at /v2/images/{id}/members.
import { membersOrNone } from '../../action-helpers.js';
import { AccountId, ImageId, List, Params, StringEnum } from '../../param-types.js';
import { tencentTime } from '../../shapes.js';
import { defineAction } from '../types.js';

/** At most this many account IDs in one call (Tencent's current per-image limit). */
export const MAX_ACCOUNTS_PER_CALL = 500;

export const modifyImageSharePermission = defineAction({
  // Tencent's docs say the region is not required here: the default region is used when absent.
  region: 'optional',
  params: Params({
    ImageId,
    AccountIds: List(AccountId, MAX_ACCOUNTS_PER_CALL),
    Permission: StringEnum(['SHARE', 'CANCEL']),
  }),
  async handler(params, { ctx, services }) {
    if (params.Permission === 'SHARE')
      await services.shares.shareWith(ctx, params.ImageId, params.AccountIds);
    else await services.shares.cancelShares(ctx, params.ImageId, params.AccountIds);
    return {};
  },
});

export const describeImageSharePermission = defineAction({
  region: 'optional',
  params: Params({ ImageId }),
  async handler(params, { ctx, services }) {
    const members = await membersOrNone(services, ctx, params.ImageId);
    return {
      SharePermissionSet: members.map((m) => ({
        CreatedTime: tencentTime(m.createdAt),
        AccountId: m.memberId,
      })),
    };
  },
});
