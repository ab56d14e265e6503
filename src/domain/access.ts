// Who may do what to an image: one switch, called first by every service method that touches an image.
// The rule of thumb (DESIGN.md rule 4): whoever may not see an image gets "not found", never "forbidden";
// whoever may see it but not do the thing gets a clear refusal.
// Who sees what is declared in visibility.ts (RELATION_RULES), which the listing SQL is built from too.
import { fail, imageNotFound } from './errors.js';
import { assertReceiverMayCopy, assertReceiverMayLaunch } from './sharing.js';
import type { Caller, Consent, Image } from './types.js';
import {
  liveMembership,
  relationOf,
  type Membership,
  type Relation,
  type VisibilityFacts,
} from './visibility.js';

export type ImageAction =
  | 'read' // show the image and its metadata
  | 'download' // read its data
  | 'launch' // start an instance from it
  | 'copy' // copy it into an image of one's own (Tencent SyncImages by a receiver)
  | 'update' // change fields, properties, formats
  | 'tag' // add or remove a tag
  | 'rename' // change name or description (refused to receivers with Tencent's own code)
  | 'upload' // put its data
  | 'delete'
  | 'deactivate' // deactivate and reactivate
  | 'lifecycle' // deprecate, undeprecate, disable, enable, restore from the recycle bin
  | 'manageMembers' // add or remove members (share / cancel)
  | 'readMembers'; // list and show members (a member sees only its own row)

export type { Relation } from './visibility.js';

export interface AccessFacts extends VisibilityFacts {
  image: Pick<Image, 'id' | 'ownerId' | 'region' | 'visibility' | 'status'>;
  /**
   * The consent the image asks of its receivers (sharing.ts effectiveConsent). Only a receiver's launch
   * looks at it; loaders that know the caller holds no share may pass DEFAULT_CONSENT.
   */
  consent: Consent;
}

export { relationOf };

export function canSee(facts: VisibilityFacts): boolean {
  return relationOf(facts) !== 'none';
}

/**
 * Whether the caller may do to the image whatever its owner may: the owner, and admins (for every image they
 * see). Services that show owners more than others (every member row, not just one's own) ask this.
 */
export function managesImage(caller: Caller, image: Pick<Image, 'ownerId'>): boolean {
  return image.ownerId === caller.accountId || caller.isAdmin;
}

/** Throws unless the caller may do `action`; returns the relation for callers that need it. */
export function authorize(action: ImageAction, facts: AccessFacts): Relation {
  const relation = relationOf(facts);
  if (relation === 'none') throw imageNotFound(facts.image.id);
  // Admins may do to any image they see what its owner may (also to public images, whose relation is 'public').
  if (managesImage(facts.caller, facts.image)) return relation;
  const { id } = facts.image;
  // Machine-readable for the surfaces whose clients are told "it was shared with you" apart (Tencent).
  const details = { imageId: id, relation };

  switch (action) {
    case 'read':
    case 'download':
      return relation;
    case 'launch':
      // Through a share, the owner's consent setting decides; public images launch for everyone.
      if (relation === 'member')
        assertReceiverMayLaunch(id, liveMembership(facts) as Membership, facts.consent);
      return relation;
    case 'copy':
      // Through a share, only with the owner's explicit grant (every copy path asks for 'copy').
      if (relation === 'member') assertReceiverMayCopy(id, liveMembership(facts) as Membership);
      return relation;
    case 'readMembers':
      // A member sees its own row (the service filters); the public sees no member list.
      if (relation === 'member') return relation;
      throw fail('ImageNotShareable', `Only shared images have members.`);
    case 'rename':
      // A receiver renaming gets Tencent's own code for it; the words are those of every owner-only refusal.
      if (relation === 'member') {
        throw fail('SharedImageModifyUnsupported', ownerOnlyMessage(action, id, relation), details);
      }
      throw fail('NotImageOwner', ownerOnlyMessage(action, id, relation), details);
    case 'update':
    case 'tag':
    case 'upload':
    case 'delete':
    case 'deactivate':
    case 'lifecycle':
    case 'manageMembers':
      throw fail('NotImageOwner', ownerOnlyMessage(action, id, relation), details);
  }
}

export type OwnerOnlyAction = Exclude<ImageAction, 'read' | 'download' | 'launch' | 'copy' | 'readMembers'>;

/** What each owner-only action does, as the end of "only its owner may ...". */
const OWNER_ONLY_WORDS: Readonly<Record<OwnerOnlyAction, string>> = {
  rename: 'rename it or change its description',
  update: 'change it',
  tag: 'change its tags',
  upload: 'upload its data',
  delete: 'delete it',
  deactivate: 'deactivate or reactivate it',
  lifecycle: 'deprecate, disable or enable it',
  manageMembers: 'share it, see who else it is shared with, or cancel its shares',
};

/** What the receiver of a share may do, said after every owner-only refusal it meets. */
export const RECEIVER_MAY =
  'As its receiver you may launch it (and copy it, if its owner allowed copies), and accept, reject or ' +
  'leave your share.';

/**
 * The one wording of a refusal to a caller who sees an image but does not own it: what was refused and why.
 * Every surface renders it as it is (in its own envelope), so a receiver hears the same reason from Glance,
 * Tencent and the console. It starts with Glance's own words, which OpenStack clients know.
 */
export function ownerOnlyMessage(action: OwnerOnlyAction, id: string, relation: Relation): string {
  const why =
    relation === 'member' ? `image ${id} is shared with you` : `image ${id} belongs to another account`;
  const refusal = `You do not own this image: ${why}, and only its owner may ${OWNER_ONLY_WORDS[action]}.`;
  // A receiver is also told what it can do with the image (issue 12: a receiver opening the sharing panel).
  return relation === 'member' ? `${refusal} ${RECEIVER_MAY}` : refusal;
}
