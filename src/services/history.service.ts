// Reading the history of image changes: an account sees the entries about its own images and those that
// name it (domain/history.ts), newest first.
import type { HistoryEntry } from '../domain/history.js';
import type { ImageUnitOfWork } from '../repositories/image-stores.js';
import { isoNow, type Clock } from './clock.js';
import type { RequestContext } from './context.js';
import { recordShareEndsFor } from './share-ends.js';

export class HistoryService {
  constructor(
    private readonly store: ImageUnitOfWork,
    private readonly clock: Clock,
  ) {}

  async list(
    ctx: RequestContext,
    page: { offset: number; limit: number },
  ): Promise<{ entries: HistoryEntry[]; total: number }> {
    // The ends of shares that ended by their end time, dated at that time (services/share-ends.ts).
    await recordShareEndsFor(this.store, { accountId: ctx.caller.accountId }, isoNow(this.clock));
    return this.store.stores.history.listVisibleTo(ctx.caller.accountId, page);
  }

  /** Every entry about one image, oldest first (for audits and tests; no access check). */
  async forImage(imageId: string): Promise<HistoryEntry[]> {
    await recordShareEndsFor(this.store, { imageId }, isoNow(this.clock));
    return this.store.stores.history.listForImage(imageId);
  }
}
