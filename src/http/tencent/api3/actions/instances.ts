// RunInstances, DescribeInstances, TerminateInstances: instances are records of launches from an image (the
// one thing a receiver may do with a shared image), not machines.
import { Type } from '@sinclair/typebox';
import { TencentError } from '../../error-codes.js';
import { Ignored, ImageId, InstanceId, Int, List, Params, Text } from '../../param-types.js';
import { tencentTime } from '../../shapes.js';
import { defineAction } from '../types.js';

/** RunInstances parameters that describe a real machine; accepted so SDK calls work, and not interpreted. */
const machineParams = {
  InstanceChargeType: Ignored(),
  InstanceChargePrepaid: Ignored(),
  Placement: Ignored(),
  InstanceType: Ignored(),
  SystemDisk: Ignored(),
  DataDisks: Ignored(),
  VirtualPrivateCloud: Ignored(),
  InternetAccessible: Ignored(),
  LoginSettings: Ignored(),
  SecurityGroupIds: Ignored(),
  EnhancedService: Ignored(),
  ClientToken: Ignored(),
  HostName: Ignored(),
  TagSpecification: Ignored(),
  UserData: Ignored(),
};

export const runInstances = defineAction({
  region: 'required',
  params: Params({
    ImageId,
    InstanceCount: Type.Optional(Int({ minimum: 1, maximum: 100 })),
    InstanceName: Type.Optional(Text(128, 1)),
    ...machineParams,
  }),
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
  params: Params({
    InstanceIds: Type.Optional(List(InstanceId, 100)),
    Filters: Type.Optional(
      Type.Array(Params({ Name: Text(64), Values: List(Text(64), 5) }), { maxItems: 10 }),
    ),
    Offset: Type.Optional(Int({ minimum: 0 })),
    Limit: Type.Optional(Int({ minimum: 0, maximum: 100 })),
  }),
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
  params: Params({ InstanceIds: List(InstanceId, 100) }),
  async handler(params, { ctx, services }) {
    await services.instances.terminate(ctx, params.InstanceIds);
    return {};
  },
});
