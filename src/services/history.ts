// Writes history entries from inside the services' transactions: one call per change, beside the write it
// records, so both commit or roll back together. Who, from where and through which surface come from the
// request context every surface builds.
import { randomBytes } from 'node:crypto';
import type { HistoryAction, HistoryEntry } from '../domain/history.js';
import { metrics } from '../metrics.js';
import type { RequestContext } from './context.js';

/** The part of a transaction's repositories that history needs. */
export interface HistoryWriter {
  history: { insert(entry: HistoryEntry): Promise<void> };
}

/** The image facts an entry keeps (as they were when it happened). */
export interface HistoryImage {
  id: string;
  name: string | null;
  owner_id: string;
  region: string;
}

let sequence = 0;

/**
 * Entries are listed by time, then ID: IDs start with a per-process sequence so entries written in the same
 * millisecond (one call sharing with several accounts) keep their order; the random tail keeps IDs unique
 * across nodes.
 */
function nextEntryId(): string {
  sequence = (sequence + 1) % 36 ** 8;
  return `${sequence.toString(36).padStart(8, '0')}-${randomBytes(8).toString('hex')}`;
}

export async function recordHistory(
  repos: HistoryWriter,
  ctx: RequestContext,
  action: HistoryAction,
  image: HistoryImage,
  /** `at`: the instant of the change, from the service's clock (services.clock), never the system's. */
  extra: { targetAccountId?: string; details?: Record<string, string>; at: string },
): Promise<void> {
  await repos.history.insert({
    id: nextEntryId(),
    at: extra.at,
    action,
    imageId: image.id,
    imageName: image.name,
    ownerId: image.owner_id,
    region: image.region,
    actorId: ctx.caller.accountId,
    targetAccountId: extra.targetAccountId ?? null,
    surface: ctx.surface,
    clientAddress: ctx.clientAddress?.slice(0, 100) ?? null,
    details: extra.details ?? {},
  });
  // Counted as the entry is written: the one place every share, cancel, upload, delete and launch passes
  // through on every surface. A transaction that fails after this line still counts (rare: nothing but
  // its commit comes after the history entry in the services).
  metrics.imageEvent(action, ctx.surface);
}
