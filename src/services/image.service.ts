// Image use cases. Every method reads the image, checks access (domain/access.ts) first, then the rules,
// then writes through the repositories in one transaction. Image data moves outside transactions.
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Config } from '../config.js';
import type { ImageAction } from '../domain/access.js';
import { fail } from '../domain/errors.js';
import {
  assertContainerFormat,
  assertDescription,
  assertDiskFormat,
  assertName,
  assertNonNegativeInt,
  assertOwnerId,
  assertProperty,
  assertTag,
  assertVisibility,
} from '../domain/image-fields.js';
import { assertMayDeactivate, assertMayReactivate, assertUploadable } from '../domain/image-status.js';
import { isImageId, newImageId, nowIso } from '../domain/ids.js';
import {
  assertCopyTarget,
  assertMayDelete,
  assertUsable,
  assertWithinImageQuota,
} from '../domain/sharing.js';
import type { Image, MemberStatus, Visibility } from '../domain/types.js';
import type { BlobRange, BlobStore } from '../repositories/blob/blob-store.js';
import type { Db } from '../repositories/db/database.js';
import type { ImageFilters, ListScope, SortDir, SortKey } from '../repositories/db/image.repository.js';
import type { ImageRow } from '../repositories/db/schema.js';
import { imageRepositories, inTransaction, type ImageRepositories } from '../repositories/db/transaction.js';
import type { RequestContext } from './context.js';
import { findVisibleImage, loadImageFor, rowFacts } from './image-access.js';

/** The fields a client sets on an image, at creation and in later changes. */
interface ImageFields {
  name?: string | null;
  description?: string | null;
  visibility?: Visibility;
  protected?: boolean;
  osHidden?: boolean;
  diskFormat?: string | null;
  containerFormat?: string | null;
  minDisk?: number;
  minRam?: number;
  /** Admins only: an owner other than the caller. */
  ownerId?: string;
  tags?: string[];
}

export interface NewImageInput extends ImageFields {
  /** Admins only: a chosen ID, of our form and never used before. */
  id?: string;
  properties?: Record<string, string>;
}

/** A change to an image; absent fields stay as they are. */
export interface ImagePatch extends ImageFields {
  setProperties?: Record<string, string>;
  removeProperties?: string[];
}

export interface ImageListQuery {
  limit: number;
  /** ID of the last image of the previous page. */
  marker?: string;
  sort: Array<{ key: SortKey; dir: SortDir }>;
  visibility?: Visibility | 'all';
  memberStatus: MemberStatus | 'all';
  filters: ImageFilters;
}

export interface ImagePage {
  images: Image[];
  /** True when the page is full, so a next page may exist (Glance then sends a `next` link). */
  full: boolean;
}

export type ImageKind = 'own' | 'shared' | 'public';

export interface DescribeQuery {
  kinds: ImageKind[];
  filters: ImageFilters;
  offset: number;
  limit: number;
}

export interface ImageData {
  image: Image;
  /** Null when the image has no data yet. */
  stream: Readable | null;
  /** Byte range served, when a range was asked for. */
  range?: BlobRange;
}

const ALL_MEMBER_STATUSES: MemberStatus[] = ['pending', 'accepted', 'rejected'];

/** Deepest Offset Tencent's DescribeImages may ask for (see describe()). */
export const MAX_DESCRIBE_OFFSET = 10_000;

export class ImageService {
  constructor(
    private readonly db: Db,
    private readonly blobs: BlobStore,
    private readonly config: Config,
  ) {}

  private get repos(): ImageRepositories {
    return imageRepositories(this.db.kysely, this.db.dialect);
  }

  /** Loads an image the caller may see, or throws ImageNotFound; then checks `action`. */
  private async load(
    repos: ImageRepositories,
    ctx: RequestContext,
    id: string,
    action: ImageAction,
    options: { lock?: boolean } = {},
  ): Promise<ImageRow> {
    return (await loadImageFor(repos, ctx, id, action, options)).row;
  }

  private async hydrateOne(repos: ImageRepositories, row: ImageRow): Promise<Image> {
    return (await repos.images.hydrate([row]))[0] as Image;
  }

  async get(ctx: RequestContext, id: string): Promise<Image> {
    const repos = this.repos;
    return this.hydrateOne(repos, await this.load(repos, ctx, id, 'read'));
  }

