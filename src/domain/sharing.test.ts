// The sharing rules as pure functions: each one shown allowed and refused, with no database.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError, type ErrorCode } from './errors.js';
import {
  assertCopyTarget,
  assertImageTakesMembers,
  assertMayDelete,
  assertMaySetMemberStatus,
  assertShareRequestSize,
  assertUsable,
  assertValidShareTarget,
  assertWithinImageQuota,
  assertWithinShareLimit,
  effectiveConsent,
  isInRegion,
  isShareLive,
  judgeShareTargets,
  parseMemberStatus,
  parseShareExpiry,
  shareRefusal,
  type SharingPolicy,
} from './sharing.js';
import type { Caller, Visibility } from './types.js';

function throwsCode(fn: () => unknown, code: ErrorCode): void {
  assert.throws(fn, (err: unknown) => err instanceof DomainError && err.code === code);
}

const policy: SharingPolicy = { maxAccountsPerImage: 3, deleteShared: 'refuse' };
const owner: Caller = { accountId: '1000000001', isAdmin: false };
const receiver: Caller = { accountId: '1000000002', isAdmin: false };
const admin: Caller = { accountId: '1000000009', isAdmin: true };
const image = { id: 'img-aaaaaaaa', ownerId: owner.accountId, region: 'ap-guangzhou' };

describe('sharing rules (domain, no database)', () => {
  it('rule 1: a request names at most maxAccountsPerImage distinct accounts', () => {
    assertShareRequestSize(3, policy);
    throwsCode(() => assertShareRequestSize(4, policy), 'ShareRequestTooLarge');
  });

  it('rule 1: the accounts there plus the new ones stay within the limit', () => {
    assertWithinShareLimit(image.id, 2, 1, policy);
    assertWithinShareLimit(image.id, 3, 0, policy);
    throwsCode(() => assertWithinShareLimit(image.id, 3, 1, policy), 'ShareLimitExceeded');
    throwsCode(() => assertWithinShareLimit(image.id, 0, 4, policy), 'ShareLimitExceeded');
  });

  it('rule 2: only to an existing account other than the owner', () => {
    assertValidShareTarget(image, receiver.accountId, true);
    throwsCode(() => assertValidShareTarget(image, owner.accountId, true), 'ShareWithSelf');
    throwsCode(() => assertValidShareTarget(image, receiver.accountId, false), 'AccountNotFound');
  });

  it('rule 2: an image is in its own region only', () => {
    assert.equal(isInRegion(image, 'ap-guangzhou'), true);
    assert.equal(isInRegion(image, 'ap-shanghai'), false);
  });

  it('rule 3: only "shared" images take members', () => {
    assertImageTakesMembers({ id: image.id, visibility: 'shared' });
    for (const visibility of ['private', 'public', 'community'] as Visibility[]) {
      throwsCode(() => assertImageTakesMembers({ id: image.id, visibility }), 'ImageNotShareable');
    }
  });

  it('rule 3: launching and copying need an active image', () => {
    assertUsable({ id: image.id, status: 'active' });
    for (const status of ['queued', 'saving', 'deactivated', 'killed'] as const) {
      throwsCode(() => assertUsable({ id: image.id, status }), 'InvalidImageStatus');
    }
  });

  it('rule 5: a shared image is not deleted under "refuse"; "cancel-shares" deletes it; protected never', () => {
    assertMayDelete({ id: image.id, protected: false }, 0, policy);
    throwsCode(() => assertMayDelete({ id: image.id, protected: false }, 1, policy), 'ImageInShared');
    assertMayDelete({ id: image.id, protected: false }, 1, { deleteShared: 'cancel-shares' });
    throwsCode(
      () => assertMayDelete({ id: image.id, protected: true }, 0, { deleteShared: 'cancel-shares' }),
      'ImageProtected',
    );
  });

  it('rule 6: the owner quota counts what is owned plus what is added', () => {
    assertWithinImageQuota(1, 1, 2);
    throwsCode(() => assertWithinImageQuota(2, 1, 2), 'ImageQuotaExceeded');
    throwsCode(() => assertWithinImageQuota(0, 3, 2), 'ImageQuotaExceeded');
  });

  it('rule 7: owners and admins copy to other regions; receivers into their own image in its region', () => {
    assertCopyTarget(image, owner, 'ap-shanghai');
    assertCopyTarget(image, admin, 'ap-shanghai');
    throwsCode(() => assertCopyTarget(image, owner, 'ap-guangzhou'), 'InvalidCopyTarget');
    throwsCode(() => assertCopyTarget(image, admin, 'ap-guangzhou'), 'InvalidCopyTarget');
    assertCopyTarget(image, receiver, 'ap-guangzhou');
    throwsCode(() => assertCopyTarget(image, receiver, 'ap-shanghai'), 'InvalidCopyTarget');
  });

  it('rule 8: only the member itself (or an admin) sets its status, to one of the three', () => {
    assertMaySetMemberStatus(receiver, image.id, receiver.accountId);
    assertMaySetMemberStatus(admin, image.id, receiver.accountId);
    throwsCode(() => assertMaySetMemberStatus(owner, image.id, receiver.accountId), 'Forbidden');
    assert.equal(parseMemberStatus('accepted'), 'accepted');
    throwsCode(() => parseMemberStatus('approved'), 'InvalidInput');
    throwsCode(() => parseMemberStatus(undefined), 'InvalidInput');
  });
});

