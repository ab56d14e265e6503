// authorize(): who may do what, for every relation, without a database.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { authorize, canSee, type AccessFacts, type ImageAction } from './access.js';
import { DomainError, type ErrorCode } from './errors.js';
import type { Caller, Consent, MemberStatus, ShareAccess, Visibility } from './types.js';

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
  'lifecycle',
  'manageMembers',
  'readMembers',
];

const NOW = '2026-06-01T12:00:00.000Z';

function facts(
  who: Caller,
  visibility: Visibility,
  membership: MemberStatus | null = null,
  region = 'r1',
  terms: { expiresAt?: string | null; access?: ShareAccess; consent?: Consent } = {},
): AccessFacts {
  return {
    caller: who,
    image: { id: 'img-abcdefgh', ownerId: OWNER, region: 'r1', visibility, status: 'active' },
    membership: membership && {
      status: membership,
      expiresAt: terms.expiresAt ?? null,
      access: terms.access ?? 'launch_and_copy',
    },
    region,
    now: NOW,
    consent: terms.consent ?? 'listing',
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

  it('a share past its end time grants nothing: the image is "not found", from the very instant of its end', () => {
    for (const action of allActions) {
      refusedWith(action, facts(caller, 'shared', 'accepted', 'r1', { expiresAt: NOW }), 'ImageNotFound');
      refusedWith(
        action,
        facts(caller, 'shared', 'accepted', 'r1', { expiresAt: '2026-06-01T11:59:59.999Z' }),
        'ImageNotFound',
      );
    }
    const lastMs = facts(caller, 'shared', 'accepted', 'r1', { expiresAt: '2026-06-01T12:00:00.001Z' });
    assert.equal(authorize('launch', lastMs), 'member');
  });

  it('consent "launch": a pending or rejected receiver cannot launch until it accepts; "listing" lets it', () => {
    for (const status of ['pending', 'rejected'] as const) {
      const err = refusedWith(
        'launch',
        facts(caller, 'shared', status, 'r1', { consent: 'launch' }),
        'ShareNotAccepted',
      );
      assert.equal(err.details.status, status);
      assert.equal(
        authorize('launch', facts(caller, 'shared', status, 'r1', { consent: 'listing' })),
        'member',
      );
      // Consent gates launching, not reading.
      assert.equal(authorize('read', facts(caller, 'shared', status, 'r1', { consent: 'launch' })), 'member');
    }
    assert.equal(
      authorize('launch', facts(caller, 'shared', 'accepted', 'r1', { consent: 'launch' })),
      'member',
    );
    // The owner and public images are not gated.
    assert.equal(authorize('launch', facts(caller, 'public', null, 'r1', { consent: 'launch' })), 'public');
  });

  it("copying a shared image needs the owner's launch_and_copy grant; launching does not", () => {
    const launchOnly = facts(caller, 'shared', 'accepted', 'r1', { access: 'launch' });
    assert.match(refusedWith('copy', launchOnly, 'CopyNotGranted').message, /launch only/);
    assert.equal(authorize('launch', launchOnly), 'member');
    assert.equal(
      authorize('copy', facts(caller, 'shared', 'accepted', 'r1', { access: 'launch_and_copy' })),
      'member',
    );
    // Public images and admins are not shares: no grant needed.
    assert.equal(authorize('copy', facts(caller, 'public', null, 'r1', { access: 'launch' })), 'public');
    assert.equal(authorize('copy', facts(admin, 'shared', 'accepted', 'r1', { access: 'launch' })), 'admin');
  });

  it('a receiver renaming is told the image was shared with it; other changes are "not yours", marked as a receiver', () => {
    const f = facts(caller, 'shared', 'accepted');
    assert.match(refusedWith('rename', f, 'SharedImageModifyUnsupported').message, /shared with you/);
    for (const action of [
      'update',
      'tag',
      'upload',
      'delete',
      'deactivate',
      'lifecycle',
      'manageMembers',
    ] as const) {
      const refused = refusedWith(action, f, 'NotImageOwner');
      assert.equal(refused.details.relation, 'member');
      // What was refused and why, in the one wording every surface renders.
      assert.match(
        refused.message,
        /^You do not own this image: image img-abcdefgh is shared with you, and only its owner may \S/,
      );
      // And what a receiver can do instead (not only what it cannot).
      assert.match(
        refused.message,
        /As its receiver you may launch it .*accept, reject or leave your share\.$/,
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
      assert.doesNotMatch(rename.message, /As its receiver/);
      assert.equal(refusedWith('delete', f, 'NotImageOwner').details.relation, visibility);
      for (const action of ['read', 'download', 'launch', 'copy'] as const) {
        assert.equal(authorize(action, f), visibility);
      }
      refusedWith('readMembers', f, 'ImageNotShareable');
    }
  });
});
