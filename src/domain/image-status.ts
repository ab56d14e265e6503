// The image status machine (Glance's, G-Zed glance/domain Image.valid_state_targets). Every status change
// the services write goes through transition(); a change the table does not have is InvalidImageStatus.
import { fail, imageNotFound } from './errors.js';
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
  // pending_delete is the recycle bin (Glance's delayed delete): restored to the status it was binned from,
  // or purged for good (deleted) once its retention ends.
  active: ['pending_delete', 'deleted', 'deactivated', 'killed'],
  killed: ['deleted'],
  pending_delete: ['deleted', 'active', 'deactivated'],
  deleted: [],
  deactivated: ['active', 'deleted', 'killed', 'pending_delete'],
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

// ---- Lifecycle (issue 12): the recycle bin, deprecation, disabling ----

const DAY_MS = 24 * 3600 * 1000;

/** The statuses whose images a delete moves to the recycle bin; others (no usable data) are deleted at once. */
export const RECYCLABLE_STATUSES: readonly ImageStatus[] = ['active', 'deactivated'];

/**
 * Where a delete sends an image: to the recycle bin for `recycleBinDays` (> 0, and an image with data worth
 * keeping), else away at once. The bin is status "pending_delete" (Glance's delayed delete); `purgeAfter` is
 * the instant from which it is gone for good.
 */
export function deleteOutcome(
  image: { status: ImageStatus },
  recycleBinDays: number,
  now: string,
): { to: 'pending_delete'; purgeAfter: string } | { to: 'deleted' } {
  if (recycleBinDays > 0 && RECYCLABLE_STATUSES.includes(image.status)) {
    return {
      to: 'pending_delete',
      purgeAfter: new Date(Date.parse(now) + recycleBinDays * DAY_MS).toISOString(),
    };
  }
  return { to: 'deleted' };
}

/** A binned image's retention has ended: from `purgeAfter` on it is purged, and nobody can restore it. */
export function isPurgeDue(image: { purgeAfter: string | null }, now: string): boolean {
  return image.purgeAfter !== null && now >= image.purgeAfter;
}

/**
 * Restoring from the recycle bin: only an image in the bin whose retention has not ended; anything else is
 * "not found" (a purged image is gone, whether or not the periodic purge has come by yet). Returns the
 * status it goes back to.
 */
export function restoreTarget(
  image: { id: string; status: ImageStatus; purgeAfter: string | null; binnedFrom: string | null },
  now: string,
): ImageStatus {
  if (image.status !== 'pending_delete' || isPurgeDue(image, now)) throw imageNotFound(image.id);
  const back = RECYCLABLE_STATUSES.find((s) => s === image.binnedFrom) ?? 'active';
  return transition(image, back);
}

/** How far ahead an obsolescence date may be set (bounded input: about ten years). */
const MAX_OBSOLETE_AHEAD_MS = 10 * 366 * DAY_MS;

/**
 * The date after which new launches of a deprecated image are refused, as the one stored form, or null for
 * none. ISO-8601 with a zone; in the future (a date already past would refuse launches at once: say so by
 * disabling instead) and at most about ten years ahead.
 */
export function parseObsoleteAt(value: string | null | undefined, now: string): string | null {
  if (value === null || value === undefined) return null;
  const shaped = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(value);
  const ms = shaped ? Date.parse(value) : NaN;
  const field = { field: 'obsolete_at' };
  if (Number.isNaN(ms)) {
    throw fail(
      'InvalidInput',
      'obsolete_at must be an ISO-8601 date and time with a zone, e.g. 2027-01-31T18:00:00Z.',
      field,
    );
  }
  const nowMs = Date.parse(now);
  if (ms <= nowMs) throw fail('InvalidInput', 'obsolete_at must be in the future.', field);
  if (ms - nowMs > MAX_OBSOLETE_AHEAD_MS) {
    throw fail('InvalidInput', 'obsolete_at may be at most ten years ahead.', field);
  }
  return new Date(ms).toISOString();
}

/**
 * A deprecated image's replacement: another image that its owner sees in the image's own region (the
 * caller's view of it is `replacementVisible`); an image it may not see is "not found", as everywhere.
 */
export function assertValidReplacement(
  imageId: string,
  replacementId: string,
  replacementVisible: boolean,
): void {
  if (replacementId === imageId) {
    throw fail('InvalidInput', `An image cannot replace itself: choose another image than ${imageId}.`, {
      field: 'replacement',
    });
  }
  if (!replacementVisible) {
    throw fail(
      'InvalidInput',
      `Replacement image ${replacementId} was not found in this region: it must be an image you can see ` +
        `in the region of ${imageId}.`,
      { field: 'replacement' },
    );
  }
}

/**
 * A deprecated image past its obsolescence date launches no new instance, for anyone (instances launched
 * before stay untouched): the owner's date, compared with the service's clock.
 */
export function assertNotObsolete(
  image: { id: string; obsoleteAt: string | null; replacementImageId: string | null },
  now: string,
): void {
  if (image.obsoleteAt === null || now < image.obsoleteAt) return;
  const instead = image.replacementImageId ? `: launch its replacement ${image.replacementImageId}` : '';
  throw fail(
    'InvalidImageStatus',
    `Image ${image.id} is deprecated and no longer launches new instances since ${image.obsoleteAt}${instead}.`,
    { imageId: image.id, obsoleteAt: image.obsoleteAt, reason: 'obsolete' },
  );
}
