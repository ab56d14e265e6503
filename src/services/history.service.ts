// Reading the history of image changes: an account sees the entries about its own images and those that
// name it (domain/history.ts), newest first.
import type { HistoryEntry } from '../domain/history.js';
import type { ImageUnitOfWork } from '../repositories/image-stores.js';
import type { RequestContext } from './context.js';

export class HistoryService {
  constructor(private readonly store: ImageUnitOfWork) {}

  async list(
    ctx: RequestContext,
    page: { offset: number; limit: number },
  ): Promise<{ entries: HistoryEntry[]; total: number }> {
    return this.store.stores.history.listVisibleTo(ctx.caller.accountId, page);
  }

  /** Every entry about one image, oldest first (for audits and tests; no access check). */
  async forImage(imageId: string): Promise<HistoryEntry[]> {
    return this.store.stores.history.listForImage(imageId);
  }
}