  /** Whether the caller may see the image at all (used by surfaces that must answer 404 before anything). */
  async isVisible(ctx: RequestContext, id: string): Promise<boolean> {
    return (await findVisibleImage(this.repos, ctx, id)) !== undefined;
  }

  async create(ctx: RequestContext, input: NewImageInput): Promise<Image> {
    const ownerId = input.ownerId ?? ctx.caller.accountId;
    if (ownerId !== ctx.caller.accountId && !ctx.caller.isAdmin) {
      throw fail('Forbidden', `You are not permitted to create images owned by '${ownerId}'.`);
    }
    assertOwnerId(ownerId);
    const visibility = input.visibility ?? 'shared';
    assertVisibility(visibility);
    if (visibility === 'public' && !ctx.caller.isAdmin) {
      throw fail('Forbidden', 'Only administrators may make an image public.');
    }
    const name = input.name ?? null;
    const description = input.description ?? null;
    assertName(name);
    assertDescription(description);
    assertDiskFormat(input.diskFormat ?? null);
    assertContainerFormat(input.containerFormat ?? null);
    assertNonNegativeInt(input.minDisk ?? 0, 'min_disk');
    assertNonNegativeInt(input.minRam ?? 0, 'min_ram');
    const tags = dedupe(input.tags ?? []);
    tags.forEach(assertTag);
    const properties = input.properties ?? {};
    for (const [key, value] of Object.entries(properties)) assertProperty(key, value);
    this.assertPerImageLimits(Object.keys(properties).length, tags.length);
    if (input.id !== undefined && !isImageId(input.id)) {
      throw fail('InvalidInput', `Image ID must look like img-xxxxxxxx (8 of a-z, 0-9), got "${input.id}"`);
    }
    // Choosing an ID is for administrators (migrations, restores): for anyone else "already exists" would
    // tell whether someone else's image, in any region, has that ID.
    if (input.id !== undefined && !ctx.caller.isAdmin) {
      throw fail('Forbidden', 'Only administrators may choose an image ID.');
    }

    const now = nowIso();
    const id = await inTransaction(this.db, async (repos) => {
      await repos.images.lockOwnerRegion(ownerId, ctx.region);
      assertWithinImageQuota(
        await repos.images.countOwned(ownerId, ctx.region),
        1,
        this.config.images.quotaPerRegion,
      );
      const id = input.id ?? (await this.freshImageId(repos));
      if (input.id !== undefined && (await repos.images.idExists(id))) {
        throw fail('Conflict', `Image ID ${id} already exists!`);
      }
      await repos.images.insert({
        id,
        owner_id: ownerId,
        region: ctx.region,
        name,
        description,
        status: 'queued',
        visibility,
        protected: input.protected ? 1 : 0,
        os_hidden: input.osHidden ? 1 : 0,
        size: null,
        virtual_size: null,
        checksum: null,
        os_hash_algo: null,
        os_hash_value: null,
        disk_format: input.diskFormat ?? null,
        container_format: input.containerFormat ?? null,
        min_disk: input.minDisk ?? 0,
        min_ram: input.minRam ?? 0,
        blob_key: null,
        source_image_id: null,
        created_at: now,
        updated_at: now,
        deleted_at: null,
      });
      await repos.images.replaceTags(id, tags);
      await repos.images.setProperties(id, properties);
      return id;
    });
    return this.get(ctx, id);
  }

  private async freshImageId(repos: ImageRepositories): Promise<string> {
    // 36^8 IDs; a collision (with a live or deleted image) is rare, so a few tries always suffice.
    for (let i = 0; i < 10; i++) {
      const id = newImageId();
      if (!(await repos.images.idExists(id))) return id;
    }
    throw new Error('could not allocate an image ID');
  }

  private assertPerImageLimits(properties: number, tags: number): void {
    if (properties > this.config.images.maxPropertiesPerImage) {
      throw fail(
        'QuotaExceeded',
        `An image may have at most ${this.config.images.maxPropertiesPerImage} properties.`,
      );
    }
    if (tags > this.config.images.maxTagsPerImage) {
      throw fail('QuotaExceeded', `An image may have at most ${this.config.images.maxTagsPerImage} tags.`);
    }
  }

