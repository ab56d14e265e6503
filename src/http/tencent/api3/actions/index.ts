// The API 3.0 action table: action name -> definition. Add new actions here.
import type { ActionTable } from '../types.js';
import { describeRegions } from './describe-regions.js';
import {
  createImage,
  deleteImages,
  describeImageQuota,
  describeImages,
  modifyImageAttribute,
  syncImages,
} from './images.js';
import { describeInstances, runInstances, terminateInstances } from './instances.js';
import { describeImageSharePermission, modifyImageSharePermission } from './share-permission.js';

export const actions: ActionTable = {
  DescribeRegions: describeRegions,
  ModifyImageSharePermission: modifyImageSharePermission,
  DescribeImageSharePermission: describeImageSharePermission,
  DescribeImages: describeImages,
  ModifyImageAttribute: modifyImageAttribute,
  DeleteImages: deleteImages,
  SyncImages: syncImages,
  CreateImage: createImage,
  DescribeImageQuota: describeImageQuota,
  RunInstances: runInstances,
  DescribeInstances: describeInstances,
  TerminateInstances: terminateInstances,
};
