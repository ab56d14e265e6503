// The legacy v2 image actions (spec §1.5), on the same services as API 3.0: a share made here is the same
// member Glance and API 3.0 show. Parameter names are the legacy lowercase ones (`imageId`, `uinList.n`).
import { Type, type Static, type TObject } from '@sinclair/typebox';
import { isDomainError } from '../../../domain/errors.js';
import type { ImageKind } from '../../../services/image.service.js';
import { membersOrNone } from '../action-helpers.js';
import type { ActionContext } from '../api3/types.js';
import { TencentError, legacyCodeFor, tencentCodeFor } from '../error-codes.js';
import { ACCESS_OF, MAX_ACCOUNTS_PER_CALL } from '../api3/actions/share-permission.js';
import {
  AccountId,
  ImageDescription,
  ImageId,
  ImageName,
  Int,
  List,
  Params,
  RegionName,
  StringEnum,
  Text,
} from '../param-types.js';
import { legacyInstant, legacyTime } from '../shapes.js';

export interface LegacyAction<S extends TObject = TObject> {
  /** The API 3.0 action whose error-code overrides apply (error-codes.ts). */
  api3Name: string;
  /** The parameters' schema (param-types.ts), validated by params.ts' validateParams. */
  params: S;
  handler(params: Static<S>, ac: ActionContext): Promise<Record<string, unknown>>;
}

function defineLegacy<S extends TObject>(def: LegacyAction<S>): LegacyAction {
  return def;
}

const uinList = List(AccountId, MAX_ACCOUNTS_PER_CALL);

/** Legacy region codes (spec §1.2) and the API 3.0 names they stand for. */
export const LEGACY_REGIONS: Record<string, string> = {
  gz: 'ap-guangzhou',
  sh: 'ap-shanghai',
  bj: 'ap-beijing',
  cd: 'ap-chengdu',
  cq: 'ap-chongqing',
  nj: 'ap-nanjing',
  hk: 'ap-hongkong',
  sg: 'ap-singapore',
  ca: 'na-toronto',
  de: 'eu-frankfurt',
  th: 'ap-bangkok',
  kr: 'ap-seoul',
  jp: 'ap-tokyo',
  in: 'ap-mumbai',
  usw: 'na-siliconvalley',
  use: 'na-ashburn',
};

export function regionName(value: string): string {
  return LEGACY_REGIONS[value] ?? value;
}

/** Legacy imageType numbers. 3 (marketplace) exists in Tencent's docs and has no images here. */
const LEGACY_TYPES: Record<number, ImageKind | null> = { 1: 'own', 2: 'public', 3: null, 4: 'shared' };
/** Legacy status numbers: 1 creating, 2 normal, 3 in use, 4 syncing, 5 copying (0: all). */
const LEGACY_STATUSES: Record<number, string[]> = {
  1: ['queued', 'saving', 'uploading', 'importing'],
  2: ['active'],
  3: [],
  4: [],
  5: [],
};

function legacyStatus(status: string): number {
  for (const [n, statuses] of Object.entries(LEGACY_STATUSES))
    if (statuses.includes(status)) return Number(n);
  return 0;
}