  async list(ctx: RequestContext, query: ImageListQuery): Promise<ImagePage> {
    const repos = this.repos;
    let after: ImageRow | undefined;
    if (query.marker !== undefined) {
      // A marker the caller cannot see is treated like a missing one: no hint that it exists.
      after = await findVisibleImage(repos, ctx, query.marker);
      if (!after) throw fail('InvalidInput', `marker ${query.marker} could not be found.`);
    }
    const scope: ListScope = {
      accountId: ctx.caller.accountId,
      isAdmin: ctx.caller.isAdmin,
      region: ctx.region,
      visibility: query.visibility,
      memberStatuses: query.memberStatus === 'all' ? ALL_MEMBER_STATUSES : [query.memberStatus],
      include: { own: true, public: true, shared: true },
    };
    const rows = await repos.images.listPage(scope, query.filters, {
      sort: query.sort,
      limit: query.limit,
      after,
    });
    return { images: await repos.images.hydrate(rows), full: rows.length === query.limit && query.limit > 0 };
  }

  /**
   * Tencent's DescribeImages: own (PRIVATE_IMAGE), shared with me (SHARED_IMAGE: pending and accepted, not
   * rejected, as Tencent has no acceptance step) and public images, with offset paging and a total.
   */
  async describe(ctx: RequestContext, query: DescribeQuery): Promise<{ images: Image[]; total: number }> {
    // Offset paging reads Offset + Limit rows per branch; past this, narrow the filters instead.
    if (!Number.isInteger(query.offset) || query.offset < 0 || query.offset > MAX_DESCRIBE_OFFSET) {
      throw fail('InvalidInput', `Offset must be an integer from 0 to ${MAX_DESCRIBE_OFFSET}.`, {
        field: 'Offset',
      });
    }
    const repos = this.repos;
    const scope: ListScope = {
      accountId: ctx.caller.accountId,
      isAdmin: false, // Tencent's lists are per account, also for admins
      region: ctx.region,
      visibility: 'all',
      memberStatuses: ['pending', 'accepted'],
      include: {
        own: query.kinds.includes('own'),
        public: query.kinds.includes('public'),
        shared: query.kinds.includes('shared'),
      },
    };
    const [rows, total] = await Promise.all([
      repos.images.listPage(scope, query.filters, {
        sort: [{ key: 'created_at', dir: 'desc' }],
        limit: query.offset + query.limit,
      }),
      repos.images.count(scope, query.filters),
    ]);
    return { images: await repos.images.hydrate(rows.slice(query.offset)), total };
  }

  /**
   * Changes an image. `change` is either the patch itself, or a function that builds it from the image as
   * it is under the row lock (Glance's JSON patch: its add/replace/remove depend on the current
   * properties, and reading them outside the lock would let concurrent PATCHes lose updates).
   */
  async update(
    ctx: RequestContext,
    id: string,
    change: ImagePatch | ((current: Image) => ImagePatch),
  ): Promise<Image> {
    await inTransaction(this.db, async (repos) => {
      let row: ImageRow;
      let patch: ImagePatch;
      if (typeof change === 'function') {
        // Whatever the patch turns out to be, only an owner (or admin) may apply one.
        row = await this.load(repos, ctx, id, 'update', { lock: true });
        patch = change(await this.hydrateOne(repos, row));
      } else {
        patch = change;
        // A receiver renaming gets Tencent's own refusal; any other change is "not your image".
        const touchesOnlyNaming = Object.keys(patch).every((k) => k === 'name' || k === 'description');
        row = await this.load(repos, ctx, id, touchesOnlyNaming ? 'rename' : 'update', { lock: true });
      }
      const changes: Partial<ImageRow> = {};
      if (patch.name !== undefined) {
        assertName(patch.name);
        changes.name = patch.name;
      }
      if (patch.description !== undefined) {
        assertDescription(patch.description);
        changes.description = patch.description;
      }
      if (patch.visibility !== undefined) {
        assertVisibility(patch.visibility);
        if (patch.visibility === 'public' && !ctx.caller.isAdmin && row.visibility !== 'public') {
          throw fail('Forbidden', 'Only administrators may make an image public.');
        }
        changes.visibility = patch.visibility;
      }
      if (patch.protected !== undefined) changes.protected = patch.protected ? 1 : 0;
      if (patch.osHidden !== undefined) changes.os_hidden = patch.osHidden ? 1 : 0;
      for (const [field, column, check] of [
        ['diskFormat', 'disk_format', assertDiskFormat],
        ['containerFormat', 'container_format', assertContainerFormat],
      ] as const) {
        const value = patch[field];
        if (value === undefined || value === row[column]) continue;
        check(value);
        if (row.status !== 'queued') {
          throw fail('Forbidden', `Attribute ${column} can be only replaced for a queued image.`);
        }
        changes[column] = value;
      }
      if (patch.minDisk !== undefined) {
        assertNonNegativeInt(patch.minDisk, 'min_disk');
        changes.min_disk = patch.minDisk;
      }
      if (patch.minRam !== undefined) {
        assertNonNegativeInt(patch.minRam, 'min_ram');
        changes.min_ram = patch.minRam;
      }
      if (patch.ownerId !== undefined && patch.ownerId !== row.owner_id) {
        if (!ctx.caller.isAdmin) throw fail('Forbidden', "Owner can't be updated by non admin.");
        assertOwnerId(patch.ownerId);
        changes.owner_id = patch.ownerId;
      }

      const current = await this.hydrateOne(repos, row);
      const tags = patch.tags === undefined ? current.tags : dedupe(patch.tags);
      tags.forEach(assertTag);
      const props = { ...current.properties };
      for (const key of patch.removeProperties ?? []) delete props[key];
      for (const [key, value] of Object.entries(patch.setProperties ?? {})) {
        assertProperty(key, value);
        props[key] = value;
      }
      this.assertPerImageLimits(Object.keys(props).length, tags.length);

      changes.updated_at = nowIso();
      await repos.images.update(id, changes);
      if (patch.tags !== undefined) await repos.images.replaceTags(id, tags);
      await repos.images.removeProperties(id, patch.removeProperties ?? []);
      await repos.images.setProperties(id, patch.setProperties ?? {});
    });
    return this.get(ctx, id);
  }

