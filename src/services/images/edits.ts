// Creating images and changing their fields, tags and properties.
import { fail } from '../../domain/errors.js';
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
} from '../../domain/image-fields.js';
import { isImageId } from '../../domain/ids.js';
import { INITIAL_STATUS } from '../../domain/image-status.js';
import { DEFAULT_VISIBILITY } from '../../domain/sharing.js';
import { assertMayPublish } from '../../domain/guardrails.js';
import { publicationPolicy } from '../sharing-policy.js';
import type { Image, Visibility } from '../../domain/types.js';
import type { ImageRow } from '../../repositories/db/schema.js';
import type { ImageStores } from '../../repositories/image-stores.js';
import type { RequestContext } from '../context.js';
import { recordHistory } from '../history.js';
import { loadImageFor } from '../image-access.js';
import { isoNow } from '../clock.js';
import {
  assertPerImageLimits,
  dedupe,
  freshImageId,
  hydrateOne,
  readImage,
  reserveImageQuota,
  type ImageUseCaseDeps,
} from './support.js';

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

export class ImageEdits {
  constructor(private readonly deps: ImageUseCaseDeps) {}

  async create(ctx: RequestContext, input: NewImageInput): Promise<Image> {
    const ownerId = input.ownerId ?? ctx.caller.accountId;
    if (ownerId !== ctx.caller.accountId && !ctx.caller.isAdmin) {
      throw fail('Forbidden', `You are not permitted to create images owned by '${ownerId}'.`);
    }
    assertOwnerId(ownerId);
    const visibility = input.visibility ?? DEFAULT_VISIBILITY;
    assertVisibility(visibility);
    if (visibility === 'public' && !ctx.caller.isAdmin) {
      throw fail('Forbidden', 'Only administrators may make an image public.');
    }
    assertMayPublish(visibility, null, publicationPolicy(this.deps.config));
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
    assertPerImageLimits(this.deps.config.images, Object.keys(properties).length, tags.length);
    if (input.id !== undefined && !isImageId(input.id)) {
      throw fail('InvalidInput', `Image ID must look like img-xxxxxxxx (8 of a-z, 0-9), got "${input.id}"`);
    }
    // Choosing an ID is for administrators (migrations, restores): for anyone else "already exists" would
    // tell whether someone else's image, in any region, has that ID.
    if (input.id !== undefined && !ctx.caller.isAdmin) {
      throw fail('Forbidden', 'Only administrators may choose an image ID.');
    }

    const now = isoNow(this.deps.clock);
    const id = await this.deps.store.transaction(async (stores) => {
      await reserveImageQuota(stores.images, ownerId, [ctx.region], this.deps.config.images.quotaPerRegion);
      const id = input.id ?? (await freshImageId(stores.images));
      if (input.id !== undefined && (await stores.images.idExists(id))) {
        throw fail('Conflict', `Image ID ${id} already exists!`);
      }
      await stores.images.insert({
        id,
        owner_id: ownerId,
        region: ctx.region,
        name,
        description,
        status: INITIAL_STATUS,
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
      await stores.images.replaceTags(id, tags);
      await stores.images.setProperties(id, properties);
      await recordHistory(
        stores,
        ctx,
        'create',
        { id, name, owner_id: ownerId, region: ctx.region },
        { at: now },
      );
      return id;
    });
    return readImage(this.deps.store.stores, ctx, id, isoNow(this.deps.clock));
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
    await this.deps.store.transaction((stores) => this.applyUpdate(stores, ctx, id, change));
    return readImage(this.deps.store.stores, ctx, id, isoNow(this.deps.clock));
  }

  /** The update's work inside the caller's transaction (also run with other changes in one: ImageService). */
  async applyUpdate(
    stores: ImageStores,
    ctx: RequestContext,
    id: string,
    change: ImagePatch | ((current: Image) => ImagePatch),
  ): Promise<void> {
    let row: ImageRow;
    let patch: ImagePatch;
    if (typeof change === 'function') {
      // Whatever the patch turns out to be, only an owner (or admin) may apply one.
      row = (await loadImageFor(stores, ctx, id, 'update', { lock: true, now: isoNow(this.deps.clock) })).row;
      patch = change(await hydrateOne(stores, row));
    } else {
      patch = change;
      // A receiver renaming gets Tencent's own refusal code; any other change is "not your image".
      const touchesOnlyNaming = Object.keys(patch).every((k) => k === 'name' || k === 'description');
      const action = touchesOnlyNaming ? 'rename' : 'update';
      row = (await loadImageFor(stores, ctx, id, action, { lock: true, now: isoNow(this.deps.clock) })).row;
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
      assertMayPublish(patch.visibility, row.visibility as Visibility, publicationPolicy(this.deps.config));
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

    const current = await hydrateOne(stores, row);
    const tags = patch.tags === undefined ? current.tags : dedupe(patch.tags);
    tags.forEach(assertTag);
    const props = { ...current.properties };
    for (const key of patch.removeProperties ?? []) delete props[key];
    for (const [key, value] of Object.entries(patch.setProperties ?? {})) {
      assertProperty(key, value);
      props[key] = value;
    }
    assertPerImageLimits(this.deps.config.images, Object.keys(props).length, tags.length);

    if (changes.owner_id !== undefined) {
      // Rule 6: from now on the image counts against its new owner's quota in its region.
      await reserveImageQuota(
        stores.images,
        changes.owner_id,
        [row.region],
        this.deps.config.images.quotaPerRegion,
      );
      // Rule 2: an image is never shared with its own owner; a share the new owner had goes.
      await stores.members.delete(id, [changes.owner_id]);
      // Shares with groups are the old owner's groups (an owner shares only its own): they go too.
      if (changes.owner_id !== row.owner_id) await stores.groups.deleteAllSharesOfImage(id);
    }
    const now = isoNow(this.deps.clock);
    changes.updated_at = now;
    await stores.images.update(id, changes);
    if (
      (changes.name !== undefined && changes.name !== row.name) ||
      (changes.description !== undefined && changes.description !== row.description)
    ) {
      const renamed = changes.name !== undefined && changes.name !== row.name;
      await recordHistory(
        stores,
        ctx,
        'rename',
        { ...row, name: changes.name ?? row.name },
        {
          details: renamed ? { from: row.name ?? '' } : {},
          at: now,
        },
      );
    }
    if (changes.protected !== undefined && changes.protected !== row.protected) {
      await recordHistory(stores, ctx, changes.protected ? 'protect' : 'unprotect', row, { at: now });
    }
    if (patch.tags !== undefined) await stores.images.replaceTags(id, tags);
    await stores.images.removeProperties(id, patch.removeProperties ?? []);
    await stores.images.setProperties(id, patch.setProperties ?? {});
  }

  async addTag(ctx: RequestContext, id: string, tag: string): Promise<void> {
    assertTag(tag);
    await this.deps.store.transaction(async (stores) => {
      const { row } = await loadImageFor(stores, ctx, id, 'tag', {
        lock: true,
        now: isoNow(this.deps.clock),
      });
      const current = await hydrateOne(stores, row);
      if (current.tags.includes(tag)) return;
      assertPerImageLimits(
        this.deps.config.images,
        Object.keys(current.properties).length,
        current.tags.length + 1,
      );
      await stores.images.addTag(id, tag);
      await stores.images.update(id, { updated_at: isoNow(this.deps.clock) });
    });
  }

  async removeTag(ctx: RequestContext, id: string, tag: string): Promise<void> {
    await this.deps.store.transaction(async (stores) => {
      await loadImageFor(stores, ctx, id, 'tag', { lock: true, now: isoNow(this.deps.clock) });
      if (!(await stores.images.removeTag(id, tag))) throw fail('TagNotFound', `Tag ${tag} not found`);
      await stores.images.update(id, { updated_at: isoNow(this.deps.clock) });
    });
  }
}
