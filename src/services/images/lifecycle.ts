// Deleting (to the recycle bin, or for good), restoring and purging; deactivating and reactivating;
// deprecating and disabling (issue 12). The rules are in domain/image-status.ts (bin, deprecation) and
// domain/visibility.ts (a disabled image's shares are suspended); each change writes its history row in
// the transaction that makes it.
import { authorize, managesImage } from '../../domain/access.js';
import { imageNotFound } from '../../domain/errors.js';
import {
  assertMaySwitchActivation,
  assertValidReplacement,
  deleteOutcome,
  isPurgeDue,
  parseObsoleteAt,
  restoreTarget,
  transition,
} from '../../domain/image-status.js';
import { isImageId } from '../../domain/ids.js';
import { assertMayDelete, DEFAULT_CONSENT, isShareLive } from '../../domain/sharing.js';
import type { Image, Member } from '../../domain/types.js';
import { recordShareEnds } from '../share-ends.js';
import type { ImageRow } from '../../repositories/db/schema.js';
import type { ImageStores } from '../../repositories/image-stores.js';
import type { RequestContext } from '../context.js';
import { recordHistory } from '../history.js';
import { recordEvent } from '../events.js';
import { pausePoint } from '../test-pause.js';
import { findVisibleImage, loadImageFor, rowFacts } from '../image-access.js';
import { isoNow } from '../clock.js';
import { sharingPolicy } from '../sharing-policy.js';
import {
  deleteBlobQuietly,
  hydrateOne,
  readImage,
  reserveImageQuota,
  type ImageUseCaseDeps,
} from './support.js';

/** What an owner says when deprecating: each optional (kept as an earlier deprecation set it); null clears. */
export interface DeprecationInput {
  replacementImageId?: string | null;
  obsoleteAt?: string | null;
}

/** Binned images the purge takes on in one pass. */
const PURGE_BATCH = 100;

