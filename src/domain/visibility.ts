// Who may see an image, and which images a list shows: written once, as data. relationOf (and through it
// authorize() in access.ts) reads RELATION_RULES; so does listPlan(), from which the image repository builds
// the SQL of every list (Glance's and Tencent's). test/services/visibility-agreement.test.ts checks on every
// database that an image is listed exactly when isListed() says so.
import { isInRegion, isShareLive } from './sharing.js';
import {
  visibilities,
  type Caller,
  type ImageStatus,
  type Member,
  type MemberStatus,
  type Visibility,
} from './types.js';

/** What the rules look at in the caller's share of an image (its member row). */
export type Membership = Pick<Member, 'status' | 'expiresAt' | 'access'>;

/** What the caller is to the image: the ground on which it sees it, or 'none'. */
export type Relation = 'owner' | 'public' | 'admin' | 'community' | 'member' | 'none';
export type SeeingRelation = Exclude<Relation, 'none'>;

export interface RelationRule {
  relation: SeeingRelation;
  /** Whose image: the caller's own, or another account's. */
  owner: 'caller' | 'other';
  /** Holds only for admin callers. */
  adminOnly: boolean;
  /** The image visibilities the rule covers. */
  visibilities: readonly Visibility[];
  /**
   * Holds only while the caller has a live share on the image: a member row, of any status, whose end time
   * (if any) has not come (isShareLive).
   */
  needsShare: boolean;
}

/**
 * The relations, in order of precedence: an image's relation is the first rule that matches. Every rule holds
 * only in the image's own region: a share holds only there (DESIGN.md rule 2), and through another region's
 * endpoint the image does not exist, for its owner and admins too.
 */
export const RELATION_RULES: readonly RelationRule[] = [
  { relation: 'owner', owner: 'caller', adminOnly: false, visibilities, needsShare: false },
  // Public images are the operator's: only an admin makes an image public (ImageEdits), and Tencent lists them
  // as PUBLIC_IMAGE from the OFFICIAL source.
  { relation: 'public', owner: 'other', adminOnly: false, visibilities: ['public'], needsShare: false },
  // Admins see every image of the region; others' public images keep the ground above (Tencent types them
  // PUBLIC_IMAGE for admins too), and a share with an admin adds nothing to what it sees.
  {
    relation: 'admin',
    owner: 'other',
    adminOnly: true,
    visibilities: ['shared', 'private', 'community'],
    needsShare: false,
  },
  // Community images are any account's own offer to every account (Glance's "community"): usable by ID, listed
  // by Glance only when asked for, and never by Tencent or the console, which must not pass them off as the
  // cloud's public images (issue 11: community-image impersonation).
  { relation: 'community', owner: 'other', adminOnly: false, visibilities: ['community'], needsShare: false },
  // Member status decides listing, not access (DESIGN.md rule 8): pending and rejected members may use it.
  // Shares of an image that is no longer "shared" (made private or public later) give nothing.
  { relation: 'member', owner: 'other', adminOnly: false, visibilities: ['shared'], needsShare: true },
];

export interface VisibilityFacts {
  caller: Caller;
  /** `disabled`: its owner disabled it (lifecycle), which suspends every share; absent means not disabled. */
  image: { ownerId: string; region: string; visibility: Visibility; disabled?: boolean };
  /**
   * The caller's share of this image, if any (any status, expired or not): its own member row and the shares
   * with groups it belongs to, as one (combineShares).
   */
  membership: Membership | null;
  /** The region the request came through. */
  region: string;
  /** The request's instant (ISO-8601 UTC, the service's clock): a share past its end grants nothing. */
  now: string;
}

/** A share of an image with a group (issue 12): terms that every account in the group holds. */
export type GroupShareTerms = Pick<Member, 'expiresAt' | 'access'>;

