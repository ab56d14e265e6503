// Shares that end by their end time. No job ends a share (a share past its end grants nothing: isShareLive),
// and no job writes its end either: the "expire" history entry, dated at the end time itself, is written
// the first time it matters, i.e. when someone reads a history that would show it, or when a change is
// about to remove or re-date the ended share (renewal, new terms, cancel, delete). The conditional update
// of ShareEndStore.markRecorded makes each end recorded exactly once, across requests and nodes.
import type { ImageStores, ImageUnitOfWork } from '../repositories/image-stores.js';
import type { RequestContext } from './context.js';
import { recordHistory } from './history.js';

type EndScope = { imageId: string } | { accountId: string };

/** Writes the "expire" entries of the ended shares in scope, inside the caller's transaction. */
export async function recordShareEnds(repos: ImageStores, scope: EndScope, now: string): Promise<number> {
  let written = 0;
  for (const end of await repos.shareEnds.unrecorded(scope, now)) {
    if (!(await repos.shareEnds.markRecorded(end.imageId, end.memberId, end.expiresAt))) continue;
    // Nobody acted: the entry names the owner, whose end time it was, and the service as the way in.
    const ctx: RequestContext = {
      caller: { accountId: end.ownerId, isAdmin: false },
      region: end.region,
      surface: 'service',
    };
    await recordHistory(
      repos,
      ctx,
      'expire',
      { id: end.imageId, name: end.imageName, owner_id: end.ownerId, region: end.region },
      { targetAccountId: end.memberId, details: { expiresAt: end.expiresAt }, at: end.expiresAt },
    );
    written += 1;
  }
  return written;
}

/**
 * Before a history read: records the ends the reader would see (its own images' shares and the shares it
 * received). Reads first, and opens a write transaction only when there is an end to record.
 */
export async function recordShareEndsFor(
  store: ImageUnitOfWork,
  scope: EndScope,
  now: string,
): Promise<void> {
  if ((await store.stores.shareEnds.unrecorded(scope, now)).length === 0) return;
  await store.transaction((repos) => recordShareEnds(repos, scope, now));
}
