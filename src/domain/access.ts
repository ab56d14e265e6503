// Who may do what to an image: one switch, called first by every service method that touches an image.
// The rule of thumb (DESIGN.md rule 4): whoever may not see an image gets "not found", never "forbidden";
// whoever may see it but not do the thing gets a clear refusal.
import { fail, imageNotFound } from './errors.js';
import type { Caller, Image, MemberStatus } from './types.js';

export type ImageAction =
  | 'read' // show the image and its metadata
  | 'download' // read its data
  | 'launch' // start an instance from it
  | 'copy' // copy it into an image of one's own (Tencent SyncImages by a receiver)
  | 'update' // change fields, properties, tags, formats
  | 'rename' // change name or description (refused to receivers with Tencent's own message)
  | 'upload' // put its data
  | 'delete'
  | 'deactivate' // deactivate and reactivate
  | 'manageMembers' // add or remove members (share / cancel)
  | 'readMembers'; // list and show members (a member sees only its own row)

/** What the caller is to the image. */
export type Relation = 'owner' | 'admin' | 'member' | 'public' | 'none';

export interface AccessFacts {
  caller: Caller;
  image: Pick<Image, 'id' | 'ownerId' | 'region' | 'visibility' | 'status'>;
  /** The caller's membership row on this image, if any (any status). */
  membership: MemberStatus | null;
  /** The region the request came through; images exist for callers only in their own region. */
  region: string;
}

export function relationOf(facts: AccessFacts): Relation {
  const { caller, image } = facts;
  // A share holds only in the image's region: through another region's endpoint the image does not exist.
  if (image.region !== facts.region) return 'none';
  if (image.ownerId === caller.accountId) return 'owner';
  if (caller.isAdmin) return 'admin';
  // Member status decides listing, not access (DESIGN.md rule 8): pending and rejected members may use it.
  if (image.visibility === 'shared' && facts.membership !== null) return 'member';
  if (image.visibility === 'public' || image.visibility === 'community') return 'public';
  return 'none';
}

export function canSee(facts: AccessFacts): boolean {
  return relationOf(facts) !== 'none';
}

/** Throws unless the caller may do `action`; returns the relation for callers that need it. */
export function authorize(action: ImageAction, facts: AccessFacts): Relation {
  const relation = relationOf(facts);
  if (relation === 'none') throw imageNotFound(facts.image.id);
  if (relation === 'owner' || relation === 'admin') return relation;

  switch (action) {
    case 'read':
    case 'download':
    case 'launch':
    case 'copy':
      return relation;
    case 'readMembers':
      // A member sees its own row (the service filters); the public sees no member list.
      if (relation === 'member') return relation;
      throw fail('ImageNotShareable', `Only shared images have members.`);
    case 'manageMembers':
      if (relation === 'member') {
        throw fail(
          'NotImageOwner',
          `Not allowed to share image ${facts.image.id}: only its owner may share it.`,
        );
      }
      throw fail('NotImageOwner', `Not allowed to manage members for image ${facts.image.id}.`);
    case 'rename':
      throw fail(
        'SharedImageModifyUnsupported',
        `Image ${facts.image.id} was shared with you: its name and description cannot be changed.`,
      );
    case 'update':
    case 'upload':
    case 'delete':
    case 'deactivate':
      throw fail('NotImageOwner', `You do not own this image`);
  }
}
