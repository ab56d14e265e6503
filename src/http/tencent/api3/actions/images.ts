// Image actions: DescribeImages, ModifyImageAttribute, DeleteImages, SyncImages, CreateImage, DescribeImageQuota.
import type { ImageFilters } from '../../../../repositories/db/image.repository.js';
import type { ImageKind } from '../../../../services/image.service.js';
import { TencentError } from '../../error-codes.js';
import type { Field } from '../../params.js';
import { imageIdField, imageShape, instanceIdField, statusesForState } from '../../shapes.js';
import { defineAction } from '../types.js';

const optionalImageIds = (maxItems: number) =>
  ({
    type: 'array',
    items: { ...imageIdField, required: false },
    minItems: 1,
    maxItems,
  }) as const satisfies Field;
const requiredImageIds = (maxItems: number) => ({ ...optionalImageIds(maxItems), required: true }) as const;

const filtersField = {
  type: 'array',
  items: {
    type: 'object',
    fields: {
      Name: { type: 'string', required: true, maxLength: 64 },
      Values: { type: 'array', required: true, items: { type: 'string', maxLength: 255 }, minItems: 1 },
    },
  },
} as const satisfies Field;

const IMAGE_TYPES: Record<string, ImageKind> = {
  PRIVATE_IMAGE: 'own',
  PUBLIC_IMAGE: 'public',
  SHARED_IMAGE: 'shared',
};

export const describeImages = defineAction({
  region: 'required',
  params: {
    ImageIds: optionalImageIds(100),
    Filters: filtersField,
    Offset: { type: 'integer', min: 0 },
    Limit: {
      type: 'integer',
      min: 0,
      max: 100,
      rangeCode: 'InvalidParameterValue.InvalidParameterValueLimit',
    },
    // Accepted for compatibility: every image runs on every (imaginary) instance type here.
    InstanceType: { type: 'string', maxLength: 64 },
  },
  async handler(params, { ctx, services }) {
    if (params.ImageIds && params.Filters) {
      throw new TencentError(
        'InvalidParameter.InvalidParameterCoexistImageIdsFilters',
        'ImageIds and Filters cannot be specified at the same time.',
      );
    }
    const filters: ImageFilters = {};
    let kinds: ImageKind[] = ['own', 'shared', 'public'];
    if (params.ImageIds) filters.ids = [...new Set(params.ImageIds)];
    const given = params.Filters ?? [];
    if (given.length > 10)
      throw new TencentError('InvalidParameterValue.LimitExceeded', 'At most 10 Filters.');
    const seen = new Set<string>();
    for (const filter of given) {
      if (filter.Values.length > 5) {
        throw new TencentError(
          'InvalidFilterValue.LimitExceeded',
          `Filter ${filter.Name} takes at most 5 values.`,
        );
      }
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
            const kind = IMAGE_TYPES[v];
            if (!kind)
              throw new TencentError(
                'InvalidFilter',
                `image-type takes ${Object.keys(IMAGE_TYPES).join(', ')}.`,
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
    const { images, total } = await services.images.describe(ctx, {
      kinds: [...new Set(kinds)],
      filters,
      offset: params.Offset ?? 0,
      limit: params.Limit ?? 20,
    });
    return { ImageSet: images.map((image) => imageShape(image, ctx.caller)), TotalCount: total };
  },
});

export const modifyImageAttribute = defineAction({
  region: 'required',
  params: {
    ImageId: imageIdField,
    ImageName: { type: 'string', minLength: 1, maxLength: 60 },
    ImageDescription: { type: 'string', maxLength: 256 },
  },
  async handler(params, { ctx, services }) {
    const patch: { name?: string; description?: string } = {};
    if (params.ImageName !== undefined) patch.name = params.ImageName;
    if (params.ImageDescription !== undefined) patch.description = params.ImageDescription;
    if (Object.keys(patch).length === 0) {
      throw new TencentError('MissingParameter', 'Give ImageName or ImageDescription (or both).');
    }
    await services.images.update(ctx, params.ImageId, patch);
    return {};
  },
});

export const deleteImages = defineAction({
  region: 'required',
  params: {
    ImageIds: requiredImageIds(100),
    DeleteBindedSnap: { type: 'boolean' },
    DryRun: { type: 'boolean' },
  },
  async handler(params, { ctx, services }) {
    await services.images.deleteMany(ctx, params.ImageIds, { dryRun: params.DryRun === true });
    return {};
  },
});

export const syncImages = defineAction({
  region: 'required',
  params: {
    ImageIds: requiredImageIds(10),
    DestinationRegions: {
      type: 'array',
      required: true,
      items: { type: 'string', maxLength: 64 },
      minItems: 1,
      maxItems: 20,
    },
    DryRun: { type: 'boolean' },
    ImageName: { type: 'string', minLength: 1, maxLength: 60 },
    ImageSetRequired: { type: 'boolean' },
    Encrypt: { type: 'boolean' },
  },
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
  params: {
    ImageName: { type: 'string', required: true, minLength: 1, maxLength: 60 },
    InstanceId: { ...instanceIdField, required: true },
    ImageDescription: { type: 'string', maxLength: 256 },
    // Accepted for compatibility; an instance here is a record, not a machine to power off or sysprep.
    ForcePoweroff: { type: 'string', enum: ['true', 'false'] },
    Sysprep: { type: 'string', enum: ['true', 'false'] },
  },
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
  params: {},
  async handler(_params, { ctx, services }) {
    const { quota } = await services.images.quota(ctx);
    return { ImageNumQuota: quota };
  },
});