  async addTag(ctx: RequestContext, id: string, tag: string): Promise<void> {
    assertTag(tag);
    await inTransaction(this.db, async (repos) => {
      const row = await this.load(repos, ctx, id, 'update', { lock: true });
      const current = await this.hydrateOne(repos, row);
      if (current.tags.includes(tag)) return;
      this.assertPerImageLimits(Object.keys(current.properties).length, current.tags.length + 1);
      await repos.images.addTag(id, tag);
      await repos.images.update(id, { updated_at: nowIso() });
    });
  }

  async removeTag(ctx: RequestContext, id: string, tag: string): Promise<void> {
    await inTransaction(this.db, async (repos) => {
      await this.load(repos, ctx, id, 'update', { lock: true });
      if (!(await repos.images.removeTag(id, tag))) throw fail('TagNotFound', `Tag ${tag} not found`);
      await repos.images.update(id, { updated_at: nowIso() });
    });
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.deleteMany(ctx, [id]);
  }

  /**
   * Deletes all of the images or none (Tencent DeleteImages takes a batch): every image is checked under its
   * row lock, in one transaction, before any is deleted. With `dryRun` only the checks run.
   */
  async deleteMany(ctx: RequestContext, ids: string[], options: { dryRun?: boolean } = {}): Promise<void> {
    const unique = [...new Set(ids)];
    const blobKeys = await inTransaction(this.db, async (repos) => {
      const checked: Array<{ row: ImageRow; shares: number }> = [];
      for (const id of unique) {
        const row = await this.load(repos, ctx, id, 'delete', { lock: true });
        const shares = await repos.members.countForImage(id);
        assertMayDelete(rowFacts(row), shares, this.config.images.deleteShared);
        checked.push({ row, shares });
      }
      if (options.dryRun) return [];
      const now = nowIso();
      for (const { row, shares } of checked) {
        if (shares > 0) await repos.members.deleteAllForImage(row.id);
        await repos.images.update(row.id, {
          status: 'deleted',
          deleted_at: now,
          updated_at: now,
          blob_key: null,
        });
      }
      return checked.map(({ row }) => row.blob_key).filter((key): key is string => key !== null);
    });
    // After commit: if removing the data fails, an orphan blob is left, never an image without data.
    for (const key of blobKeys) await this.deleteBlobQuietly(key);
  }

  /**
   * Removes data whose image is already gone (committed). A failure here must not turn a successful
   * delete into an error: it leaves an orphan file, which wastes space but never serves data.
   */
  private async deleteBlobQuietly(key: string): Promise<void> {
    try {
      await this.blobs.delete(key);
    } catch {
      // Nothing to tell the caller: the image is deleted either way.
    }
  }

