// The image status machine (Glance's, G-Zed glance/domain Image.valid_state_targets). Every status change
// the services write goes through transition(); a change the table does not have is InvalidImageStatus.
import { fail } from './errors.js';
import type { ImageStatus } from './types.js';

const transitions: Record<ImageStatus, readonly ImageStatus[]> = {
  queued: ['saving', 'uploading', 'importing', 'active', 'deleted'],
  // saving -> saving: another upload takes over one abandoned mid-way (see assertUploadable); Glance has
  // no heartbeats, so no such edge.
  saving: ['active', 'killed', 'deleted', 'queued', 'saving'],
  uploading: ['importing', 'queued', 'deleted'],
  importing: ['active', 'deleted', 'queued'],
  // active/deactivated -> killed: `imageshare images verify --mark` found the stored data changed or gone;
  // not in Glance (whose "killed" is only a failed upload), but it means the same: no usable data.
  active: ['pending_delete', 'deleted', 'deactivated', 'killed'],
  killed: ['deleted'],
  pending_delete: ['deleted', 'active'],
  deleted: [],
  deactivated: ['active', 'deleted', 'killed'],
};

/** Every image starts here: created, with no data yet. */
export const INITIAL_STATUS: ImageStatus = 'queued';

export function canTransition(from: ImageStatus, to: ImageStatus): boolean {
  return transitions[from].includes(to);
}

/** The status `image` may move to: `to` itself, or InvalidImageStatus when the table has no such edge. */
export function transition(image: { id: string; status: ImageStatus }, to: ImageStatus): ImageStatus {
  if (!canTransition(image.status, to)) {
    throw fail(
      'InvalidImageStatus',
      `Image ${image.id} cannot go from status "${image.status}" to "${to}".`,
      { from: image.status, to },
    );
  }
  return to;
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

/**
 * Deactivation, as in Glance: only an active or a deactivated image is deactivated or reactivated (anything
 * else is Forbidden, Glance's answer); repeating either is a no-op.
 */
export function assertMaySwitchActivation(
  image: { status: ImageStatus },
  action: 'deactivate' | 'reactivate',
): void {
  if (image.status !== 'active' && image.status !== 'deactivated') {
    throw fail('Forbidden', `Not allowed to ${action} image in status '${image.status}'`);
  }
}
