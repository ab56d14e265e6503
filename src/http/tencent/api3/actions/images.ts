// Image actions: DescribeImages, ModifyImageAttribute, DeleteImages, SyncImages, CreateImage, DescribeImageQuota.
import { Type } from '@sinclair/typebox';
import type { ImageFilters } from '../../../../services/image-query.js';
import { TencentError } from '../../error-codes.js';
import {
  ImageDescription,
  ImageId,
  ImageName,
  InstanceId,
  Int,
  List,
  Params,
  RegionName,
  StringEnum,
  Text,
} from '../../param-types.js';
import {
  IMAGE_TYPE_OF_KIND,
  imageShape,
  kindOfImageType,
  statusesForState,
  type TencentKind,
} from '../../shapes.js';
import { defineAction } from '../types.js';

/** At most 10 filters of at most 5 values each (Tencent's limits and codes). */
const filtersField = Type.Array(
  Params({
    Name: Text(64),
    Values: Type.Array(Text(255), {
      minItems: 1,
      maxItems: 5,
      tencentCodes: { maxItems: 'InvalidFilterValue.LimitExceeded' },
    }),
  }),
  { maxItems: 10 },
);

export const describeImages = defineAction({
  region: 'required',
  params: Params({
    ImageIds: Type.Optional(List(ImageId, 100)),
    Filters: Type.Optional(filtersField),
    Offset: Type.Optional(Int({ minimum: 0 })),
    Limit: Type.Optional(
      Int({ minimum: 0, maximum: 100, rangeCode: 'InvalidParameterValue.InvalidParameterValueLimit' }),
    ),
    // Accepted for compatibility: every image runs on every (imaginary) instance type here.
    InstanceType: Type.Optional(Text(64)),
  }),
  async handler(params, { ctx, services }) {
    if (params.ImageIds && params.Filters) {
      throw new TencentError(
        'InvalidParameter.InvalidParameterCoexistImageIdsFilters',
        'ImageIds and Filters cannot be specified at the same time.',
      );
    }
    const filters: ImageFilters = {};
    let kinds: TencentKind[] = ['own', 'shared', 'public'];
    if (params.ImageIds) filters.ids = [...new Set(params.ImageIds)];
    const seen = new Set<string>();
    for (const filter of params.Filters ?? []) {
      if (seen.has(filter.Name))
        throw new TencentError('InvalidFilter', `Filter ${filter.Name} is given twice.`);
      seen.add(filter.Name);
      switch (filter.Name) {
        case 'image-id':
          filters.ids = filter.Values;
          break;
        case 'image-name':
          // Tencent matches image names fuzzily: any image whose name contains one of the values.
          filters.nameContains = filter.Values;
          break;
        case 'image-type':
          kinds = filter.Values.map((v) => {
            const kind = kindOfImageType(v);
            if (!kind)
              throw new TencentError(
                'InvalidFilter',
                `image-type takes ${Object.values(IMAGE_TYPE_OF_KIND).join(', ')}.`,
              );
            return kind;
          });
          break;
        case 'image-state':
          filters.statuses = filter.Values.flatMap((v) => {
            const statuses = statusesForState(v);
            if (!statuses) throw new TencentError('InvalidFilter', `image-state does not take ${v}.`);
            return statuses;
          });
          break;
        default:
          throw new TencentError(
            'InvalidFilter',
            `Filter ${filter.Name} is not supported (image-id, image-type, image-name, image-state).`,
          );
      }
    }
    const {
      images,
      kinds: kindOf,
      total,
    } = await services.images.describe(ctx, {
      kinds: [...new Set(kinds)],
      filters,
      offset: params.Offset ?? 0,
      limit: params.Limit ?? 20,
    });
    return {
      // Only the kinds asked for come back, and those are Tencent's (never 'community').
      ImageSet: images.map((image) => imageShape(image, kindOf.get(image.id) as TencentKind)),
      TotalCount: total,
    };
  },
});

export const modifyImageAttribute = defineAction({
  region: 'required',
  params: Params({
    ImageId,
    ImageName: Type.Optional(ImageName),
    ImageDescription: Type.Optional(ImageDescription),
    // Tencent's own switch (2017-03-12): deprecate the image (no replacement or obsolescence date: those
    // are in the OpenStack and console extensions), or end its deprecation.
    ImageDeprecated: Type.Optional(Type.Boolean()),
  }),
  async handler(params, { ctx, services }) {
    const patch: { name?: string; description?: string } = {};
    if (params.ImageName !== undefined) patch.name = params.ImageName;
    if (params.ImageDescription !== undefined) patch.description = params.ImageDescription;
    if (Object.keys(patch).length === 0 && params.ImageDeprecated === undefined) {
      throw new TencentError(
        'MissingParameter',
        'Give ImageName, ImageDescription or ImageDeprecated (or several).',
      );
    }
    await services.images.modifyAttributes(ctx, params.ImageId, patch, params.ImageDeprecated);
    return {};
  },
});

export const deleteImages = defineAction({
  region: 'required',
  params: Params({
    ImageIds: List(ImageId, 100),
    DeleteBindedSnap: Type.Optional(Type.Boolean()),
    DryRun: Type.Optional(Type.Boolean()),
  }),
  async handler(params, { ctx, services }) {
    await services.images.deleteMany(ctx, params.ImageIds, { dryRun: params.DryRun === true });
    return {};
  },
});

export const syncImages = defineAction({
  region: 'required',
  params: Params({
    ImageIds: List(ImageId, 10),
    DestinationRegions: List(RegionName, 20),
    DryRun: Type.Optional(Type.Boolean()),
    ImageName: Type.Optional(ImageName),
    ImageSetRequired: Type.Optional(Type.Boolean()),
    Encrypt: Type.Optional(Type.Boolean()),
  }),
  async handler(params, { ctx, services }) {
    if (params.Encrypt) {
      throw new TencentError(
        'UnsupportedOperation.SyncEncryptImageNotSupport',
        'Encrypted copies are not supported.',
      );
    }
    // All or nothing: every (image, region) pair is checked, then all copies are made (ImageService).
    const copies = await services.images.copyMany(ctx, params.ImageIds, params.DestinationRegions, {
      ...(params.ImageName ? { name: params.ImageName } : {}),
      dryRun: params.DryRun === true,
    });
    if (params.DryRun) return { ImageSet: [] };
    const created = copies.map((copy) => ({ ImageId: copy.id, Region: copy.region }));
    return { ImageSet: params.ImageSetRequired ? created : [] };
  },
});

export const createImage = defineAction({
  region: 'required',
  params: Params({
    ImageName,
    InstanceId,
    ImageDescription: Type.Optional(ImageDescription),
    // Accepted for compatibility; an instance here is a record, not a machine to power off or sysprep.
    ForcePoweroff: Type.Optional(StringEnum(['true', 'false'])),
    Sysprep: Type.Optional(StringEnum(['true', 'false'])),
  }),
  async handler(params, { ctx, services }) {
    const image = await services.images.createFromInstance(ctx, params.InstanceId, {
      name: params.ImageName,
      ...(params.ImageDescription !== undefined ? { description: params.ImageDescription } : {}),
    });
    return { ImageId: image.id };
  },
});

export const describeImageQuota = defineAction({
  region: 'optional',
  params: Params({}),
  async handler(_params, { ctx, services }) {
    const { quota } = await services.images.quota(ctx);
    return { ImageNumQuota: quota };
  },
});