  async deactivate(ctx: RequestContext, id: string): Promise<void> {
    await inTransaction(this.db, async (repos) => {
      const row = await this.load(repos, ctx, id, 'deactivate', { lock: true });
      assertMayDeactivate({ status: row.status as Image['status'] });
      if (row.status !== 'deactivated')
        await repos.images.update(id, { status: 'deactivated', updated_at: nowIso() });
    });
  }

  async reactivate(ctx: RequestContext, id: string): Promise<void> {
    await inTransaction(this.db, async (repos) => {
      const row = await this.load(repos, ctx, id, 'deactivate', { lock: true });
      assertMayReactivate({ status: row.status as Image['status'] });
      if (row.status !== 'active') await repos.images.update(id, { status: 'active', updated_at: nowIso() });
    });
  }

  /**
   * Stores the image's data. The image goes queued -> saving while the data streams to the blob store
   * (hashed on the way), and becomes active only once the data is stored whole; any failure puts it back to
   * queued and leaves no data behind.
   */
  async upload(
    ctx: RequestContext,
    id: string,
    data: Readable,
    options: { expectedSize?: number } = {},
  ): Promise<Image> {
    // The data may fail (the client went away) before the pipeline below listens to it: keep that from
    // becoming an uncaught error; the pipeline still sees the stream destroyed and fails the upload.
    data.on('error', () => undefined);
    const uploadId = randomUUID();
    await inTransaction(this.db, async (repos) => {
      const row = await this.load(repos, ctx, id, 'upload', { lock: true });
      assertUploadable(
        {
          id,
          status: row.status as Image['status'],
          diskFormat: row.disk_format,
          containerFormat: row.container_format,
          uploadHeartbeatAt: row.upload_heartbeat_at,
        },
        new Date(),
        this.config.images.uploadStaleSeconds * 1000,
      );
      const now = nowIso();
      await repos.images.update(id, {
        status: 'saving',
        upload_id: uploadId,
        upload_heartbeat_at: now,
        updated_at: now,
      });
    });
    // While data flows, keep showing the claim is alive so no other upload takes the image over.
    const heartbeat = setInterval(
      () => {
        this.repos.images.touchUpload(id, uploadId, nowIso()).catch(() => undefined);
      },
      Math.max(100, (this.config.images.uploadStaleSeconds * 1000) / 5),
    );

    let stored;
    try {
      stored = await this.blobs.put(data, { maxBytes: this.config.images.maxUploadBytes, keyPrefix: id });
      if (options.expectedSize !== undefined && stored.size !== options.expectedSize) {
        await this.blobs.delete(stored.key);
        throw fail(
          'InvalidInput',
          `Image data was ${stored.size} bytes, not the ${options.expectedSize} announced.`,
        );
      }
    } catch (err) {
      await this.repos.images.releaseUpload(id, uploadId, nowIso());
      throw err;
    } finally {
      clearInterval(heartbeat);
    }

    const { key, size, md5, sha512 } = stored;
    const activated = await inTransaction(this.db, async (repos) => {
      const row = await repos.images.findForUpdate(id, ctx.region);
      // Deleted, or taken over as abandoned, while the data was on its way: this data must not stay.
      if (!row || row.status !== 'saving' || row.upload_id !== uploadId) return false;
      await repos.images.update(id, {
        status: 'active',
        size,
        checksum: md5,
        os_hash_algo: 'sha512',
        os_hash_value: sha512,
        blob_key: key,
        upload_id: null,
        upload_heartbeat_at: null,
        updated_at: nowIso(),
      });
      return true;
    });
    if (!activated) {
      await this.blobs.delete(key);
      throw fail('Conflict', `Image ${id} was deleted or changed while its data was being uploaded.`);
    }
    return this.get(ctx, id);
  }

