// DescribeRegions: the configured regions in Tencent's shape.
import { Params } from '../../param-types.js';
import { defineAction } from '../types.js';

/** Display names of Tencent's regions; other configured names are shown as they are. */
const REGION_NAMES: Record<string, string> = {
  'ap-guangzhou': 'South China(Guangzhou)',
  'ap-shanghai': 'East China(Shanghai)',
  'ap-beijing': 'North China(Beijing)',
  'ap-chengdu': 'Southwest China(Chengdu)',
  'ap-chongqing': 'Southwest China(Chongqing)',
  'ap-nanjing': 'East China(Nanjing)',
  'ap-hongkong': 'Hong Kong, Macau and Taiwan (China)(Hong Kong, China)',
  'ap-singapore': 'Southeast Asia(Singapore)',
  'ap-tokyo': 'Northeast Asia(Tokyo)',
  'ap-seoul': 'Northeast Asia(Seoul)',
  'ap-bangkok': 'Southeast Asia(Bangkok)',
  'ap-jakarta': 'Southeast Asia(Jakarta)',
  'ap-mumbai': 'South Asia(Mumbai)',
  'eu-frankfurt': 'Europe(Frankfurt)',
  'na-siliconvalley': 'West US(Silicon Valley)',
  'na-ashburn': 'East US(Virginia)',
  'sa-saopaulo': 'South America(São Paulo)',
};

export const describeRegions = defineAction({
  region: 'none',
  params: Params({}),
  async handler(_params, { config }) {
    const RegionSet = config.regions.map((region) => ({
      Region: region,
      RegionName: REGION_NAMES[region] ?? region,
      RegionState: 'AVAILABLE',
    }));
    return { TotalCount: RegionSet.length, RegionSet };
  },
});
