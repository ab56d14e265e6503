// The relation table and the list plan built from it, without a database. The database-backed agreement of
// the SQL with these rules is test/services/visibility-agreement.test.ts.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { imageStatuses, memberStatuses, visibilities, type Caller, type MemberStatus } from './types.js';
import {
  isListed,
  listPlan,
  relationOf,
  relationsOfKinds,
  type ImageKind,
  type ListBranch,
  type ListFacts,
  type ListMode,
} from './visibility.js';

const me: Caller = { accountId: '100001', isAdmin: false };
const admin: Caller = { accountId: '100009', isAdmin: true };
const OTHER = '100002';

const NOW = '2026-06-01T12:00:00.000Z';

function facts(
  caller: Caller,
  image: Partial<ListFacts['image']>,
  membership: MemberStatus | null = null,
  expiresAt: string | null = null,
): ListFacts {
  return {
    caller,
    image: { ownerId: OTHER, region: 'r1', visibility: 'shared', status: 'active', ...image },
    membership: membership && { status: membership, expiresAt, access: 'launch' },
    region: 'r1',
    now: NOW,
  };
}

describe('relationOf', () => {
  it('owner: its own images of every visibility, in their region only', () => {
    for (const visibility of visibilities) {
      assert.equal(relationOf(facts(me, { ownerId: me.accountId, visibility })), 'owner');
      assert.equal(relationOf({ ...facts(me, { ownerId: me.accountId, visibility }), region: 'r2' }), 'none');
    }
  });

  it("others' images: public and community to all, shared to members of any status, private to nobody", () => {
    assert.equal(relationOf(facts(me, { visibility: 'public' })), 'public');
    assert.equal(relationOf(facts(me, { visibility: 'community' })), 'community');
    assert.equal(relationOf(facts(me, { visibility: 'shared' })), 'none');
    assert.equal(relationOf(facts(me, { visibility: 'private' })), 'none');
    for (const status of memberStatuses) {
      assert.equal(relationOf(facts(me, { visibility: 'shared' }, status)), 'member');
      // A share left on an image made private afterwards gives nothing.
      assert.equal(relationOf(facts(me, { visibility: 'private' }, status)), 'none');
    }
  });

  it('a disabled image suspends every share (the owner, admins and the public keep their ground)', () => {
    assert.equal(relationOf(facts(me, { visibility: 'shared', disabled: true }, 'accepted')), 'none');
    assert.equal(relationOf(facts(me, { visibility: 'shared', disabled: false }, 'accepted')), 'member');
    assert.equal(relationOf(facts(me, { ownerId: me.accountId, disabled: true })), 'owner');
    assert.equal(relationOf(facts(admin, { visibility: 'shared', disabled: true })), 'admin');
    assert.equal(relationOf(facts(me, { visibility: 'public', disabled: true })), 'public');
  });

  it('a share holds only in the image region', () => {
    assert.equal(relationOf({ ...facts(me, { visibility: 'shared' }, 'accepted'), region: 'r2' }), 'none');
    assert.equal(relationOf({ ...facts(me, { visibility: 'public' }), region: 'r2' }), 'none');
  });

  it("admins: others' shared and private images as admin (shares add nothing), public ones as public", () => {
    assert.equal(relationOf(facts(admin, { visibility: 'private' })), 'admin');
    assert.equal(relationOf(facts(admin, { visibility: 'shared' }, 'accepted')), 'admin');
    assert.equal(relationOf(facts(admin, { visibility: 'public' })), 'public');
    // Another account's community image is not the operator's: an admin administers it (Tencent: PRIVATE_IMAGE).
    assert.equal(relationOf(facts(admin, { visibility: 'community' })), 'admin');
    assert.equal(relationOf({ ...facts(admin, { visibility: 'private' }), region: 'r2' }), 'none');
  });
});