export class ImageLifecycle {
  constructor(private readonly deps: ImageUseCaseDeps) {}

  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.deleteMany(ctx, [id]);
  }

  /**
   * Deletes all of the images or none (Tencent DeleteImages takes a batch): every image is checked under its
   * row lock, in one transaction, before any is deleted. With `dryRun` only the checks run. With a recycle
   * bin (images.recycleBinDays > 0) an image with data goes to its owner's bin: deleted for every API, its
   * data and its member rows kept (its shares suspended) until it is restored or purged.
   */
  async deleteMany(ctx: RequestContext, ids: string[], options: { dryRun?: boolean } = {}): Promise<void> {
    const unique = [...new Set(ids)];
    const blobKeys = await this.deps.store.transaction(async (stores) => {
      const now = isoNow(this.deps.clock);
      const checked: Array<{ row: ImageRow; members: Member[] }> = [];
      for (const id of unique) {
        const { row } = await loadImageFor(stores, ctx, id, 'delete', { lock: true, now });
        const members = await stores.members.listForImage(id);
        // Only live shares hold the image: one past its end time grants nothing, so it blocks nothing. A share
        // with a group is one share (issue 12): it holds the image as a direct share does.
        const groupShares = (await stores.groups.sharesOfImage(id)).filter((g) => isShareLive(g, now)).length;
        const live = members.filter((m) => isShareLive(m, now)).length + groupShares;
        assertMayDelete(rowFacts(row), live, sharingPolicy(this.deps.config));
        checked.push({ row, members });
      }
      if (options.dryRun) return [];
      const gone: string[] = [];
      for (const { row, members } of checked) {
        const outcome = deleteOutcome(rowFacts(row), this.deps.config.images.recycleBinDays, now);
        // One event tells the owner and every receiver (direct, and through live group shares) the image went.
        await recordEvent(stores, {
          type: 'image.deleted',
          image: row,
          actorId: ctx.caller.accountId,
          receivers: await liveReceivers(stores, row.id, members, now),
          at: now,
        });
        if (outcome.to === 'pending_delete') {
          // To the bin: its shares are suspended, not cancelled (the member rows stay for a restore).
          await recordHistory(stores, ctx, 'delete', row, {
            at: now,
            details: { recycleBin: 'true', purgeAfter: outcome.purgeAfter },
          });
          await stores.images.update(row.id, {
            status: transition(rowFacts(row), outcome.to),
            deleted_at: now,
            updated_at: now,
            purge_after: outcome.purgeAfter,
            binned_from: row.status,
          });
          continue;
        }
        // Glance's policy: the shares go with the image; each receiver finds that in its history.
        await endAllShares(stores, ctx, row, now);
        await recordHistory(stores, ctx, 'delete', row, { at: now });
        await stores.images.update(row.id, {
          status: transition(rowFacts(row), 'deleted'),
          deleted_at: now,
          updated_at: now,
          blob_key: null,
        });
        if (row.blob_key !== null) gone.push(row.blob_key);
      }
      await pausePoint('delete:before-commit'); // rows changed, transaction still open
      return gone;
    });
    await pausePoint('delete:committed'); // image deleted, its data not yet removed
    // After commit: if removing the data fails, an orphan blob is left, never an image without data.
    for (const key of blobKeys) await deleteBlobQuietly(this.deps.blobs, key);
  }

  /** The caller's own images in the recycle bin of the request's region (restorable ones), newest first. */
  async listRecycleBin(
    ctx: RequestContext,
    page: { offset: number; limit: number },
  ): Promise<{ images: Image[]; total: number }> {
    const stores = this.deps.store.stores;
    const { rows, total } = await stores.images.listBinned(
      ctx.caller.accountId,
      ctx.region,
      isoNow(this.deps.clock),
      page,
    );
    return { images: await stores.images.hydrate(rows), total };
  }

  /**
   * Brings an image back from the recycle bin, as it was (status, shares, data), within its retention. Only
   * its owner (or an admin) in its region; for anyone else, and once the retention ended, it is not found.
   * It counts against the owner's quota again, so a restore past the quota is refused.
   */
  async restore(ctx: RequestContext, id: string): Promise<Image> {
    return this.deps.store.transaction(async (stores) => {
      const now = isoNow(this.deps.clock);
      const row = isImageId(id) ? await stores.images.findBinnedForUpdate(id) : undefined;
      if (!row || !managesImage(ctx.caller, { ownerId: row.owner_id })) throw imageNotFound(id);
      authorize('lifecycle', {
        caller: ctx.caller,
        image: rowFacts(row),
        membership: null,
        region: ctx.region,
        now,
        consent: DEFAULT_CONSENT,
      });
      const status = restoreTarget(
        { id, status: rowFacts(row).status, purgeAfter: row.purge_after, binnedFrom: row.binned_from },
        now,
      );
      await reserveImageQuota(
        stores.images,
        row.owner_id,
        [row.region],
        this.deps.config.images.quotaPerRegion,
      );
      await stores.images.update(id, {
        status,
        deleted_at: null,
        purge_after: null,
        binned_from: null,
        updated_at: isoNow(this.deps.clock),
      });
      await recordHistory(stores, ctx, 'restore', row, { at: now });
      return hydrateOne(stores, { ...row, status, deleted_at: null, purge_after: null, binned_from: null });
    });
  }

  /**
   * Deletes for good every binned image whose retention has ended (at the service's clock), and frees its
   * data. Safe on several nodes at once and idempotent: each image is re-read under its row lock and only
   * the transaction that still finds it binned and due purges it (and only that one removes the data).
   * Returns how many images this call purged.
   */
  async purgeRecycleBin(): Promise<number> {
    const now = isoNow(this.deps.clock);
    let purged = 0;
    for (const id of await this.deps.store.stores.images.binnedDue(now, PURGE_BATCH)) {
      const blobKey = await this.deps.store.transaction(async (stores) => {
        const row = await stores.images.findBinnedForUpdate(id);
        // Restored, or purged by another node, since the list was read.
        if (!row || !isPurgeDue({ purgeAfter: row.purge_after }, now)) return undefined;
        await this.purgeOne(stores, row, now);
        return row.blob_key;
      });
      if (blobKey === undefined) continue;
      purged += 1;
      if (blobKey !== null) await deleteBlobQuietly(this.deps.blobs, blobKey);
    }
    return purged;
  }

  private async purgeOne(stores: ImageStores, row: ImageRow, now: string): Promise<void> {
    // The service acts on the owner's earlier delete: recorded as the owner's, through the 'service' surface.
    const ctx: RequestContext = {
      caller: { accountId: row.owner_id, isAdmin: false },
      region: row.region,
      surface: 'service',
    };
    await endAllShares(stores, ctx, row, now);
    await recordHistory(stores, ctx, 'purge', row, { at: now });
    await stores.images.update(row.id, {
      status: transition(rowFacts(row), 'deleted'),
      blob_key: null,
      purge_after: null,
      binned_from: null,
      updated_at: now,
    });
  }

  /**
   * Deprecates the image (or changes its deprecation): receivers see it deprecated, with the replacement
   * offered; from `obsoleteAt` on no new instance launches from it. Owner only.
   */
  async deprecate(ctx: RequestContext, id: string, input: DeprecationInput): Promise<Image> {
    const now = isoNow(this.deps.clock);
    await this.deps.store.transaction((stores) => this.applyDeprecation(stores, ctx, id, input, now));
    return readImage(this.deps.store.stores, ctx, id, now);
  }

  /** The deprecation's work inside the caller's transaction (also run with a rename: ImageService). */
  async applyDeprecation(
    stores: ImageStores,
    ctx: RequestContext,
    id: string,
    input: DeprecationInput,
    now: string,
  ): Promise<void> {
    const { row } = await loadImageFor(stores, ctx, id, 'lifecycle', { lock: true, now });
    // Undefined keeps what an earlier deprecation set; null clears it.
    const obsoleteAt =
      input.obsoleteAt === undefined ? row.obsolete_at : parseObsoleteAt(input.obsoleteAt, now);
    const replacement =
      input.replacementImageId === undefined ? row.replacement_image_id : input.replacementImageId;
    if (replacement !== null && replacement !== row.replacement_image_id) {
      const seen = await findVisibleImage(stores, ctx, replacement, now);
      assertValidReplacement(id, replacement, seen !== undefined && seen.region === row.region);
    }
    await stores.images.update(id, {
      deprecated_at: row.deprecated_at ?? now,
      replacement_image_id: replacement,
      obsolete_at: obsoleteAt,
      updated_at: isoNow(this.deps.clock),
    });
    // The owner and every receiver hear of it (in their inbox and webhooks), with the replacement offered.
    await recordEvent(stores, {
      type: 'image.deprecated',
      image: row,
      actorId: ctx.caller.accountId,
      receivers: await liveReceivers(stores, id, await stores.members.listForImage(id), now),
      at: now,
      details: {
        ...(replacement ? { replacement } : {}),
        ...(obsoleteAt ? { obsoleteAt } : {}),
      },
    });
    await recordHistory(stores, ctx, 'deprecate', row, {
      at: now,
      details: {
        ...(replacement ? { replacement } : {}),
        ...(obsoleteAt ? { obsoleteAt } : {}),
      },
    });
  }

  /** Ends the deprecation: no replacement, no obsolescence date. Repeating it is a no-op. */
  async undeprecate(ctx: RequestContext, id: string): Promise<Image> {
    const now = isoNow(this.deps.clock);
    await this.deps.store.transaction((stores) => this.applyUndeprecation(stores, ctx, id, now));
    return readImage(this.deps.store.stores, ctx, id, now);
  }

  /** Ending the deprecation inside the caller's transaction (also run with a rename: ImageService). */
  async applyUndeprecation(stores: ImageStores, ctx: RequestContext, id: string, now: string): Promise<void> {
    const { row } = await loadImageFor(stores, ctx, id, 'lifecycle', { lock: true, now });
    if (row.deprecated_at === null) return;
    await stores.images.update(id, {
      deprecated_at: null,
      replacement_image_id: null,
      obsolete_at: null,
      updated_at: isoNow(this.deps.clock),
    });
    await recordHistory(stores, ctx, 'undeprecate', row, { at: now });
  }

  /**
   * Disables the image (AWS DisableImage): every share is suspended at once (receivers neither see nor
   * launch it: domain/visibility.ts sharesSuspended), the member rows stay; `enable` brings them all back as
   * they were. The owner keeps seeing and using it. Repeating either is a no-op.
   */
  async setDisabled(ctx: RequestContext, id: string, disabled: boolean): Promise<Image> {
    const now = isoNow(this.deps.clock);
    await this.deps.store.transaction(async (stores) => {
      const { row } = await loadImageFor(stores, ctx, id, 'lifecycle', { lock: true, now });
      if ((row.disabled_at !== null) === disabled) return;
      const shares = await stores.members.countForImage(id);
      await stores.images.update(id, {
        disabled_at: disabled ? now : null,
        updated_at: isoNow(this.deps.clock),
      });
      await recordHistory(stores, ctx, disabled ? 'disable' : 'enable', row, {
        at: now,
        details: { shares: String(shares) },
      });
    });
    return readImage(this.deps.store.stores, ctx, id, now);
  }

  deactivate(ctx: RequestContext, id: string): Promise<void> {
    return this.switchActivation(ctx, id, 'deactivate');
  }

  reactivate(ctx: RequestContext, id: string): Promise<void> {
    return this.switchActivation(ctx, id, 'reactivate');
  }

  private async switchActivation(
    ctx: RequestContext,
    id: string,
    action: 'deactivate' | 'reactivate',
  ): Promise<void> {
    const to = action === 'deactivate' ? 'deactivated' : 'active';
    await this.deps.store.transaction(async (stores) => {
      const { row } = await loadImageFor(stores, ctx, id, 'deactivate', {
        lock: true,
        now: isoNow(this.deps.clock),
      });
      const image = rowFacts(row);
      assertMaySwitchActivation(image, action);
      if (image.status !== to) {
        await stores.images.update(id, {
          status: transition(image, to),
          updated_at: isoNow(this.deps.clock),
        });
      }
    });
  }
}

