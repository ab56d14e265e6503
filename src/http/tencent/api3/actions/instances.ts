// RunInstances, DescribeInstances, TerminateInstances: instances are records of launches from an image (the
// one thing a receiver may do with a shared image), not machines.
import { TencentError } from '../../error-codes.js';
import type { Field } from '../../params.js';
import { imageIdField, instanceIdField, tencentTime } from '../../shapes.js';
import { defineAction } from '../types.js';

const optionalInstanceIds = {
  type: 'array',
  items: instanceIdField,
  minItems: 1,
  maxItems: 100,
} as const satisfies Field;
const requiredInstanceIds = { ...optionalInstanceIds, required: true } as const;

/** RunInstances parameters that describe a real machine; accepted so SDK calls work, and not interpreted. */
const machineParams = Object.fromEntries(
  [
    'InstanceChargeType',
    'InstanceChargePrepaid',
    'Placement',
    'InstanceType',
    'SystemDisk',
    'DataDisks',
    'VirtualPrivateCloud',
    'InternetAccessible',
    'LoginSettings',
    'SecurityGroupIds',
    'EnhancedService',
    'ClientToken',
    'HostName',
    'TagSpecification',
    'UserData',
  ].map((name) => [name, { type: 'ignored' } as const]),
) as Record<string, { type: 'ignored' }>;

export const runInstances = defineAction({
  region: 'required',
  params: {
    ImageId: imageIdField,
    InstanceCount: { type: 'integer', min: 1, max: 100 },
    InstanceName: { type: 'string', minLength: 1, maxLength: 128 },
    ...machineParams,
  },
  async handler(params, { ctx, services }) {
    const instances = await services.instances.launch(ctx, params.ImageId, {
      count: params.InstanceCount ?? 1,
      ...(params.InstanceName !== undefined ? { name: params.InstanceName } : {}),
    });
    return { InstanceIdSet: instances.map((i) => i.id) };
  },
});

export const describeInstances = defineAction({
  region: 'required',
  params: {
    InstanceIds: optionalInstanceIds,
    Filters: {
      type: 'array',
      maxItems: 10,
      items: {
        type: 'object',
        fields: {
          Name: { type: 'string', required: true, maxLength: 64 },
          Values: {
            type: 'array',
            required: true,
            items: { type: 'string', maxLength: 64 },
            minItems: 1,
            maxItems: 5,
          },
        },
      },
    },
    Offset: { type: 'integer', min: 0 },
    Limit: { type: 'integer', min: 0, max: 100 },
  },
  async handler(params, { ctx, services }) {
    if (params.InstanceIds && params.Filters) {
      throw new TencentError(
        'InvalidParameter.InvalidParameterCoexistInstanceIdsFilters',
        'InstanceIds and Filters cannot be specified at the same time.',
      );
    }
    let ids = params.InstanceIds;
    for (const filter of params.Filters ?? []) {
      if (filter.Name !== 'instance-id')
        throw new TencentError('InvalidFilter', 'Only the instance-id filter is supported.');
      ids = filter.Values;
    }
    const { instances, total } = await services.instances.list(ctx, {
      ...(ids ? { ids: [...new Set(ids)] } : {}),
      offset: params.Offset ?? 0,
      limit: params.Limit ?? 20,
    });
    return {
      TotalCount: total,
      InstanceSet: instances.map((i) => ({
        InstanceId: i.id,
        InstanceName: i.name,
        ImageId: i.imageId,
        InstanceState: i.state,
        CreatedTime: tencentTime(i.createdAt),
        Placement: { Zone: `${i.region}-1`, ProjectId: 0 },
      })),
    };
  },
});

export const terminateInstances = defineAction({
  region: 'required',
  params: { InstanceIds: requiredInstanceIds },
  async handler(params, { ctx, services }) {
    await services.instances.terminate(ctx, params.InstanceIds);
    return {};
  },
});