  /** The image's data (or null when it has none), optionally one byte range of it. */
  async openData(
    ctx: RequestContext,
    id: string,
    range?: { start?: number; end?: number },
  ): Promise<ImageData> {
    const repos = this.repos;
    const row = await this.load(repos, ctx, id, 'download');
    const image = await this.hydrateOne(repos, row);
    if (image.status === 'deactivated' && !ctx.caller.isAdmin) {
      throw fail(
        'ImageDeactivated',
        'The requested image has been deactivated. Image data download is forbidden.',
      );
    }
    if (!row.blob_key || image.size === null) return { image, stream: null };
    if (!range) return { image, stream: await this.blobs.get(row.blob_key) };
    const resolved = resolveRange(range, image.size);
    return { image, stream: await this.blobs.get(row.blob_key, resolved), range: resolved };
  }

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
      if (!this.config.regions.includes(region)) {
        throw fail('RegionNotFound', `Region ${region} does not exist.`, { region });
      }
    }
    if (options.name !== undefined) assertName(options.name);
    const repos = this.repos;
    const sources: Image[] = [];
    for (const id of [...new Set(ids)]) {
      const row = await this.load(repos, ctx, id, 'copy');
      assertUsable({ id, status: row.status as Image['status'] });
      for (const region of regions) assertCopyTarget(rowFacts(row), ctx.caller, region);
      sources.push(await this.hydrateOne(repos, row));
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
    const repos = this.repos;
    const instance = await repos.instances.find(instanceId, ctx.caller.accountId, ctx.region);
    if (!instance || instance.state === 'TERMINATED') {
      throw fail('InstanceNotFound', `Instance ${instanceId} does not exist.`, { instanceId });
    }
    // The caller must still be allowed to copy the image the instance came from: once its owner cancels
    // the share (or makes it private), the data is out of reach through instances too.
    const { row } = await loadImageFor(repos, ctx, instance.imageId, 'copy');
    if (row.status !== 'active' || !row.blob_key) {
      throw fail(
        'InvalidImageStatus',
        `The image instance ${instanceId} was launched from is no longer available.`,
      );
    }
    const source = await this.hydrateOne(repos, row);
    const [copy] = await this.createCopies(ctx.caller.accountId, [
      { source, region: ctx.region, name: options.name },
    ]);
    if (!copy) throw new Error('copy was not created');
    if (options.description !== undefined) {
      await this.repos.images.update(copy.id, { description: options.description });
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
    const blobKeys: Array<string | null> = [];
    try {
      for (const { source } of plans) {
        blobKeys.push(source.blobKey ? await this.blobs.copy(source.blobKey, 'copy') : null);
      }
      const created = await inTransaction(this.db, async (repos) => {
        // Lock every target region's quota in one order, so two batches cannot deadlock.
        const perRegion = new Map<string, number>();
        for (const { region } of plans) perRegion.set(region, (perRegion.get(region) ?? 0) + 1);
        for (const region of [...perRegion.keys()].sort()) {
          await repos.images.lockOwnerRegion(ownerId, region);
          assertWithinImageQuota(
            await repos.images.countOwned(ownerId, region),
            perRegion.get(region) as number,
            this.config.images.quotaPerRegion,
          );
        }
        const out: Array<{ id: string; region: string }> = [];
        for (const [i, { source, region, name }] of plans.entries()) {
          const id = await this.freshImageId(repos);
          const now = nowIso();
          await repos.images.insert({
            id,
            owner_id: ownerId,
            region,
            name,
            description: source.description,
            status: 'active',
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
          await repos.images.replaceTags(id, source.tags);
          await repos.images.setProperties(id, source.properties);
          out.push({ id, region });
        }
        return out;
      });
      const caller = { accountId: ownerId, isAdmin: false };
      return Promise.all(created.map(({ id, region }) => this.get({ caller, region }, id)));
    } catch (err) {
      for (const key of blobKeys) if (key) await this.deleteBlobQuietly(key);
      throw err;
    }
  }

  /** The caller's custom-image quota in the request's region. */
  async quota(ctx: RequestContext): Promise<{ quota: number; used: number }> {
    return {
      quota: this.config.images.quotaPerRegion,
      used: await this.repos.images.countOwned(ctx.caller.accountId, ctx.region),
    };
  }
}

function dedupe(values: string[]): string[] {
  return [...new Set(values)];
}

/** Resolves an HTTP-style byte range against the size; throws RangeNotSatisfiable when it can't. */
function resolveRange(range: { start?: number; end?: number }, size: number): BlobRange {
  let start: number;
  let end: number;
  if (range.start === undefined) {
    // suffix range: the last N bytes
    const n = range.end ?? 0;
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = range.start;
    end = Math.min(range.end ?? size - 1, size - 1);
  }
  if (size === 0 || start > end || start >= size) {
    throw fail('RangeNotSatisfiable', `Requested range not satisfiable (image size ${size}).`, { size });
  }
  return { start, end };
}