/**
 * The caller's one share of an image, however many ways lead to it: its own member row (a direct share) and
 * the shares with groups it belongs to (`viaGroups`). Only ways live at `now` count, so a member who leaves a
 * group, or a group share past its end, grants nothing from that instant. While the direct share is live its
 * status is the share's status; otherwise the receiver's own answer to the image's group shares
 * (`groupStatus`, pending until it answers). The share ends with the last way to end, and lets the receiver
 * copy if any live way does. The list SQL (ImageRepository's reachableThroughGroups) states the same.
 */
export function combineShares(
  direct: Membership | null,
  viaGroups: readonly GroupShareTerms[],
  groupStatus: MemberStatus | null,
  now: string,
): Membership | null {
  const directLive = direct && isShareLive(direct, now) ? direct : null;
  const groups = viaGroups.filter((g) => isShareLive(g, now));
  // No live way: the direct row as it is (null, or past its end), which grants nothing.
  if (directLive === null && groups.length === 0) return direct;
  const ways: GroupShareTerms[] = [...(directLive ? [directLive] : []), ...groups];
  const ends = ways.map((w) => w.expiresAt);
  return {
    status: directLive ? directLive.status : (groupStatus ?? 'pending'),
    expiresAt: ends.includes(null) ? null : ((ends as string[]).sort().at(-1) as string),
    access: ways.some((w) => w.access === 'launch_and_copy') ? 'launch_and_copy' : 'launch',
  };
}

/**
 * Disabling an image (AWS DisableImage) suspends every share of it at once: no relation that needs a share
 * holds (receivers neither see nor launch it), the member rows stay, and enabling it again restores them
 * as they were. The list SQL applies it through ListBranch.enabledImagesOnly.
 */
export function sharesSuspended(image: { disabled?: boolean }): boolean {
  return image.disabled === true;
}

/** The caller's share if it holds now, else null: what every rule that needs a share looks at. */
export function liveMembership(facts: Pick<VisibilityFacts, 'membership' | 'now'>): Membership | null {
  return facts.membership && isShareLive(facts.membership, facts.now) ? facts.membership : null;
}

function ruleHolds(rule: RelationRule, facts: VisibilityFacts): boolean {
  const { caller, image } = facts;
  if ((image.ownerId === caller.accountId) !== (rule.owner === 'caller')) return false;
  if (rule.adminOnly && !caller.isAdmin) return false;
  if (rule.needsShare && liveMembership(facts) === null) return false;
  if (rule.needsShare && sharesSuspended(facts.image)) return false;
  return rule.visibilities.includes(image.visibility);
}

export function relationOf(facts: VisibilityFacts): Relation {
  if (!isInRegion(facts.image, facts.region)) return 'none';
  return RELATION_RULES.find((rule) => ruleHolds(rule, facts))?.relation ?? 'none';
}

/**
 * The kinds of image an account lists (Tencent's image types): its own, and those it administers, which it
 * may share, rename and delete; public ones (the operator's); ones shared with it; other accounts' community
 * images, which only Glance lists (Tencent and the console have no type for them).
 */
export type ImageKind = 'own' | 'public' | 'shared' | 'community';

export const KIND_OF_RELATION: Readonly<Record<SeeingRelation, ImageKind>> = {
  owner: 'own',
  admin: 'own',
  public: 'public',
  community: 'community',
  member: 'shared',
};

export function relationsOfKinds(kinds: readonly ImageKind[]): SeeingRelation[] {
  return RELATION_RULES.map((r) => r.relation).filter((r) => kinds.includes(KIND_OF_RELATION[r]));
}

/** A list request, as every surface's list comes down to. */
export interface ListMode {
  /** Which relations the list shows (Glance: all; Tencent's image types choose). */
  relations: readonly SeeingRelation[];
  /**
   * Glance's visibility parameter: only images of that visibility; 'all'; or undefined, which leaves other
   * accounts' community images out (one's own stay).
   */
  visibility?: Visibility | 'all';
  /** Which of the caller's shares put an image in the list (relation 'member'). */
  memberStatuses: readonly MemberStatus[];
}

