import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from './errors.js';
import {
  assertMayManageGroup,
  assertValidGroupMember,
  assertWithinGroupQuota,
  assertWithinGroupSize,
  isUsableGroup,
  parseGroupDescription,
  parseGroupName,
} from './groups.js';
import { judgeShareTargets, shareRefusal } from './sharing.js';
import { combineShares } from './visibility.js';

const code = (fn: () => unknown) => {
  try {
    fn();
    return null;
  } catch (err) {
    assert.ok(err instanceof DomainError);
    return err.code;
  }
};

describe('account groups (issue 12)', () => {
  it('names: trimmed, 1-64 characters, no control characters; descriptions up to 255', () => {
    assert.equal(parseGroupName('  qa team '), 'qa team');
    for (const bad of ['', '   ', 'x'.repeat(65), 'a\u0000b', 'a\nb', 7, null]) {
      assert.equal(
        code(() => parseGroupName(bad)),
        'InvalidInput',
        JSON.stringify(bad),
      );
    }
    assert.equal(parseGroupDescription(undefined), '');
    assert.equal(
      code(() => parseGroupDescription('d'.repeat(256))),
      'InvalidInput',
    );
  });

  it('only the owner (or an admin) sees a group; to anyone else it does not exist', () => {
    const group = { ownerId: '10001' };
    assert.equal(
      code(() => assertMayManageGroup({ accountId: '10001', isAdmin: false }, 'grp-aaaaaaaa', group)),
      null,
    );
    assert.equal(
      code(() => assertMayManageGroup({ accountId: '99999', isAdmin: true }, 'grp-aaaaaaaa', group)),
      null,
    );
    assert.equal(
      code(() => assertMayManageGroup({ accountId: '20002', isAdmin: false }, 'grp-aaaaaaaa', group)),
      'GroupNotFound',
    );
    assert.equal(
      code(() => assertMayManageGroup({ accountId: '10001', isAdmin: false }, 'bad', group)),
      'GroupNotFound',
    );
    assert.equal(isUsableGroup({ ownerId: '10001' }, group), true);
    assert.equal(isUsableGroup({ ownerId: '20002' }, group), false);
  });

  it('limits: group size and groups per account; members are other, existing accounts', () => {
    assert.equal(
      code(() => assertWithinGroupSize('grp-aaaaaaaa', 2, 1, { maxMembersPerGroup: 3 })),
      null,
    );
    assert.equal(
      code(() => assertWithinGroupSize('grp-aaaaaaaa', 3, 1, { maxMembersPerGroup: 3 })),
      'GroupTooLarge',
    );
    assert.equal(
      code(() => assertWithinGroupQuota(1, { maxGroupsPerAccount: 2 })),
      null,
    );
    assert.equal(
      code(() => assertWithinGroupQuota(2, { maxGroupsPerAccount: 2 })),
      'GroupQuotaExceeded',
    );
    const g = { id: 'grp-aaaaaaaa', ownerId: '10001' };
    assert.equal(
      code(() => assertValidGroupMember(g, '10001', true)),
      'InvalidInput',
    );
    assert.equal(
      code(() => assertValidGroupMember(g, '20002', false)),
      'AccountNotFound',
    );
  });

  it("a group takes one place in the share limit, whatever its size; not one of the owner's: not found", () => {
    const image = { id: 'img-aaaaaaaa', ownerId: '10001' };
    const now = '2026-06-01T12:00:00.000Z';
    const verdicts = judgeShareTargets(
      image,
      [
        { accountId: 'grp-aaaaaaaa', exists: true, share: null, groupSize: 400 },
        { accountId: '20002', exists: true, share: null },
        { accountId: 'grp-bbbbbbbb', exists: true, share: null, groupSize: 1 },
      ],
      0,
      { maxAccountsPerImage: 2, maxMembersPerGroup: 500 },
      now,
    );
    assert.deepEqual(
      verdicts.map((v) => v.refusal?.code ?? null),
      [null, null, 'ShareLimitExceeded'],
    );
    const foreign = judgeShareTargets(
      image,
      [{ accountId: 'grp-cccccccc', exists: false, share: null, groupSize: 0 }],
      0,
      { maxAccountsPerImage: 2 },
      now,
    );
    assert.equal(shareRefusal(foreign, 'fail')?.code, 'GroupNotFound');
    const tooBig = judgeShareTargets(
      image,
      [{ accountId: 'grp-dddddddd', exists: true, share: null, groupSize: 6 }],
      0,
      { maxAccountsPerImage: 2, maxMembersPerGroup: 5 },
      now,
    );
    assert.equal(shareRefusal(tooBig, 'fail')?.code, 'GroupTooLarge');
  });

  it('combineShares: live ways only; the direct status while live, else the answer to the groups (pending)', () => {
    const now = '2026-06-01T12:00:00.000Z';
    const past = '2026-06-01T11:00:00.000Z';
    const later = '2026-06-02T00:00:00.000Z';
    const latest = '2026-06-03T00:00:00.000Z';
    assert.equal(combineShares(null, [], null, now), null);
    // A group share past its end grants nothing.
    assert.equal(combineShares(null, [{ expiresAt: past, access: 'launch' }], 'accepted', now), null);
    assert.deepEqual(combineShares(null, [{ expiresAt: later, access: 'launch' }], null, now), {
      status: 'pending',
      expiresAt: later,
      access: 'launch',
    });
    // Direct and groups: the direct status decides; the latest end and the widest access.
    assert.deepEqual(
      combineShares(
        { status: 'rejected', expiresAt: later, access: 'launch' },
        [
          { expiresAt: latest, access: 'launch_and_copy' },
          { expiresAt: past, access: 'launch_and_copy' },
        ],
        'accepted',
        now,
      ),
      { status: 'rejected', expiresAt: latest, access: 'launch_and_copy' },
    );
    // A direct share past its end: the groups decide, with the receiver's answer to them.
    assert.deepEqual(
      combineShares(
        { status: 'rejected', expiresAt: past, access: 'launch_and_copy' },
        [{ expiresAt: null, access: 'launch' }],
        'accepted',
        now,
      ),
      { status: 'accepted', expiresAt: null, access: 'launch' },
    );
  });
});
