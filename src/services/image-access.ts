// The one way services load an image for a caller: find it, learn the caller's membership, and let
// domain/access.ts decide (also whether it exists in the request's region). An image the caller may not see
// is "not found".
import { authorize, canSee, type ImageAction } from '../domain/access.js';
import { imageNotFound } from '../domain/errors.js';
import { isImageId } from '../domain/ids.js';
import { DEFAULT_CONSENT, effectiveConsent } from '../domain/sharing.js';
import type { Consent, Image, Visibility } from '../domain/types.js';
import { combineShares, type Membership } from '../domain/visibility.js';
import type { ImageRow } from '../repositories/db/schema.js';
import type { ImageStores } from '../repositories/image-stores.js';
import type { RequestContext } from './context.js';

export interface LoadedImage {
  row: ImageRow;
  /** The caller's membership on the image (any status, even past its end), or null (owner, or no share). */
  membership: Membership | null;
}

/** The facts about a row that the access and sharing rules look at. */
export function rowFacts(row: ImageRow) {
  return {
    id: row.id,
    ownerId: row.owner_id,
    region: row.region,
    visibility: row.visibility as Visibility,
    status: row.status as Image['status'],
    protected: row.protected === 1,
    disabled: row.disabled_at !== null,
  };
}

/**
 * The caller's share of the image: its own member row and the image's shares with groups it belongs to, as
 * one (domain/visibility.ts combineShares), at the instant `now`.
 */
export async function membershipOf(
  repos: Pick<ImageStores, 'members' | 'groups'>,
  row: Pick<ImageRow, 'id' | 'owner_id'>,
  ctx: RequestContext,
  now: string,
): Promise<Membership | null> {
  if (row.owner_id === ctx.caller.accountId) return null;
  const accountId = ctx.caller.accountId;
  const [direct, viaGroups] = await Promise.all([
    repos.members.find(row.id, accountId),
    repos.groups.sharesReaching(accountId, [row.id]),
  ]);
  const groups = viaGroups.get(row.id) ?? [];
  const answer = groups.length ? (await repos.groups.consentsOf(accountId, [row.id])).get(row.id) : undefined;
  return combineShares(direct ?? null, groups, answer ?? null, now);
}

/** The consent the image asks for; only a receiver's launch looks at it, so others skip the read. */
async function consentFor(
  repos: ImageStores,
  row: ImageRow,
  membership: Membership | null,
  action: ImageAction,
): Promise<Consent> {
  if (membership === null || action !== 'launch') return DEFAULT_CONSENT;
  const settings = await repos.consent.settingsOf(row.id);
  return effectiveConsent(settings.image, settings.ownerDefault);
}

/**
 * Loads the image and checks that the caller may do `action` at the instant `now` (the service's clock: a
 * share past its end grants nothing), or throws (ImageNotFound when it may not see it). With `lock`, the row
 * stays locked until the transaction ends (see ImageRepository.findForUpdate).
 */
export async function loadImageFor(
  repos: ImageStores,
  ctx: RequestContext,
  id: string,
  action: ImageAction,
  options: { lock?: boolean; now: string },
): Promise<LoadedImage> {
  if (!isImageId(id)) throw imageNotFound(id);
  const row = options.lock ? await repos.images.findForUpdate(id) : await repos.images.find(id);
  if (!row) throw imageNotFound(id);
  const membership = await membershipOf(repos, row, ctx, options.now);
  const consent = await consentFor(repos, row, membership, action);
  authorize(action, {
    caller: ctx.caller,
    image: rowFacts(row),
    membership,
    region: ctx.region,
    now: options.now,
    consent,
  });
  return { row, membership };
}

/** The image if the caller may see it, else undefined (for checks that must not throw). */
export async function findVisibleImage(
  repos: ImageStores,
  ctx: RequestContext,
  id: string,
  now: string,
): Promise<ImageRow | undefined> {
  if (!isImageId(id)) return undefined;
  const row = await repos.images.find(id);
  if (!row) return undefined;
  const membership = await membershipOf(repos, row, ctx, now);
  return canSee({ caller: ctx.caller, image: rowFacts(row), membership, region: ctx.region, now })
    ? row
    : undefined;
}
