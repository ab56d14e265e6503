// ModifyImageSharePermission (SHARE / CANCEL, many accounts per call, all or nothing) and
// DescribeImageSharePermission. The shares are the image members Glance shows at /v2/images/{id}/members.
import { Type } from '@sinclair/typebox';
import { groupSharesOrNone, membersOrNone } from '../../action-helpers.js';
import { ImageId, List, Params, ShareTargetId, StringEnum, Text } from '../../param-types.js';
import { tencentInstant, tencentTime } from '../../shapes.js';
import { defineAction } from '../types.js';

/** Tencent-style names of what a receiver may do (domain ShareAccess). */
export const ACCESS_OF = { LAUNCH: 'launch', LAUNCH_AND_COPY: 'launch_and_copy' } as const;

/** At most this many account IDs in one call (Tencent's current per-image limit). */
export const MAX_ACCOUNTS_PER_CALL = 500;

export const modifyImageSharePermission = defineAction({
  // Tencent's docs say the region is not required here: the default region is used when absent.
  region: 'optional',
  params: Params({
    ImageId,
    // Account IDs, and (imageshare's extension) IDs of the owner's groups: a group takes one place.
    AccountIds: List(ShareTargetId, MAX_ACCOUNTS_PER_CALL),
    Permission: StringEnum(['SHARE', 'CANCEL']),
    // imageshare's extension (docs/api/tencent.md): the terms of new shares.
    ExpiresAt: Type.Optional(Text(64, 1)),
    ShareAccess: Type.Optional(StringEnum(Object.keys(ACCESS_OF) as Array<keyof typeof ACCESS_OF>)),
  }),
  async handler(params, { ctx, services }) {
    if (params.Permission === 'SHARE') {
      await services.shares.shareWith(ctx, params.ImageId, params.AccountIds, {
        ...(params.ExpiresAt !== undefined ? { expiresAt: params.ExpiresAt } : {}),
        ...(params.ShareAccess !== undefined ? { access: ACCESS_OF[params.ShareAccess] } : {}),
      });
    } else await services.shares.cancelShares(ctx, params.ImageId, params.AccountIds);
    return {};
  },
});

export const describeImageSharePermission = defineAction({
  region: 'optional',
  params: Params({ ImageId }),
  async handler(params, { ctx, services }) {
    const members = await membersOrNone(services, ctx, params.ImageId);
    // imageshare's extension: the owner's shares with groups, after the accounts (AccountId is the group's
    // ID, with its name and size).
    const groups = await groupSharesOrNone(services, ctx, params.ImageId);
    return {
      SharePermissionSet: [
        ...members.map((m) => ({
          CreatedTime: tencentTime(m.createdAt),
          AccountId: m.memberId,
          // imageshare's extension: the share's end time (null: none) and what the account may do.
          ExpiresAt: m.expiresAt === null ? null : tencentInstant(m.expiresAt),
          ShareAccess: m.access === 'launch_and_copy' ? 'LAUNCH_AND_COPY' : 'LAUNCH',
        })),
        ...groups.map((g) => ({
          CreatedTime: tencentTime(g.createdAt),
          AccountId: g.groupId,
          ExpiresAt: g.expiresAt === null ? null : tencentInstant(g.expiresAt),
          ShareAccess: g.access === 'launch_and_copy' ? 'LAUNCH_AND_COPY' : 'LAUNCH',
          AccountType: 'GROUP',
          GroupName: g.groupName,
          GroupSize: g.size,
        })),
      ],
    };
  },
});