/** Never listed: a failed upload ("killed") is shown by ID only. Deleted images exist for nobody. */
export const UNLISTED_STATUSES: readonly ImageStatus[] = ['killed'];

/** The visibilities a list shows of the caller's own images, or of other accounts' images. */
function listedVisibilities(mode: ListMode, owner: RelationRule['owner']): readonly Visibility[] {
  if (mode.visibility === 'all') return visibilities;
  if (mode.visibility !== undefined) return [mode.visibility];
  return owner === 'caller' ? visibilities : visibilities.filter((v) => v !== 'community');
}

export type ListFacts = VisibilityFacts & { image: { status: ImageStatus } };

/** Whether the list `mode` shows the image to the caller. */
export function isListed(mode: ListMode, facts: ListFacts): boolean {
  const relation = relationOf(facts);
  if (relation === 'none') return false;
  if (UNLISTED_STATUSES.includes(facts.image.status)) return false;
  if (!mode.relations.includes(relation)) return false;
  const rule = RELATION_RULES.find((r) => r.relation === relation) as RelationRule;
  if (!listedVisibilities(mode, rule.owner).includes(facts.image.visibility)) return false;
  if (rule.needsShare && !mode.memberStatuses.includes((liveMembership(facts) as Membership).status))
    return false;
  return true;
}

/**
 * One part of a list, disjoint from the others: the images of one relation, owner side and set of
 * visibilities (and, for shares, member statuses). The repository turns each into one index-driven query.
 */
export interface ListBranch {
  relation: SeeingRelation;
  owner: RelationRule['owner'];
  /** Never empty. */
  visibilities: Visibility[];
  /**
   * For relations that need a share: the member statuses that list; null otherwise. The share is the
   * caller's combined one (combineShares): its own member row, or a share with a group it belongs to.
   */
  shareStatuses: MemberStatus[] | null;
  /** For relations that need a share: only shares live at this instant (no end, or an end after it). */
  shareLiveAt: string | null;
  /** For relations that need a share: only images that are not disabled (sharesSuspended). */
  enabledImagesOnly: boolean;
}

/**
 * The branches of a caller's list, derived from RELATION_RULES: each rule, for the caller and the mode, less
 * what an earlier rule already claims (an image has one relation). The status rule (UNLISTED_STATUSES) and
 * the region apply to every branch; a branch that needs a share holds only for shares live at `now`.
 */
export function listPlan(caller: Caller, mode: ListMode, now: string): ListBranch[] {
  const branches: ListBranch[] = [];
  const earlier: RelationRule[] = [];
  for (const rule of RELATION_RULES) {
    if (rule.adminOnly && !caller.isAdmin) continue;
    const claimed = earlier.filter((e) => e.owner === rule.owner);
    // Subtracting a rule that needs a share would take a NOT EXISTS per row; the table is ordered so that
    // this never happens, and this guard keeps it so.
    if (claimed.some((e) => e.needsShare && e.visibilities.some((v) => rule.visibilities.includes(v)))) {
      throw new Error(`RELATION_RULES: ${rule.relation} overlaps an earlier rule that needs a share`);
    }
    earlier.push(rule);
    if (!mode.relations.includes(rule.relation)) continue;
    if (rule.needsShare && mode.memberStatuses.length === 0) continue;
    const shown = listedVisibilities(mode, rule.owner);
    const own = rule.visibilities.filter(
      (v) => shown.includes(v) && !claimed.some((e) => e.visibilities.includes(v)),
    );
    if (own.length === 0) continue;
    branches.push({
      relation: rule.relation,
      owner: rule.owner,
      visibilities: own,
      shareStatuses: rule.needsShare ? [...mode.memberStatuses] : null,
      shareLiveAt: rule.needsShare ? now : null,
      enabledImagesOnly: rule.needsShare,
    });
  }
  return branches;
}
