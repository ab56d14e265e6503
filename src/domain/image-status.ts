// The image status machine (Glance's, G-Zed glance/domain Image.valid_state_targets).
import { fail } from './errors.js';
import type { ImageStatus } from './types.js';

const transitions: Record<ImageStatus, readonly ImageStatus[]> = {
  queued: ['saving', 'uploading', 'importing', 'active', 'deleted'],
  saving: ['active', 'killed', 'deleted', 'queued'],
  uploading: ['importing', 'queued', 'deleted'],
  importing: ['active', 'deleted', 'queued'],
  active: ['pending_delete', 'deleted', 'deactivated'],
  killed: ['deleted'],
  pending_delete: ['deleted', 'active'],
  deleted: [],
  deactivated: ['active', 'deleted'],
};

export function canTransition(from: ImageStatus, to: ImageStatus): boolean {
  return transitions[from].includes(to);
}

/**
 * Data can be uploaded only once, to a queued image that has both formats set, or to one whose upload was
 * abandoned: "saving" with a heartbeat older than `staleAfterMs` (the node that held it died mid-upload).
 */
export function assertUploadable(
  image: {
    id: string;
    status: ImageStatus;
    diskFormat: string | null;
    containerFormat: string | null;
    uploadHeartbeatAt: string | null;
  },
  now: Date,
  staleAfterMs: number,
): void {
  const abandoned =
    image.status === 'saving' &&
    (image.uploadHeartbeatAt === null || now.getTime() - Date.parse(image.uploadHeartbeatAt) > staleAfterMs);
  if (image.status !== 'queued' && !abandoned) {
    throw fail(
      'InvalidImageStatus',
      `Image ${image.id} is "${image.status}": data can only be uploaded to a queued image.`,
    );
  }
  if (!image.diskFormat || !image.containerFormat) {
    throw fail('InvalidInput', 'Properties disk_format, container_format must be set prior to saving data.');
  }
}

export function assertMayDeactivate(image: { status: ImageStatus }): void {
  if (image.status !== 'active' && image.status !== 'deactivated') {
    throw fail('Forbidden', `Not allowed to deactivate image in status '${image.status}'`);
  }
}

export function assertMayReactivate(image: { status: ImageStatus }): void {
  if (image.status !== 'active' && image.status !== 'deactivated') {
    throw fail('Forbidden', `Not allowed to reactivate image in status '${image.status}'`);
  }
}
