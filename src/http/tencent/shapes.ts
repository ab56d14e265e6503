// How our model looks in Tencent's APIs: image types and states, times, field formats. Shared by API 3.0 and
// the legacy v2 actions.
import type { Image, ImageStatus } from '../../domain/types.js';
import type { ImageKind } from '../../domain/visibility.js';

export type TencentImageType = 'PRIVATE_IMAGE' | 'PUBLIC_IMAGE' | 'SHARED_IMAGE';

/**
 * The image kinds Tencent lists. Other accounts' community images have no Tencent type: listing them as
 * PUBLIC_IMAGE would pass any account's image off as the cloud's own (issue 11), so Tencent never lists them.
 */
export type TencentKind = Exclude<ImageKind, 'community'>;

/** Tencent's image types are our image kinds (domain/visibility.ts decides each image's kind). */
export const IMAGE_TYPE_OF_KIND: Readonly<Record<TencentKind, TencentImageType>> = {
  own: 'PRIVATE_IMAGE',
  public: 'PUBLIC_IMAGE',
  shared: 'SHARED_IMAGE',
};

/** The image kind behind a Tencent image type; undefined for an unknown type. */
export function kindOfImageType(type: string): TencentKind | undefined {
  return (Object.keys(IMAGE_TYPE_OF_KIND) as TencentKind[]).find((kind) => IMAGE_TYPE_OF_KIND[kind] === type);
}

/** Tencent ImageState of each status (deleted images are never listed). */
const STATES: Record<ImageStatus, string> = {
  queued: 'CREATING',
  saving: 'CREATING',
  uploading: 'CREATING',
  importing: 'IMPORTING',
  active: 'NORMAL',
  killed: 'CREATEFAILED',
  deactivated: 'DEACTIVATED',
  pending_delete: 'DELETING',
  deleted: 'DELETED',
};

export function imageState(status: ImageStatus): string {
  return STATES[status];
}

/** The statuses behind a Tencent ImageState filter value; undefined for an unknown value. */
export function statusesForState(state: string): ImageStatus[] | undefined {
  const known = ['NORMAL', 'CREATING', 'CREATEFAILED', 'SYNCING', 'IMPORTING', 'IMPORTFAILED', 'DEACTIVATED'];
  if (!known.includes(state)) return undefined;
  return (Object.keys(STATES) as ImageStatus[]).filter((s) => STATES[s] === state);
}

/** `2018-06-10T11:02:50Z`: ISO 8601 UTC without milliseconds, as Tencent writes times. */
export function tencentTime(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

/**
 * An instant that must stay exact (a share's end time, which decides access to the millisecond): Tencent's
 * format when it falls on a whole second, else with its milliseconds (`2027-01-31T18:00:00.250Z`, still
 * ISO 8601), so that a client sending it back (or comparing with it) means the same instant.
 */
export function tencentInstant(iso: string): string {
  return iso.replace(/\.000Z$/, 'Z');
}

/** The legacy API's form of an exact instant: `2027-01-31 18:00:00`, or `2027-01-31 18:00:00.250`. */
export function legacyInstant(iso: string): string {
  return tencentInstant(iso).replace('T', ' ').replace('Z', '');
}

/** `2016-01-13 15:16:53`: the legacy API's time format (UTC here). */
export function legacyTime(iso: string): string {
  return tencentTime(iso).replace('T', ' ').replace('Z', '');
}

const GIB = 1024 ** 3;

/** The API 3.0 `Image` structure (spec §2.7), of an image listed as `kind`. */
export function imageShape(image: Image, kind: TencentKind): Record<string, unknown> {
  const type = IMAGE_TYPE_OF_KIND[kind];
  return {
    ImageId: image.id,
    OsName: image.properties.os_name ?? image.properties.os_distro ?? '',
    ImageType: type,
    CreatedTime: tencentTime(image.createdAt),
    ImageName: image.name ?? '',
    ImageDescription: image.description ?? '',
    ImageSize: image.size === null ? 0 : Math.max(1, Math.ceil(image.size / GIB)),
    Architecture: image.properties.architecture ?? 'x86_64',
    ImageState: imageState(image.status),
    Platform: image.properties.os_distro ?? '',
    ImageCreator: image.ownerId,
    // Only the operator publishes images (visibility public needs an admin), so only they are OFFICIAL.
    ImageSource:
      type === 'PUBLIC_IMAGE' ? 'OFFICIAL' : image.sourceImageId ? 'CREATE_IMAGE' : 'EXTERNAL_IMPORT',
    SyncPercent: null,
    IsSupportCloudinit: true,
    SnapshotSet: [],
    Tags: image.tags.map((tag) => ({ Key: tag, Value: '' })),
    LicenseType: 'TencentCloud',
    // Tencent's field: the owner deprecated the image (replacement and date: OpenStack and console only).
    ImageDeprecated: image.lifecycle.deprecatedAt !== null,
  };
}
