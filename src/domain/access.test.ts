// authorize(): who may do what, for every relation, without a database.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { authorize, canSee, type AccessFacts, type ImageAction } from './access.js';
import { DomainError, type ErrorCode } from './errors.js';
import type { Caller, MemberStatus, Visibility } from './types.js';

const OWNER = '200001';
const caller: Caller = { accountId: '200002', isAdmin: false };
const admin: Caller = { accountId: '200009', isAdmin: true };

const allActions: ImageAction[] = [
  'read',
  'download',
  'launch',
  'copy',
  'update',
  'tag',
  'rename',
  'upload',
  'delete',
  'deactivate',
  'manageMembers',
  'readMembers',
];

function facts(
  who: Caller,
  visibility: Visibility,
  membership: MemberStatus | null = null,
  region = 'r1',
): AccessFacts {
  return {
    caller: who,
    image: { id: 'img-abcdefgh', ownerId: OWNER, region: 'r1', visibility, status: 'active' },
    membership,
    region,
  };
}

function refusal(action: ImageAction, f: AccessFacts): DomainError {
  try {
    authorize(action, f);
  } catch (err) {
    assert.ok(err instanceof DomainError);
    return err;
  }
  assert.fail(`${action} was allowed`);
}

function refusedWith(action: ImageAction, f: AccessFacts, code: ErrorCode): DomainError {
  const err = refusal(action, f);
  assert.equal(err.code, code, `${action}: ${err.message}`);
  return err;
}

describe('authorize', () => {
  it('the owner and admins may do everything, admins also to public images of others', () => {
    const own = {
      ...facts(caller, 'private'),
      image: { ...facts(caller, 'private').image, ownerId: caller.accountId },
    };
    for (const action of allActions) {
      assert.equal(authorize(action, own), 'owner');
      assert.equal(authorize(action, facts(admin, 'private')), 'admin');
      assert.equal(authorize(action, facts(admin, 'public')), 'public');
    }
  });

  it('whoever may not see the image gets "not found" for every action (also through another region)', () => {
    for (const action of allActions) {
      refusedWith(action, facts(caller, 'private'), 'ImageNotFound');
      refusedWith(action, facts(caller, 'shared'), 'ImageNotFound');
      refusedWith(action, facts(caller, 'shared', 'accepted', 'r2'), 'ImageNotFound');
      refusedWith(action, facts(admin, 'private', null, 'r2'), 'ImageNotFound');
    }
    assert.equal(canSee(facts(caller, 'shared')), false);
    assert.equal(canSee(facts(caller, 'shared', 'rejected')), true);
  });

  it('a receiver (any member status) reads, downloads, launches and copies, and sees its member row', () => {
    for (const status of ['pending', 'accepted', 'rejected'] as const) {
      for (const action of ['read', 'download', 'launch', 'copy', 'readMembers'] as const) {
        assert.equal(authorize(action, facts(caller, 'shared', status)), 'member');
      }
    }
  });

  it('a receiver renaming is told the image was shared with it; other changes are "not yours", marked as a receiver', () => {
    const f = facts(caller, 'shared', 'accepted');
    assert.match(refusedWith('rename', f, 'SharedImageModifyUnsupported').message, /shared with you/);
    for (const action of ['update', 'tag', 'upload', 'delete', 'deactivate', 'manageMembers'] as const) {
      const refused = refusedWith(action, f, 'NotImageOwner');
      assert.equal(refused.details.relation, 'member');
      // What was refused and why, in the one wording every surface renders.
      assert.match(
        refused.message,
        /^You do not own this image: image img-abcdefgh is shared with you, and only its owner may \S/,
      );
    }
  });

  it('renaming or deleting a public image of another account: "not yours", never "shared with you"', () => {
    for (const visibility of ['public', 'community'] as const) {
      const f = facts(caller, visibility);
      const rename = refusedWith('rename', f, 'NotImageOwner');
      assert.doesNotMatch(rename.message, /shared/);
      assert.match(rename.message, /only its owner/);
      // A community image is any account's offer, not the operator's public one: a relation of its own.
      assert.equal(rename.details.relation, visibility);
      assert.match(rename.message, /belongs to another account/);
      assert.equal(refusedWith('delete', f, 'NotImageOwner').details.relation, visibility);
      for (const action of ['read', 'download', 'launch', 'copy'] as const) {
        assert.equal(authorize(action, f), visibility);
      }
      refusedWith('readMembers', f, 'ImageNotShareable');
    }
  });
});
