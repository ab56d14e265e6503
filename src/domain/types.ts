// The model every surface shares (see DESIGN.md "The model"). Plain data, no behaviour.

export interface Caller {
  accountId: string;
  isAdmin: boolean;
}

export interface Account {
  id: string;
  name: string;
  isAdmin: boolean;
  createdAt: string;
  updatedAt: string;
  disabledAt: string | null;
}

export const imageStatuses = [
  'queued',
  'saving',
  'active',
  'killed',
  'deleted',
  'pending_delete',
  'deactivated',
  'uploading',
  'importing',
] as const;
export type ImageStatus = (typeof imageStatuses)[number];

export const visibilities = ['public', 'community', 'shared', 'private'] as const;
export type Visibility = (typeof visibilities)[number];

export const memberStatuses = ['pending', 'accepted', 'rejected'] as const;
export type MemberStatus = (typeof memberStatuses)[number];

/** What a receiver may do with a shared image: launch it (the default), or also copy it into its own images. */
export const shareAccesses = ['launch', 'launch_and_copy'] as const;
export type ShareAccess = (typeof shareAccesses)[number];

/**
 * What a receiver's consent gates: only whether the image is listed (the seed's rule: pending and rejected
 * shares still launch), or launching too (a pending or rejected share cannot launch until accepted).
 */
export const consentLevels = ['listing', 'launch'] as const;
export type Consent = (typeof consentLevels)[number];

export interface Image {
  id: string;
  ownerId: string;
  region: string;
  name: string | null;
  description: string | null;
  status: ImageStatus;
  visibility: Visibility;
  protected: boolean;
  osHidden: boolean;
  size: number | null;
  virtualSize: number | null;
  checksum: string | null;
  osHashAlgo: string | null;
  osHashValue: string | null;
  diskFormat: string | null;
  containerFormat: string | null;
  minDisk: number;
  minRam: number;
  blobKey: string | null;
  sourceImageId: string | null;
  createdAt: string;
  updatedAt: string;
  tags: string[];
  /** Free-form string properties (Glance "extra properties"). */
  properties: Record<string, string>;
  /** Lifecycle (image-status.ts): deprecation, disabling, the recycle bin. */
  lifecycle: ImageLifecycleState;
}

/** Where an image stands in its lifecycle, beside its status (null: not so). */
export interface ImageLifecycleState {
  /** When its owner deprecated it. */
  deprecatedAt: string | null;
  /** The image its owner points receivers to instead (a deprecated image only). */
  replacementImageId: string | null;
  /** From this instant no new instance is launched from it (a deprecated image only). */
  obsoleteAt: string | null;
  /** When its owner disabled it: every share is suspended meanwhile. */
  disabledAt: string | null;
  /** In the recycle bin: when it was deleted, and the instant it is purged for good. */
  deletedAt: string | null;
  purgeAfter: string | null;
}

export interface Member {
  imageId: string;
  memberId: string;
  status: MemberStatus;
  /** The instant from which the share grants nothing, or null for a share without an end. */
  expiresAt: string | null;
  access: ShareAccess;
  createdAt: string;
  updatedAt: string;
}

export type InstanceState = 'RUNNING' | 'TERMINATED';

export interface Instance {
  id: string;
  accountId: string;
  imageId: string;
  region: string;
  name: string;
  state: InstanceState;
  createdAt: string;
  updatedAt: string;
  terminatedAt: string | null;
}
