// Deleting, deactivating and reactivating images.
import { assertMaySwitchActivation, transition } from '../../domain/image-status.js';
import { nowIso } from '../../domain/ids.js';
import { assertMayDelete } from '../../domain/sharing.js';
import type { ImageRow } from '../../repositories/db/schema.js';
import type { RequestContext } from '../context.js';
import { recordHistory } from '../history.js';
import { pausePoint } from '../test-pause.js';
import { loadImageFor, rowFacts } from '../image-access.js';
import { isoNow } from '../clock.js';
import { sharingPolicy } from '../sharing-policy.js';
import { deleteBlobQuietly, type ImageUseCaseDeps } from './support.js';

export class ImageLifecycle {
  constructor(private readonly deps: ImageUseCaseDeps) {}

  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.deleteMany(ctx, [id]);
  }

  /**
   * Deletes all of the images or none (Tencent DeleteImages takes a batch): every image is checked under its
   * row lock, in one transaction, before any is deleted. With `dryRun` only the checks run.
   */
  async deleteMany(ctx: RequestContext, ids: string[], options: { dryRun?: boolean } = {}): Promise<void> {
    const unique = [...new Set(ids)];
    const blobKeys = await this.deps.store.transaction(async (stores) => {
      const checked: Array<{ row: ImageRow; shares: number }> = [];
      for (const id of unique) {
        const { row } = await loadImageFor(stores, ctx, id, 'delete', {
          lock: true,
          now: isoNow(this.deps.clock),
        });
        const shares = await stores.members.countForImage(id);
        assertMayDelete(rowFacts(row), shares, sharingPolicy(this.deps.config));
        checked.push({ row, shares });
      }
      if (options.dryRun) return [];
      const now = nowIso();
      for (const { row, shares } of checked) {
        if (shares > 0) {
          // Glance's policy: the shares go with the image; each receiver finds that in its history.
          for (const member of await stores.members.listForImage(row.id))
            await recordHistory(stores, ctx, 'cancel', row, { targetAccountId: member.memberId });
          await stores.members.deleteAllForImage(row.id);
        }
        await recordHistory(stores, ctx, 'delete', row);
        await stores.images.update(row.id, {
          status: transition(rowFacts(row), 'deleted'),
          deleted_at: now,
          updated_at: now,
          blob_key: null,
        });
      }
      await pausePoint('delete:before-commit'); // rows changed, transaction still open
      return checked.map(({ row }) => row.blob_key).filter((key): key is string => key !== null);
    });
    await pausePoint('delete:committed'); // image deleted, its data not yet removed
    // After commit: if removing the data fails, an orphan blob is left, never an image without data.
    for (const key of blobKeys) await deleteBlobQuietly(this.deps.blobs, key);
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
        await stores.images.update(id, { status: transition(image, to), updated_at: nowIso() });
      }
    });
  }
}
