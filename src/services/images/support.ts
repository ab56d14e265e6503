// What the image use cases share: their dependencies, and the steps more than one of them takes.
import type { Config } from '../../config.js';
import { fail } from '../../domain/errors.js';
import { newImageId } from '../../domain/ids.js';
import { assertWithinImageQuota } from '../../domain/sharing.js';
import type { Image } from '../../domain/types.js';
import type { BlobStore } from '../../repositories/blob/blob-store.js';
import type { ImageRow } from '../../repositories/db/schema.js';
import type { ImageStore, ImageStores, ImageUnitOfWork } from '../../repositories/image-stores.js';
import type { RequestContext } from '../context.js';
import type { Clock } from '../clock.js';
import { loadImageFor } from '../image-access.js';

export interface ImageUseCaseDeps {
  store: ImageUnitOfWork;
  blobs: BlobStore;
  config: Config;
  /** The sharing rules' "now" (a share past its end grants nothing). */
  clock: Clock;
}

export async function hydrateOne(stores: ImageStores, row: ImageRow): Promise<Image> {
  return (await stores.images.hydrate([row]))[0] as Image;
}

/** The image as the caller may read it at `now`, or ImageNotFound. */
export async function readImage(
  stores: ImageStores,
  ctx: RequestContext,
  id: string,
  now: string,
): Promise<Image> {
  return hydrateOne(stores, (await loadImageFor(stores, ctx, id, 'read', { now })).row);
}

export async function freshImageId(images: ImageStore): Promise<string> {
  // 36^8 IDs; a collision (with a live or deleted image) is rare, so a few tries always suffice.
  for (let i = 0; i < 10; i++) {
    const id = newImageId();
    if (!(await images.idExists(id))) return id;
  }
  throw new Error('could not allocate an image ID');
}

/**
 * Rule 6 inside a transaction that adds images to `ownerId`: locks each region's count (in one order, so
 * two batches cannot deadlock) and checks the quota before anything is written.
 */
export async function reserveImageQuota(
  images: ImageStore,
  ownerId: string,
  regions: string[],
  quota: number,
): Promise<void> {
  const adding = new Map<string, number>();
  for (const region of regions) adding.set(region, (adding.get(region) ?? 0) + 1);
  for (const region of [...adding.keys()].sort()) {
    await images.lockOwnerRegion(ownerId, region);
    assertWithinImageQuota(await images.countOwned(ownerId, region), adding.get(region) as number, quota);
  }
}

export function assertPerImageLimits(limits: Config['images'], properties: number, tags: number): void {
  if (properties > limits.maxPropertiesPerImage) {
    throw fail('QuotaExceeded', `An image may have at most ${limits.maxPropertiesPerImage} properties.`);
  }
  if (tags > limits.maxTagsPerImage) {
    throw fail('QuotaExceeded', `An image may have at most ${limits.maxTagsPerImage} tags.`);
  }
}

/**
 * Removes data whose image is gone or was never written (committed or rolled back). A failure here must not
 * turn the request into an error: it leaves an orphan file, which wastes space but never serves data.
 */
export async function deleteBlobQuietly(blobs: BlobStore, key: string): Promise<void> {
  try {
    await blobs.delete(key);
  } catch {
    // Nothing to tell the caller: the outcome stands either way.
  }
}

export function dedupe(values: string[]): string[] {
  return [...new Set(values)];
}