/** Every mode a surface can ask for. */
function allModes(): ListMode[] {
  const kindSets: ImageKind[][] = [
    ['own'],
    ['public'],
    ['shared'],
    ['own', 'public', 'shared'],
    ['own', 'public', 'shared', 'community'],
    ['own', 'shared'],
    ['community'],
  ];
  const statusSets: MemberStatus[][] = [[], ['accepted'], ['pending', 'accepted'], [...memberStatuses]];
  const modes: ListMode[] = [];
  for (const kinds of kindSets) {
    for (const visibility of [undefined, 'all' as const, ...visibilities]) {
      for (const statuses of statusSets) {
        modes.push({ relations: relationsOfKinds(kinds), visibility, memberStatuses: statuses });
      }
    }
  }
  return modes;
}

/** What one list branch selects, read as the repository turns it into SQL. */
function branchSelects(branch: ListBranch, f: ListFacts): boolean {
  return (
    (f.image.ownerId === f.caller.accountId) === (branch.owner === 'caller') &&
    branch.visibilities.includes(f.image.visibility) &&
    (branch.shareStatuses === null ||
      (f.membership !== null &&
        branch.shareStatuses.includes(f.membership.status) &&
        // The SQL's end-time condition: no end, or an end after the branch's instant.
        (f.membership.expiresAt === null || f.membership.expiresAt > (branch.shareLiveAt as string))))
  );
}

describe('listPlan', () => {
  it('a receiver: own images, public ones, and shares of the asked statuses, one branch each', () => {
    const plan = listPlan(
      me,
      {
        relations: relationsOfKinds(['own', 'public', 'shared']),
        memberStatuses: ['accepted'],
      },
      NOW,
    );
    assert.deepEqual(plan, [
      {
        relation: 'owner',
        owner: 'caller',
        visibilities: [...visibilities],
        shareStatuses: null,
        shareLiveAt: null,
        enabledImagesOnly: false,
      },
      {
        relation: 'public',
        owner: 'other',
        visibilities: ['public'],
        shareStatuses: null,
        shareLiveAt: null,
        enabledImagesOnly: false,
      },
      {
        relation: 'member',
        owner: 'other',
        visibilities: ['shared'],
        shareStatuses: ['accepted'],
        shareLiveAt: NOW,
        enabledImagesOnly: true,
      },
    ]);
  });

  it("an admin: no share branch (its shares are within what it administers); Tencent's shared type is empty", () => {
    const plan = listPlan(
      admin,
      {
        relations: relationsOfKinds(['own', 'public', 'shared']),
        visibility: 'all',
        memberStatuses: ['accepted'],
      },
      NOW,
    );
    assert.deepEqual(
      plan.map((b) => [b.relation, b.visibilities]),
      [
        ['owner', [...visibilities]],
        ['public', ['public']],
        ['admin', ['shared', 'private', 'community']],
      ],
    );
    assert.deepEqual(
      listPlan(admin, { relations: relationsOfKinds(['shared']), memberStatuses: ['accepted'] }, NOW),
      [],
    );
  });

  it('branches never overlap and select exactly what isListed says, for every caller, mode and image', () => {
    let checked = 0;
    for (const caller of [me, admin]) {
      for (const mode of allModes()) {
        const plan = listPlan(caller, mode, NOW);
        for (const owner of [caller.accountId, OTHER]) {
          for (const visibility of visibilities) {
            for (const status of imageStatuses) {
              for (const [membership, expiresAt] of [
                [null, null],
                ...memberStatuses.flatMap((m) => [
                  [m, null],
                  [m, NOW], // ends at this instant: grants nothing
                  [m, '2026-06-01T12:00:00.001Z'], // still live
                ]),
              ] as Array<[MemberStatus | null, string | null]>) {
                const f = facts(caller, { ownerId: owner, visibility, status }, membership, expiresAt);
                const selecting = plan.filter((b) => branchSelects(b, f));
                const listed = selecting.length === 1 && status !== 'killed';
                // Messages built only on failure: this loop runs some 100,000 times.
                if (selecting.length > 1 || listed !== isListed(mode, f)) {
                  assert.fail(`plan and isListed disagree: ${JSON.stringify({ mode, f, plan, selecting })}`);
                }
                if (listed) assert.equal(selecting[0]?.relation, relationOf(f));
                checked += 1;
              }
            }
          }
        }
      }
    }
    assert.ok(checked > 10_000);
  });
});