export const legacyActions: Record<string, LegacyAction> = {
  ShareImage: defineLegacy({
    api3Name: 'ModifyImageSharePermission',
    // expiresAt and shareAccess: imageshare's extension (docs/api/tencent.md), as in API 3.0.
    params: Params({
      imageId: ImageId,
      uinList,
      expiresAt: Type.Optional(Text(64, 1)),
      shareAccess: Type.Optional(StringEnum(['LAUNCH', 'LAUNCH_AND_COPY'] as const)),
    }),
    async handler(p, ac) {
      await ac.services.shares.shareWith(ac.ctx, p.imageId, p.uinList, {
        ...(p.expiresAt !== undefined ? { expiresAt: p.expiresAt } : {}),
        ...(p.shareAccess !== undefined ? { access: ACCESS_OF[p.shareAccess] } : {}),
      });
      return {};
    },
  }),

  CancelShareImage: defineLegacy({
    api3Name: 'ModifyImageSharePermission',
    params: Params({ imageId: ImageId, uinList }),
    async handler(p, ac) {
      await ac.services.shares.cancelShares(ac.ctx, p.imageId, p.uinList);
      return {};
    },
  }),

  GetImageShareUinInfo: defineLegacy({
    api3Name: 'DescribeImageSharePermission',
    params: Params({ imageIds: List(ImageId, 10) }),
    async handler(p, ac) {
      const imageList = [];
      for (const imageId of [...new Set(p.imageIds)]) {
        const members = await membersOrNone(ac.services, ac.ctx, imageId);
        imageList.push({
          imageId,
          shareUinInfo: members.map((m) => ({
            uin: m.memberId,
            shareTimeStamp: legacyTime(m.createdAt),
            expiresAt: m.expiresAt === null ? null : legacyInstant(m.expiresAt),
            shareAccess: m.access === 'launch_and_copy' ? 'LAUNCH_AND_COPY' : 'LAUNCH',
          })),
        });
      }
      return {
        data: {
          imageNum: imageList.length,
          maxImgShareNum: ac.config.sharing.maxAccountsPerImage,
          imageList,
        },
      };
    },
  }),

  DescribeImages: defineLegacy({
    api3Name: 'DescribeImages',
    params: Params({
      imageType: Int({ minimum: 1, maximum: 4 }),
      imageIds: Type.Optional(List(ImageId, 10)),
      status: Type.Optional(Int({ minimum: 0, maximum: 5 })),
      offset: Type.Optional(Int({ minimum: 0 })),
      limit: Type.Optional(Int({ minimum: 0, maximum: 100 })),
    }),
    async handler(p, ac) {
      const kind = LEGACY_TYPES[p.imageType];
      const statuses = p.status ? LEGACY_STATUSES[p.status] : undefined;
      if (kind === null || (statuses && statuses.length === 0)) return { totalCount: 0, imageSet: [] };
      const { images, total } = await ac.services.images.describe(ac.ctx, {
        kinds: [kind as ImageKind],
        filters: { ...(p.imageIds ? { ids: p.imageIds } : {}), ...(statuses ? { statuses } : {}) },
        offset: p.offset ?? 0,
        limit: p.limit ?? 20,
      });
      return {
        totalCount: total,
        imageSet: images.map((image) => ({
          unImgId: image.id,
          imageName: image.name ?? '',
          imageDescription: image.description ?? '',
          imageType: p.imageType,
          osName: image.properties.os_name ?? image.properties.os_distro ?? '',
          createTime: legacyTime(image.createdAt),
          creator: image.ownerId,
          status: legacyStatus(image.status),
        })),
      };
    },
  }),

  ModifyImageAttributes: defineLegacy({
    api3Name: 'ModifyImageAttribute',
    params: Params({
      imageId: ImageId,
      imageName: Type.Optional(ImageName),
      imageDescription: Type.Optional(ImageDescription),
    }),
    async handler(p, ac) {
      const patch: { name?: string; description?: string } = {};
      if (p.imageName !== undefined) patch.name = p.imageName;
      if (p.imageDescription !== undefined) patch.description = p.imageDescription;
      if (Object.keys(patch).length === 0)
        throw new TencentError('MissingParameter', 'Give imageName or imageDescription.');
      await ac.services.images.update(ac.ctx, p.imageId, patch);
      return {};
    },
  }),

  DeleteImages: defineLegacy({
    api3Name: 'DeleteImages',
    params: Params({ imageIds: List(ImageId, 100) }),
    async handler(p, ac) {
      // The legacy batch format (spec §1.4): one result per image; outer code 0 / 5400 partial / 5100 all failed.
      const detail: Record<string, { code: number; message: string; codeDesc?: string }> = {};
      let failed = 0;
      const ids = [...new Set(p.imageIds)];
      for (const id of ids) {
        try {
          await ac.services.images.delete(ac.ctx, id);
          detail[id] = { code: 0, message: '' };
        } catch (err) {
          if (!isDomainError(err)) throw err;
          failed += 1;
          detail[id] = { ...legacyCodeFor(tencentCodeFor(err, 'DeleteImages')), message: err.message };
        }
      }
      const code = failed === 0 ? 0 : failed === ids.length ? 5100 : 5400;
      return {
        code,
        message: failed === 0 ? 'success' : 'some images could not be deleted',
        codeDesc: failed === 0 ? 'Success' : 'FailedOperation',
        detail,
      };
    },
  }),

  SyncCvmImage: defineLegacy({
    api3Name: 'SyncImages',
    params: Params({
      srcRegion: RegionName,
      imgIdList: List(ImageId, 10),
      dstRegion: List(RegionName, 20),
    }),
    async handler(p, ac) {
      const source = regionName(p.srcRegion);
      if (!ac.config.regions.includes(source)) {
        throw new TencentError('InvalidRegion.NotFound', `The region ${p.srcRegion} does not exist.`);
      }
      const ctx = { ...ac.ctx, region: source };
      const targets = [...new Set(p.dstRegion.map(regionName))];
      const ids = [...new Set(p.imgIdList)];
      // All or nothing: every (image, region) pair is checked, then all copies are made (ImageService).
      const copies = await ac.services.images.copyMany(ctx, ids, targets);
      const imageSet = copies.map((copy) => ({
        srcImageId: copy.sourceImageId,
        dstRegion: copy.region,
        dstImageId: copy.id,
      }));
      return { data: { imageSet } };
    },
  }),
};
