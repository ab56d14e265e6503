// Copies: Tencent SyncImages (an owner copies to other regions; a receiver copies a shared image into its
// own image) and CreateImage from an instance (a new image with the data the instance was launched from).
import { fail } from '../../domain/errors.js';
import { assertDescription, assertName } from '../../domain/image-fields.js';
import { nowIso } from '../../domain/ids.js';
import { INITIAL_STATUS, transition } from '../../domain/image-status.js';
import { assertCopyTarget, assertUsable } from '../../domain/sharing.js';
import type { Image } from '../../domain/types.js';
import type { RequestContext } from '../context.js';
import { loadImageFor, rowFacts } from '../image-access.js';
import {
  deleteBlobQuietly,
  freshImageId,
  hydrateOne,
  readImage,
  reserveImageQuota,
  type ImageUseCaseDeps,
} from './support.js';

export class ImageCopies {
  constructor(private readonly deps: ImageUseCaseDeps) {}

  /**
   * Copies an image into a new image of the caller's own (Tencent SyncImages): an owner copies to other
   * regions (to share there: rule 7); a receiver copies a shared image into its own image, in the image's
   * region only. A copy carries no shares and counts against the caller's quota in the target region.
   */
  async copy(
    ctx: RequestContext,
    id: string,
    targetRegion: string,
    options: { name?: string } = {},
  ): Promise<Image> {
    return (await this.copyMany(ctx, [id], [targetRegion], options))[0] as Image;
  }

  /**
   * Copies every image to every target region, or nothing: all pairs are checked first, then the data is
   * copied, then all new images are written in one transaction under the quota locks. With `dryRun` only
   * the checks run.
   */
  async copyMany(
    ctx: RequestContext,
    ids: string[],
    targetRegions: string[],
    options: { name?: string; dryRun?: boolean } = {},
  ): Promise<Image[]> {
    const regions = [...new Set(targetRegions)];
    for (const region of regions) {
      if (!this.deps.config.regions.includes(region)) {
        throw fail('RegionNotFound', `Region ${region} does not exist.`, { region });
      }
    }
    if (options.name !== undefined) assertName(options.name);
    const stores = this.deps.store.stores;
    const sources: Image[] = [];
    for (const id of [...new Set(ids)]) {
      const { row } = await loadImageFor(stores, ctx, id, 'copy');
      assertUsable({ id, status: row.status as Image['status'] });
      for (const region of regions) assertCopyTarget(rowFacts(row), ctx.caller, region);
      sources.push(await hydrateOne(stores, row));
    }
    if (options.dryRun) return [];
    const plans = sources.flatMap((source) =>
      regions.map((region) => ({ source, region, name: options.name ?? source.name })),
    );
    return this.createCopies(ctx.caller.accountId, plans);
  }

  /** Tencent CreateImage from an instance: a new image with the data of the image it was launched from. */
  async createFromInstance(
    ctx: RequestContext,
    instanceId: string,
    options: { name: string; description?: string },
  ): Promise<Image> {
    assertName(options.name);
    assertDescription(options.description ?? null);
    const stores = this.deps.store.stores;
    const instance = await stores.instances.find(instanceId, ctx.caller.accountId, ctx.region);
    if (!instance || instance.state === 'TERMINATED') {
      throw fail('InstanceNotFound', `Instance ${instanceId} does not exist.`, { instanceId });
    }
    // The caller must still be allowed to copy the image the instance came from: once its owner cancels
    // the share (or makes it private), the data is out of reach through instances too.
    const { row } = await loadImageFor(stores, ctx, instance.imageId, 'copy');
    if (row.status !== 'active' || !row.blob_key) {
      throw fail(
        'InvalidImageStatus',
        `The image instance ${instanceId} was launched from is no longer available.`,
      );
    }
    const source = await hydrateOne(stores, row);
    const [copy] = await this.createCopies(ctx.caller.accountId, [
      { source, region: ctx.region, name: options.name },
    ]);
    if (!copy) throw new Error('copy was not created');
    if (options.description !== undefined) {
      await stores.images.update(copy.id, { description: options.description });
      copy.description = options.description;
    }
    return copy;
  }

  /**
   * Writes new images owned by `ownerId` as copies of their sources (data copied first, outside the
   * transaction), all or none: any failure removes the data copied so far.
   */
  private async createCopies(
    ownerId: string,
    plans: Array<{ source: Image; region: string; name: string | null }>,
  ): Promise<Image[]> {
    const { store, blobs, config } = this.deps;
    const blobKeys: Array<string | null> = [];
    try {
      for (const { source } of plans) {
        blobKeys.push(source.blobKey ? await blobs.copy(source.blobKey, 'copy') : null);
      }
      const created = await store.transaction(async (stores) => {
        await reserveImageQuota(
          stores.images,
          ownerId,
          plans.map((plan) => plan.region),
          config.images.quotaPerRegion,
        );
        const out: Array<{ id: string; region: string }> = [];
        for (const [i, { source, region, name }] of plans.entries()) {
          const id = await freshImageId(stores.images);
          const now = nowIso();
          await stores.images.insert({
            id,
            owner_id: ownerId,
            region,
            name,
            description: source.description,
            // Created with its data in place, so queued -> active at once (as a Glance image from a location).
            status: transition({ id, status: INITIAL_STATUS }, 'active'),
            // The copy is the caller's own; it starts unshared.
            visibility: source.visibility === 'public' ? 'shared' : source.visibility,
            protected: 0,
            os_hidden: 0,
            size: source.size,
            virtual_size: source.virtualSize,
            checksum: source.checksum,
            os_hash_algo: source.osHashAlgo,
            os_hash_value: source.osHashValue,
            disk_format: source.diskFormat,
            container_format: source.containerFormat,
            min_disk: source.minDisk,
            min_ram: source.minRam,
            blob_key: blobKeys[i] ?? null,
            source_image_id: source.id,
            created_at: now,
            updated_at: now,
            deleted_at: null,
          });
          await stores.images.replaceTags(id, source.tags);
          await stores.images.setProperties(id, source.properties);
          out.push({ id, region });
        }
        return out;
      });
      const caller = { accountId: ownerId, isAdmin: false };
      return Promise.all(created.map(({ id, region }) => readImage(store.stores, { caller, region }, id)));
    } catch (err) {
      for (const key of blobKeys) if (key) await deleteBlobQuietly(blobs, key);
      throw err;
    }
  }
}
