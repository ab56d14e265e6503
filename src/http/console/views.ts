// Domain objects -> the console's JSON views (schemas.ts). No rules here, only shapes.
import type { HistoryEntry } from '../../domain/history.js';
import type { Account, Image, Instance } from '../../domain/types.js';
import type { Membership } from '../../domain/visibility.js';
import type { ApiKeyInfo } from '../../services/api-key.service.js';
import type { HistoryEntryViewT, ImageViewT, InstanceViewT } from './schemas.js';

export function accountView(account: Account) {
  return { id: account.id, name: account.name, isAdmin: account.isAdmin, createdAt: account.createdAt };
}

export function apiKeyView(key: ApiKeyInfo) {
  return { secretId: key.secretId, enabled: key.status === 'enabled', createdAt: key.createdAt };
}

export function imageView(
  image: Image,
  callerId: string,
  extras: { shareCount: number | null; share: Membership | null },
): ImageViewT {
  return {
    id: image.id,
    name: image.name,
    description: image.description,
    status: image.status,
    size: image.size,
    diskFormat: image.diskFormat,
    containerFormat: image.containerFormat,
    visibility: image.visibility,
    region: image.region,
    ownerId: image.ownerId,
    createdAt: image.createdAt,
    updatedAt: image.updatedAt,
    checksum: image.checksum,
    sha512: image.osHashAlgo === 'sha512' ? image.osHashValue : null,
    shareCount: extras.shareCount,
    shareStatus: extras.share?.status ?? null,
    // The receiver sees the share's end time and what it may do (the owner sees them in its panel).
    shareExpiresAt: extras.share?.expiresAt ?? null,
    shareAccess: extras.share?.access ?? null,
    isOwner: image.ownerId === callerId,
    deprecatedAt: image.lifecycle.deprecatedAt,
    replacementImageId: image.lifecycle.replacementImageId,
    obsoleteAt: image.lifecycle.obsoleteAt,
    disabled: image.lifecycle.disabledAt !== null,
    protected: image.protected,
    deletedAt: image.lifecycle.deletedAt,
    purgeAfter: image.lifecycle.purgeAfter,
  };
}

export function instanceView(instance: Instance, imageName: string | null): InstanceViewT {
  return {
    id: instance.id,
    name: instance.name,
    imageId: instance.imageId,
    imageName,
    region: instance.region,
    state: instance.state,
    createdAt: instance.createdAt,
    terminatedAt: instance.terminatedAt,
  };
}

export function historyView(entry: HistoryEntry): HistoryEntryViewT {
  return {
    id: entry.id,
    at: entry.at,
    action: entry.action,
    imageId: entry.imageId,
    imageName: entry.imageName,
    ownerId: entry.ownerId,
    actorId: entry.actorId,
    targetAccountId: entry.targetAccountId,
    surface: entry.surface,
    region: entry.region,
    details: entry.details,
  };
}
