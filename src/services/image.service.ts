// The image use cases behind one object, the one the HTTP surfaces and the CLI call. Each use case lives in
// its own module under images/: reads (get, lists, quota), edits (create, fields, tags), lifecycle (delete,
// deactivate), data (upload with heartbeats, download) and copies (SyncImages, images from instances).
// Every method reads the image, checks access (domain/access.ts) first, then the rules, then writes through
// the stores in one transaction. Image data moves outside transactions.
import type { Readable } from 'node:stream';
import type { Config } from '../config.js';
import type { Image } from '../domain/types.js';
import type { BlobStore } from '../repositories/blob/blob-store.js';
import type { ImageUnitOfWork } from '../repositories/image-stores.js';
import type { Clock } from './clock.js';
import type { RequestContext } from './context.js';
import { ImageCopies } from './images/copies.js';
import { ImageDataTransfer, type ImageData } from './images/data.js';
import { ImageEdits, type ImagePatch, type NewImageInput } from './images/edits.js';
import { ImageLifecycle, type DeprecationInput } from './images/lifecycle.js';
import { readImage, type ImageUseCaseDeps } from './images/support.js';
import { isoNow } from './clock.js';
import { pausePoint } from './test-pause.js';
import {
  ImageReads,
  type DescribedImages,
  type DescribeQuery,
  type ImageListQuery,
  type ImagePage,
} from './images/reads.js';

export type { ImageData } from './images/data.js';
export type { ImagePatch, NewImageInput } from './images/edits.js';
export type { DeprecationInput } from './images/lifecycle.js';
export { MAX_DESCRIBE_OFFSET } from './images/reads.js';
export type { DescribedImages, DescribeQuery, ImageKind, ImageListQuery, ImagePage } from './images/reads.js';

export class ImageService {
  private readonly reads: ImageReads;
  private readonly edits: ImageEdits;
  private readonly lifecycle: ImageLifecycle;
  private readonly data: ImageDataTransfer;
  private readonly copies: ImageCopies;
  private readonly deps: ImageUseCaseDeps;

  constructor(store: ImageUnitOfWork, blobs: BlobStore, config: Config, clock: Clock) {
    const deps = { store, blobs, config, clock };
    this.deps = deps;
    this.reads = new ImageReads(store, config, clock);
    this.edits = new ImageEdits(deps);
    this.lifecycle = new ImageLifecycle(deps);
    this.data = new ImageDataTransfer(deps);
    this.copies = new ImageCopies(deps);
  }

  get(ctx: RequestContext, id: string): Promise<Image> {
    return this.reads.get(ctx, id);
  }

  isVisible(ctx: RequestContext, id: string): Promise<boolean> {
    return this.reads.isVisible(ctx, id);
  }

  list(ctx: RequestContext, query: ImageListQuery): Promise<ImagePage> {
    return this.reads.list(ctx, query);
  }

  describe(ctx: RequestContext, query: DescribeQuery): Promise<DescribedImages> {
    return this.reads.describe(ctx, query);
  }

  quota(ctx: RequestContext): Promise<{ quota: number; used: number }> {
    return this.reads.quota(ctx);
  }

  create(ctx: RequestContext, input: NewImageInput): Promise<Image> {
    return this.edits.create(ctx, input);
  }

  update(
    ctx: RequestContext,
    id: string,
    change: ImagePatch | ((current: Image) => ImagePatch),
  ): Promise<Image> {
    return this.edits.update(ctx, id, change);
  }

  addTag(ctx: RequestContext, id: string, tag: string): Promise<void> {
    return this.edits.addTag(ctx, id, tag);
  }

  removeTag(ctx: RequestContext, id: string, tag: string): Promise<void> {
    return this.edits.removeTag(ctx, id, tag);
  }

  delete(ctx: RequestContext, id: string): Promise<void> {
    return this.lifecycle.delete(ctx, id);
  }

  deleteMany(ctx: RequestContext, ids: string[], options?: { dryRun?: boolean }): Promise<void> {
    return this.lifecycle.deleteMany(ctx, ids, options);
  }

  deactivate(ctx: RequestContext, id: string): Promise<void> {
    return this.lifecycle.deactivate(ctx, id);
  }

  reactivate(ctx: RequestContext, id: string): Promise<void> {
    return this.lifecycle.reactivate(ctx, id);
  }

  /** Lifecycle (issue 12): deprecation, disabling, the recycle bin. Owner (or admin) only. */
  deprecate(ctx: RequestContext, id: string, input: DeprecationInput): Promise<Image> {
    return this.lifecycle.deprecate(ctx, id, input);
  }

  undeprecate(ctx: RequestContext, id: string): Promise<Image> {
    return this.lifecycle.undeprecate(ctx, id);
  }

  /**
   * A rename (name, description) and a deprecation switch in one transaction, as Tencent's
   * ModifyImageAttribute asks for them in one call: either both are applied or neither (a deletion or a
   * refusal in between cannot leave the rename done and answer an error).
   */
  async modifyAttributes(
    ctx: RequestContext,
    id: string,
    patch: Pick<ImagePatch, 'name' | 'description'>,
    deprecated: boolean | undefined,
  ): Promise<Image> {
    const now = isoNow(this.deps.clock);
    await this.deps.store.transaction(async (stores) => {
      if (Object.keys(patch).length > 0) await this.edits.applyUpdate(stores, ctx, id, patch);
      await pausePoint('modify:renamed'); // renamed, deprecation not yet applied, nothing committed
      if (deprecated === true) await this.lifecycle.applyDeprecation(stores, ctx, id, {}, now);
      if (deprecated === false) await this.lifecycle.applyUndeprecation(stores, ctx, id, now);
    });
    return readImage(this.deps.store.stores, ctx, id, now);
  }

  disable(ctx: RequestContext, id: string): Promise<Image> {
    return this.lifecycle.setDisabled(ctx, id, true);
  }

  enable(ctx: RequestContext, id: string): Promise<Image> {
    return this.lifecycle.setDisabled(ctx, id, false);
  }

  listRecycleBin(
    ctx: RequestContext,
    page: { offset: number; limit: number },
  ): Promise<{ images: Image[]; total: number }> {
    return this.lifecycle.listRecycleBin(ctx, page);
  }

  restore(ctx: RequestContext, id: string): Promise<Image> {
    return this.lifecycle.restore(ctx, id);
  }

  /** Purges binned images whose retention ended (periodic; safe on every node at once). */
  purgeRecycleBin(): Promise<number> {
    return this.lifecycle.purgeRecycleBin();
  }

  upload(
    ctx: RequestContext,
    id: string,
    data: Readable,
    options?: { expectedSize?: number },
  ): Promise<Image> {
    return this.data.upload(ctx, id, data, options);
  }

  openData(ctx: RequestContext, id: string, range?: { start?: number; end?: number }): Promise<ImageData> {
    return this.data.openData(ctx, id, range);
  }

  copy(ctx: RequestContext, id: string, targetRegion: string, options?: { name?: string }): Promise<Image> {
    return this.copies.copy(ctx, id, targetRegion, options);
  }

  copyMany(
    ctx: RequestContext,
    ids: string[],
    targetRegions: string[],
    options?: { name?: string; dryRun?: boolean },
  ): Promise<Image[]> {
    return this.copies.copyMany(ctx, ids, targetRegions, options);
  }

  createFromInstance(
    ctx: RequestContext,
    instanceId: string,
    options: { name: string; description?: string },
  ): Promise<Image> {
    return this.copies.createFromInstance(ctx, instanceId, options);
  }
}
