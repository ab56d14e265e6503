// The configuration's sharing settings as the domain's policy type (the domain does not read config).
import type { Config } from '../config.js';
import type { GroupPolicy } from '../domain/groups.js';
import type { PublicationPolicy } from '../domain/guardrails.js';
import type { SharingPolicy } from '../domain/sharing.js';

export function sharingPolicy(config: Config): SharingPolicy & Pick<GroupPolicy, 'maxMembersPerGroup'> {
  return {
    maxAccountsPerImage: config.sharing.maxAccountsPerImage,
    deleteShared: config.images.deleteShared,
    maxMembersPerGroup: config.groups.maxMembersPerGroup,
  };
}

export function groupPolicy(config: Config): GroupPolicy {
  return { ...config.groups };
}

/** The operator's switches on new public and community images (domain/guardrails.ts assertMayPublish). */
export function publicationPolicy(config: Config): PublicationPolicy {
  return {
    allowNewPublic: config.images.allowNewPublic,
    allowNewCommunity: config.images.allowNewCommunity,
  };
}