describe('share terms and verdicts (issue 12)', () => {
  const NOW = '2026-06-01T12:00:00.000Z';
  const image = { id: 'img-abcdefgh', ownerId: '100001' };
  const policy = { maxAccountsPerImage: 3 };
  const target = (accountId: string, share: { expiresAt: string | null } | null = null, exists = true) => ({
    accountId,
    exists,
    share,
  });

  it('a share is live until its end time, and not at that instant', () => {
    assert.equal(isShareLive({ expiresAt: null }, NOW), true);
    assert.equal(isShareLive({ expiresAt: '2026-06-01T12:00:00.001Z' }, NOW), true);
    assert.equal(isShareLive({ expiresAt: NOW }, NOW), false);
  });

  it('an end time must carry a zone, lie ahead, and within ten years; it is stored in one form', () => {
    assert.equal(parseShareExpiry('2026-06-01T14:00:00+01:00', NOW), '2026-06-01T13:00:00.000Z');
    assert.equal(parseShareExpiry(null, NOW), null);
    for (const bad of [
      '2026-06-01T13:00:00',
      'tomorrow',
      NOW,
      '2020-01-01T00:00:00Z',
      '2040-01-01T00:00:00Z',
    ]) {
      assert.throws(
        () => parseShareExpiry(bad, NOW),
        (e: DomainError) => e.code === 'InvalidInput',
        bad,
      );
    }
    assert.equal(parseShareExpiry('2026-06-01T12:00:01Z', NOW), '2026-06-01T12:00:01.000Z');
  });

  it("consent: the image's setting, else the owner's default, else listing", () => {
    assert.equal(effectiveConsent(null, null), 'listing');
    assert.equal(effectiveConsent(null, 'launch'), 'launch');
    assert.equal(effectiveConsent('listing', 'launch'), 'listing');
  });

  it('judges each account once: self, unknown, already shared, renewal of an ended share, limit', () => {
    const verdicts = judgeShareTargets(
      image,
      [
        target('200001'),
        target('100001'),
        target('200002', null, false),
        target('200003', { expiresAt: null }),
        target('200004', { expiresAt: NOW }),
        target('200005'),
        target('200006'),
      ],
      1, // one live share already (200003)
      policy,
      NOW,
    );
    assert.deepEqual(
      verdicts.map((v) => [v.accountId, v.refusal?.code ?? null, v.renews]),
      [
        ['200001', null, false],
        ['100001', 'ShareWithSelf', false],
        ['200002', 'AccountNotFound', false],
        ['200003', 'MemberAlreadyExists', false],
        ['200004', null, true],
        ['200005', 'ShareLimitExceeded', false],
        ['200006', 'ShareLimitExceeded', false],
      ],
    );
    // The whole request meets the first invalid account, then the limit (all new ones counted), then duplicates.
    assert.equal(shareRefusal(verdicts, 'skip')?.code, 'ShareWithSelf');
    const valid = verdicts.filter(
      (v) => !['ShareWithSelf', 'AccountNotFound'].includes(v.refusal?.code ?? ''),
    );
    const limit = shareRefusal(valid, 'skip');
    assert.equal(limit?.code, 'ShareLimitExceeded');
    assert.equal(limit?.details.attempted, 5);
    const noLimit = valid.filter((v) => v.refusal?.code !== 'ShareLimitExceeded');
    assert.equal(shareRefusal(noLimit, 'fail')?.code, 'MemberAlreadyExists');
    assert.equal(shareRefusal(noLimit, 'skip'), null);
  });
});
