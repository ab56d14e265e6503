// The configuration's sharing settings as the domain's policy type (the domain does not read config).
import type { Config } from '../config.js';
import type { SharingPolicy } from '../domain/sharing.js';

export function sharingPolicy(config: Config): SharingPolicy {
  return {
    maxAccountsPerImage: config.sharing.maxAccountsPerImage,
    deleteShared: config.images.deleteShared,
  };
}
