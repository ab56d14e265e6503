// The API 3.0 action table: action name -> definition. Add new actions here.
import type { ActionTable } from '../types.js';
import { describeRegions } from './describe-regions.js';

export const actions: ActionTable = {
  DescribeRegions: describeRegions,
};
