// Shapes of the console API (/console/api/v1), as agreed in the console contract.

export interface Account {
  id: string;
  name: string;
  isAdmin: boolean;
  createdAt: string;
}

export interface SessionInfo {
  account: Account;
  csrfToken: string;
}

export interface ApiKey {
  secretId: string;
  enabled: boolean;
  createdAt: string;
}

export interface NewApiKey extends ApiKey {
  secretKey: string;
}

export interface Region {
  id: string;
  isDefault: boolean;
}

export type ImageKind = 'custom' | 'shared' | 'public';
export type ShareStatus = 'pending' | 'accepted' | 'rejected';

export interface ImageView {
  id: string;
  name: string;
  description: string | null;
  status: string;
  size: number | null;
  diskFormat: string | null;
  containerFormat: string | null;
  visibility: string;
  region: string;
  ownerId: string;
  createdAt: string;
  updatedAt: string;
  checksum: string | null;
  sha512: string | null;
  shareCount: number | null;
  shareStatus: ShareStatus | null;
  /** Images shared with me: when the share ends (null: never) and whether I may copy the image. */
  shareExpiresAt: string | null;
  shareAccess: ShareAccess | null;
  isOwner: boolean;
  /** Lifecycle: deprecation (seen by receivers too), disabled and protected (the owner's). */
  deprecatedAt: string | null;
  replacementImageId: string | null;
  obsoleteAt: string | null;
  disabled: boolean;
  protected: boolean;
  /** In the recycle bin: when it was deleted and when it goes for good. */
  deletedAt: string | null;
  purgeAfter: string | null;
}

export type ShareAccess = 'launch' | 'launch_and_copy';
export type Consent = 'listing' | 'launch';

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export interface Share {
  accountId: string;
  status: ShareStatus;
  expiresAt: string | null;
  access: ShareAccess;
  /** False once the share has ended. */
  live: boolean;
  createdAt: string;
  updatedAt: string;
  launches: number;
  runningInstances: number;
  lastLaunchAt: string | null;
}

export interface SharesView {
  limit: number;
  used: number;
  consent: Consent;
  consentSetting: Consent | null;
  shares: Share[];
  /** Shares with the owner's groups: one place each. */
  groups: GroupShare[];
}

export interface GroupShare {
  groupId: string;
  groupName: string;
  size: number;
  expiresAt: string | null;
  access: ShareAccess;
  live: boolean;
  createdAt: string;
}

export interface GroupView {
  id: string;
  name: string;
  description: string;
  size: number;
  createdAt: string;
  updatedAt: string;
}

export interface GroupList {
  groups: GroupView[];
  total: number;
  maxGroups: number;
  maxMembersPerGroup: number;
}

export interface GroupDetail {
  group: GroupView;
  members: { accountId: string; addedAt: string }[];
  images: { imageId: string; expiresAt: string | null }[];
}

export interface ShareCheckResults {
  results: { accountId: string; ok: boolean; outcome: ShareOutcome; message: string }[];
}

export type ShareOutcome =
  'shared' | 'alreadyShared' | 'unknownAccount' | 'self' | 'limitReached' | 'invalid';

export interface ShareResults {
  results: { accountId: string; outcome: ShareOutcome; message: string }[];
  used: number;
  limit: number;
}

export interface InstanceView {
  id: string;
  name: string;
  imageId: string;
  imageName: string | null;
  region: string;
  state: 'RUNNING' | 'TERMINATED';
  createdAt: string;
  terminatedAt: string | null;
}

export type HistoryAction =
  | 'share'
  | 'cancel'
  | 'accept'
  | 'reject'
  | 'leave'
  | 'delete'
  | 'launch'
  | 'create'
  | 'upload'
  | 'copy'
  | 'rename'
  | 'terms'
  | 'consent'
  | 'deprecate'
  | 'undeprecate'
  | 'disable'
  | 'enable'
  | 'protect'
  | 'unprotect'
  | 'restore'
  | 'purge'
  | 'expire';

export type Surface = 'openstack' | 'tencent' | 'tencent-legacy' | 'console' | 'service';

export interface HistoryEntry {
  id: string;
  at: string;
  action: HistoryAction;
  imageId: string;
  imageName: string | null;
  ownerId: string;
  actorId: string;
  targetAccountId: string | null;
  surface: Surface;
}

export type SortField = 'name' | 'createdAt' | 'size' | 'status';
export type SortOrder = 'asc' | 'desc';

/** My launch policy (issue 12 guardrails): whose images I let myself launch. */
export type LaunchPolicyMode = 'off' | 'audit' | 'enforce';

export interface LaunchPolicy {
  mode: LaunchPolicyMode;
  /** Account IDs and group IDs (grp-xxxxxxxx). */
  allowedOwners: string[];
  maxAllowedOwners: number;
}

/** A launch my `audit` policy would have refused (it went ahead). */
export interface LaunchAuditRecord {
  id: string;
  at: string;
  imageId: string;
  imageName: string | null;
  ownerId: string;
  region: string;
  visibility: string;
  instances: number;
  surface: Surface;
}