/**
 * The accounts an image reaches through its shares live at `now`: its direct receivers and the members of the
 * groups it is shared with, each once (an image.deleted event tells them all).
 */
async function liveReceivers(
  stores: ImageStores,
  imageId: string,
  members: readonly Member[],
  now: string,
): Promise<string[]> {
  const receivers = new Set(members.filter((m) => isShareLive(m, now)).map((m) => m.memberId));
  for (const share of await stores.groups.sharesOfImage(imageId)) {
    if (!isShareLive(share, now)) continue;
    for (const m of await stores.groups.members(share.groupId)) receivers.add(m.accountId);
  }
  return [...receivers];
}

/**
 * Ends every share of an image that goes for good (deleted at once, or purged from the recycle bin): the ends
 * of shares already past their end time go into the history first, then a cancel for each live direct share
 * and each share with a group, then the rows.
 */
async function endAllShares(
  stores: ImageStores,
  ctx: RequestContext,
  row: ImageRow,
  now: string,
): Promise<void> {
  await recordShareEnds(stores, { imageId: row.id }, now);
  for (const member of await stores.members.listForImage(row.id)) {
    if (isShareLive(member, now))
      await recordHistory(stores, ctx, 'cancel', row, { targetAccountId: member.memberId, at: now });
  }
  await stores.members.deleteAllForImage(row.id);
  for (const share of await stores.groups.sharesOfImage(row.id))
    await recordHistory(stores, ctx, 'cancel', row, { targetAccountId: share.groupId, at: now });
  await stores.groups.deleteAllSharesOfImage(row.id);
}
