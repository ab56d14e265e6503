// Copies: Tencent SyncImages (an owner copies to other regions; a receiver copies a shared image into its
// own image) and CreateImage from an instance (a new image with the data the instance was launched from).
import { fail } from '../../domain/errors.js';
import { assertDescription, assertName } from '../../domain/image-fields.js';
import { INITIAL_STATUS, transition } from '../../domain/image-status.js';
import { DEFAULT_VISIBILITY, assertCopyTarget, assertUsable } from '../../domain/sharing.js';
import type { Image } from '../../domain/types.js';
import type { ImageRow } from '../../repositories/db/schema.js';
import type { ImageStores } from '../../repositories/image-stores.js';
import type { RequestContext } from '../context.js';
import { recordHistory } from '../history.js';
import { loadImageFor, rowFacts } from '../image-access.js';
import { isoNow } from '../clock.js';
import {
  deleteBlobQuietly,
  freshImageId,
  hydrateOne,
  readImage,
  reserveImageQuota,
  type ImageUseCaseDeps,
} from './support.js';

/** One new image to write: a copy of `source` in `region`. */
interface CopyPlan {
  source: Image;
  region: string;
  name: string | null;
  description: string | null;
}

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
   * copied, then all new images are written in one transaction under the quota locks, after checking the
   * pairs again there under the images' row locks. With `dryRun` only the checks run.
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
    const mayCopy = async (stores: ImageStores, id: string, lock: boolean): Promise<ImageRow> => {
      const { row } = await loadImageFor(stores, ctx, id, 'copy', { lock, now: isoNow(this.deps.clock) });
      assertUsable(rowFacts(row));
      for (const region of regions) assertCopyTarget(rowFacts(row), ctx.caller, region);
      return row;
    };
    const unique = [...new Set(ids)];
    const stores = this.deps.store.stores;
    const sources: Image[] = [];
    for (const id of unique) sources.push(await hydrateOne(stores, await mayCopy(stores, id, false)));
    if (options.dryRun) return [];
    const plans = sources.flatMap((source) =>
      regions.map((region) => ({
        source,
        region,
        name: options.name ?? source.name,
        description: source.description,
      })),
    );
    return this.createCopies(ctx, plans, async (trx) => {
      // Rows locked in one order, so two batches over the same images cannot deadlock.
      for (const id of [...unique].sort()) await mayCopy(trx, id, true);
    });
  }

  /** Tencent CreateImage from an instance: a new image with the data of the image it was launched from. */
  async createFromInstance(
    ctx: RequestContext,
    instanceId: string,
    options: { name: string; description?: string },
  ): Promise<Image> {
    assertName(options.name);
    assertDescription(options.description ?? null);
    // The caller must still be allowed to copy the image the instance came from: once its owner cancels
    // the share (or makes it private), the data is out of reach through instances too.
    const mayCapture = async (stores: ImageStores, lock: boolean): Promise<ImageRow> => {
      const instance = await stores.instances.find(instanceId, ctx.caller.accountId, ctx.region);
      if (!instance || instance.state === 'TERMINATED') {
        throw fail('InstanceNotFound', `Instance ${instanceId} does not exist.`, { instanceId });
      }
      const { row } = await loadImageFor(stores, ctx, instance.imageId, 'copy', {
        lock,
        now: isoNow(this.deps.clock),
      });
      if (row.status !== 'active' || !row.blob_key) {
        throw fail(
          'InvalidImageStatus',
          `The image instance ${instanceId} was launched from is no longer available.`,
        );
      }
      return row;
    };
    const stores = this.deps.store.stores;
    const source = await hydrateOne(stores, await mayCapture(stores, false));
    const plan = {
      source,
      region: ctx.region,
      name: options.name,
      description: options.description ?? source.description,
    };
    const [copy] = await this.createCopies(
      ctx,
      [plan],
      async (trx) => {
        await mayCapture(trx, true);
      },
      { instanceId },
    );
    if (!copy) throw new Error('copy was not created');
    return copy;
  }

  /**
   * Writes new images owned by `ownerId` as copies of their sources (data copied first, outside the
   * transaction), all or none: any failure removes the data copied so far. `recheck` runs first in the
   * transaction: the right to copy is decided there, under the sources' row locks, so a share cancelled
   * while the data was being copied stops the copy.
   */
  private async createCopies(
    ctx: RequestContext,
    plans: CopyPlan[],
    recheck: (stores: ImageStores) => Promise<void>,
    from: { instanceId?: string } = {},
  ): Promise<Image[]> {
    const ownerId = ctx.caller.accountId;
    const { store, blobs, config } = this.deps;
    const blobKeys: Array<string | null> = [];
    try {
      for (const { source } of plans) {
        blobKeys.push(source.blobKey ? await blobs.copy(source.blobKey, 'copy') : null);
      }
      const created = await store.transaction(async (stores) => {
        await recheck(stores);
        await reserveImageQuota(
          stores.images,
          ownerId,
          plans.map((plan) => plan.region),
          config.images.quotaPerRegion,
        );
        const out: Array<{ id: string; region: string }> = [];
        for (const [i, { source, region, name, description }] of plans.entries()) {
          const id = await freshImageId(stores.images);
          const now = isoNow(this.deps.clock);
          await stores.images.insert({
            id,
            owner_id: ownerId,
            region,
            name,
            description,
            // Created with its data in place, so queued -> active at once (as a Glance image from a location).
            status: transition({ id, status: INITIAL_STATUS }, 'active'),
            // The copy is the caller's own and a new image: it starts unshared, as any new image does.
            visibility: DEFAULT_VISIBILITY,
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
          await recordHistory(
            stores,
            ctx,
            'copy',
            { id, name, owner_id: ownerId, region },
            {
              details: {
                sourceImageId: source.id,
                sourceOwnerId: source.ownerId,
                sourceRegion: source.region,
                ...(from.instanceId ? { instanceId: from.instanceId } : {}),
              },
              at: now,
            },
          );
          out.push({ id, region });
        }
        return out;
      });
      const caller = { accountId: ownerId, isAdmin: false };
      return Promise.all(
        created.map(({ id, region }) =>
          readImage(store.stores, { ...ctx, caller, region }, id, isoNow(this.deps.clock)),
        ),
      );
    } catch (err) {
      for (const key of blobKeys) if (key) await deleteBlobQuietly(blobs, key);
      throw err;
    }
  }
}
