// The sharing rules of DESIGN.md, each shown allowed and refused, through the service layer on every
// database. The HTTP suites show the same rules through each API's own envelope.
import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { DomainError, type ErrorCode } from '../../src/domain/errors.js';
import type { RequestContext } from '../../src/services/context.js';
import { forEachDatabase } from '../helpers/databases.js';
import { bytes, inRegion, serviceHarness, type ServiceHarness } from '../helpers/services.js';

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof DomainError, `expected a DomainError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}

const OTHER_REGION = 'ap-shanghai';

forEachDatabase((target) => {
  describe(`sharing rules on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let h: ServiceHarness;
    let owner: RequestContext;
    let receiver: RequestContext;
    let stranger: RequestContext;

    before(async () => {
      h = await serviceHarness(target);
      owner = await h.account();
      receiver = await h.account();
      stranger = await h.account();
    });
    after(() => h?.close());

    async function activeImage(ctx = owner, name = 'base') {
      const image = await h.services.images.create(ctx, { name, diskFormat: 'raw', containerFormat: 'bare' });
      return h.services.images.upload(ctx, image.id, bytes(`data of ${name}`));
    }

    it('rule 1: the owner shares up to the limit; one more is refused', async () => {
      const image = await activeImage();
      const accounts = await Promise.all(Array.from({ length: 51 }, () => h.account()));
      for (const a of accounts.slice(0, 50))
        await h.services.shares.addMember(owner, image.id, a.caller.accountId);
      await rejectsWith(
        h.services.shares.addMember(owner, image.id, (accounts[50] as RequestContext).caller.accountId),
        'ShareLimitExceeded',
      );
      assert.equal((await h.services.shares.listMembers(owner, image.id)).length, 50);
      // After cancelling one share there is room again.
      await h.services.shares.removeMember(owner, image.id, (accounts[0] as RequestContext).caller.accountId);
      await h.services.shares.addMember(owner, image.id, (accounts[50] as RequestContext).caller.accountId);
      assert.equal((await h.services.shares.listMembers(owner, image.id)).length, 50);
    });

    // A real race on PostgreSQL only (fails without the image's row lock, ImageRepository.findForUpdate);
    // in-process SQLite runs the transactions one at a time, so there it cannot fail. Across two processes:
    // test/glance-two-nodes.test.ts.
    it('rule 1: 100 concurrent additions from 100 accounts end with exactly 50 members', async () => {
      const image = await activeImage();
      const accounts = await Promise.all(Array.from({ length: 100 }, () => h.account()));
      const results = await Promise.allSettled(
        accounts.map((a) => h.services.shares.addMember(owner, image.id, a.caller.accountId)),
      );
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      const refused = results.filter(
        (r) =>
          r.status === 'rejected' &&
          r.reason instanceof DomainError &&
          r.reason.code === 'ShareLimitExceeded',
      ).length;
      assert.equal(ok, 50);
      assert.equal(refused, 50);
      assert.equal((await h.services.shares.listMembers(owner, image.id)).length, 50);
    });

    it('rule 1: the limit is configurable, and Tencent-style batches are all or nothing', async () => {
      const small = await serviceHarness(target, { 'sharing.maxAccountsPerImage': '2' });
      try {
        const o = await small.account();
        const [a, b, c] = await Promise.all([small.account(), small.account(), small.account()]);
        const image = await small.services.images.create(o, { name: 'x' });
        // More accounts in one request than an image can ever have: refused as such (Tencent's own code).
        await rejectsWith(
          small.services.shares.shareWith(o, image.id, [
            a.caller.accountId,
            b.caller.accountId,
            c.caller.accountId,
          ]),
          'ShareRequestTooLarge',
        );
        assert.equal((await small.services.shares.listMembers(o, image.id)).length, 0, 'nothing shared');
        // A request that fits on its own but not next to the shares there already: the image is full.
        await small.services.shares.shareWith(o, image.id, [a.caller.accountId]);
        await rejectsWith(
          small.services.shares.shareWith(o, image.id, [b.caller.accountId, c.caller.accountId]),
          'ShareLimitExceeded',
        );
        assert.equal((await small.services.shares.listMembers(o, image.id)).length, 1, 'nothing added');
        await small.services.shares.shareWith(o, image.id, [a.caller.accountId, b.caller.accountId]);
        // Repeating a share is harmless; a batch with an unknown account changes nothing.
        await small.services.shares.shareWith(o, image.id, [a.caller.accountId]);
        await rejectsWith(small.services.shares.shareWith(o, image.id, ['99999999999']), 'AccountNotFound');
        assert.equal((await small.services.shares.listMembers(o, image.id)).length, 2);
      } finally {
        await small.close();
      }
    });

    it('rule 1: only the owner shares or cancels; a receiver cannot share onward', async () => {
      const image = await activeImage();
      await h.services.shares.addMember(owner, image.id, receiver.caller.accountId);
      await rejectsWith(
        h.services.shares.addMember(receiver, image.id, stranger.caller.accountId),
        'NotImageOwner',
      );
      await rejectsWith(
        h.services.shares.removeMember(receiver, image.id, receiver.caller.accountId),
        'NotImageOwner',
      );
      await rejectsWith(
        h.services.shares.cancelShares(receiver, image.id, [receiver.caller.accountId]),
        'NotImageOwner',
      );
      await rejectsWith(
        h.services.shares.addMember(stranger, image.id, stranger.caller.accountId),
        'ImageNotFound',
      );
      assert.deepEqual(
        (await h.services.shares.listMembers(owner, image.id)).map((m) => m.memberId),
        [receiver.caller.accountId],
      );
      await h.services.shares.cancelShares(owner, image.id, [receiver.caller.accountId]);
      assert.equal((await h.services.shares.listMembers(owner, image.id)).length, 0);
      await rejectsWith(h.services.images.get(receiver, image.id), 'ImageNotFound');
    });

    it('rule 2: only to an existing account other than the owner', async () => {
      const image = await activeImage();
      await rejectsWith(
        h.services.shares.addMember(owner, image.id, owner.caller.accountId),
        'ShareWithSelf',
      );
      await rejectsWith(h.services.shares.addMember(owner, image.id, '123456789012'), 'AccountNotFound');
      await rejectsWith(h.services.shares.addMember(owner, image.id, 'not-an-account'), 'AccountNotFound');
      const disabled = await h.account();
      await h.services.accounts.disable(disabled.caller.accountId);
      await rejectsWith(
        h.services.shares.addMember(owner, image.id, disabled.caller.accountId),
        'AccountNotFound',
      );
      const member = await h.services.shares.addMember(owner, image.id, receiver.caller.accountId);
      assert.equal(member.status, 'pending');
      await rejectsWith(
        h.services.shares.addMember(owner, image.id, receiver.caller.accountId),
        'MemberAlreadyExists',
      );
    });

    it('rule 2: a share holds only in the image region', async () => {
      const image = await activeImage();
      await h.services.shares.addMember(owner, image.id, receiver.caller.accountId);
      await h.services.shares.setMemberStatus(receiver, image.id, receiver.caller.accountId, 'accepted');
      // In the image's region the receiver sees, lists and launches it ...
      assert.equal((await h.services.images.get(receiver, image.id)).id, image.id);
      const here = await h.services.images.list(receiver, {
        limit: 100,
        sort: [],
        memberStatus: 'accepted',
        filters: {},
      });
      assert.ok(here.images.some((i) => i.id === image.id));
      assert.equal((await h.services.instances.launch(receiver, image.id)).length, 1);
      // ... through another region's endpoint it does not exist, for the receiver and the owner alike.
      const away = inRegion(receiver, OTHER_REGION);
      await rejectsWith(h.services.images.get(away, image.id), 'ImageNotFound');
      await rejectsWith(h.services.instances.launch(away, image.id), 'ImageNotFound');
      await rejectsWith(h.services.images.get(inRegion(owner, OTHER_REGION), image.id), 'ImageNotFound');
      const there = await h.services.images.list(away, {
        limit: 100,
        sort: [],
        memberStatus: 'all',
        filters: {},
      });
      assert.ok(!there.images.some((i) => i.id === image.id));
    });

    it('rule 3: only images with visibility "shared" take members; launching needs an active image', async () => {
      const priv = await h.services.images.create(owner, { name: 'p', visibility: 'private' });
      await rejectsWith(
        h.services.shares.addMember(owner, priv.id, receiver.caller.accountId),
        'ImageNotShareable',
      );
      const queued = await h.services.images.create(owner, { name: 'q' });
      assert.equal(queued.visibility, 'shared', 'new images default to shared');
      await h.services.shares.addMember(owner, queued.id, receiver.caller.accountId);
      await rejectsWith(h.services.instances.launch(receiver, queued.id), 'InvalidImageStatus');
      // Making a shared image private keeps the rows but ends the receiver's access.
      await h.services.images.update(owner, queued.id, { visibility: 'private' });
      await rejectsWith(h.services.images.get(receiver, queued.id), 'ImageNotFound');
    });

    it('rule 4: a receiver reads, downloads and launches; it changes nothing', async () => {
      const image = await activeImage(owner, 'ro');
      await h.services.shares.addMember(owner, image.id, receiver.caller.accountId);
      assert.equal((await h.services.images.get(receiver, image.id)).name, 'ro');
      const data = await h.services.images.openData(receiver, image.id);
      assert.ok(data.stream);
      let text = '';
      for await (const chunk of data.stream) text += chunk;
      assert.equal(text, 'data of ro');
      await h.services.instances.launch(receiver, image.id, { count: 2, name: 'web' });

      await rejectsWith(
        h.services.images.update(receiver, image.id, { name: 'mine' }),
        'SharedImageModifyUnsupported',
      );
      await rejectsWith(
        h.services.images.update(receiver, image.id, { description: 'x' }),
        'SharedImageModifyUnsupported',
      );
      await rejectsWith(h.services.images.update(receiver, image.id, { minRam: 5 }), 'NotImageOwner');
      await rejectsWith(h.services.images.addTag(receiver, image.id, 't'), 'NotImageOwner');
      await rejectsWith(h.services.images.delete(receiver, image.id), 'NotImageOwner');
      await rejectsWith(h.services.images.deactivate(receiver, image.id), 'NotImageOwner');
      await rejectsWith(h.services.images.upload(receiver, image.id, bytes('x')), 'NotImageOwner');
      const unchanged = await h.services.images.get(owner, image.id);
      assert.equal(unchanged.name, 'ro');
      assert.equal(unchanged.minRam, 0);
      assert.deepEqual(unchanged.tags, []);
      // The owner may do all of it.
      await h.services.images.update(owner, image.id, { name: 'renamed', minRam: 5 });
      assert.equal((await h.services.images.get(receiver, image.id)).name, 'renamed');
    });

    it('rule 4: a stranger gets "not found" for the image, its members and its data', async () => {
      const image = await activeImage();
      await h.services.shares.addMember(owner, image.id, receiver.caller.accountId);
      await rejectsWith(h.services.images.get(stranger, image.id), 'ImageNotFound');
      await rejectsWith(h.services.shares.listMembers(stranger, image.id), 'ImageNotFound');
      await rejectsWith(
        h.services.shares.getMember(stranger, image.id, receiver.caller.accountId),
        'ImageNotFound',
      );
      await rejectsWith(h.services.images.openData(stranger, image.id), 'ImageNotFound');
      await rejectsWith(h.services.images.update(stranger, image.id, { name: 'x' }), 'ImageNotFound');
      await rejectsWith(h.services.images.delete(stranger, image.id), 'ImageNotFound');
      await rejectsWith(h.services.instances.launch(stranger, image.id), 'ImageNotFound');
    });

    it('rule 5: a shared image cannot be deleted until its shares are cancelled', async () => {
      const image = await activeImage();
      await h.services.shares.addMember(owner, image.id, receiver.caller.accountId);
      await rejectsWith(h.services.images.delete(owner, image.id), 'ImageInShared');
      assert.equal((await h.services.images.get(owner, image.id)).status, 'active');
      await h.services.shares.removeMember(owner, image.id, receiver.caller.accountId);
      await h.services.images.delete(owner, image.id);
      await rejectsWith(h.services.images.get(owner, image.id), 'ImageNotFound');
      // Deleted IDs are never handed out again.
      const admin = await h.account({ admin: true });
      await rejectsWith(h.services.images.create(admin, { id: image.id }), 'Conflict');
      await rejectsWith(h.services.images.create(owner, { id: image.id }), 'Forbidden');
    });

    it('rule 5: with deleteShared=cancel-shares (Glance), deleting removes the shares and the data', async () => {
      // No recycle bin: the delete takes the data at once (the bin's path is test/image-lifecycle.test.ts's).
      const glance = await serviceHarness(target, {
        'images.deleteShared': 'cancel-shares',
        'images.recycleBinDays': '0',
      });
      try {
        const o = await glance.account();
        const r = await glance.account();
        const created = await glance.services.images.create(o, {
          diskFormat: 'raw',
          containerFormat: 'bare',
        });
        await glance.services.images.upload(o, created.id, bytes('abc'));
        await glance.services.shares.addMember(o, created.id, r.caller.accountId);
        assert.equal(readdirSync(glance.blobDir).filter((f) => !f.startsWith('.')).length, 1);
        await glance.services.images.delete(o, created.id);
        await rejectsWith(glance.services.images.get(r, created.id), 'ImageNotFound');
        assert.equal(readdirSync(glance.blobDir).filter((f) => !f.startsWith('.')).length, 0, 'data removed');
      } finally {
        await glance.close();
      }
    });

    it('rule 5: a protected image cannot be deleted', async () => {
      const image = await h.services.images.create(owner, { protected: true });
      await rejectsWith(h.services.images.delete(owner, image.id), 'ImageProtected');
      await h.services.images.update(owner, image.id, { protected: false });
      await h.services.images.delete(owner, image.id);
    });

    it('rule 6: shared images cost the receiver no quota; the owner quota counts its own images per region', async () => {
      const q = await serviceHarness(target, { 'images.quotaPerRegion': '1' });
      try {
        const o = await q.account();
        const r = await q.account();
        const first = await q.services.images.create(o, { name: 'one' });
        await rejectsWith(q.services.images.create(o, { name: 'two' }), 'ImageQuotaExceeded');
        // The quota is per region: another region has room.
        await q.services.images.create(inRegion(o, OTHER_REGION), { name: 'two elsewhere' });
        // The receiver owns one image and still receives a share.
        await q.services.images.create(r, { name: 'own' });
        await q.services.shares.addMember(o, first.id, r.caller.accountId);
        assert.deepEqual(await q.services.images.quota(r), { quota: 1, used: 1 });
      } finally {
        await q.close();
      }
    });

    it('rule 7: to share in another region, copy the image there; a copy carries no shares', async () => {
      const image = await activeImage(owner, 'to-copy');
      await h.services.shares.addMember(owner, image.id, receiver.caller.accountId);
      const copy = await h.services.images.copy(owner, image.id, OTHER_REGION);
      assert.equal(copy.region, OTHER_REGION);
      assert.equal(copy.checksum, image.checksum);
      const ownerThere = inRegion(owner, OTHER_REGION);
      assert.deepEqual(await h.services.shares.listMembers(ownerThere, copy.id), []);
      await rejectsWith(h.services.images.get(inRegion(receiver, OTHER_REGION), copy.id), 'ImageNotFound');
      await h.services.shares.addMember(ownerThere, copy.id, receiver.caller.accountId);
      assert.equal((await h.services.images.get(inRegion(receiver, OTHER_REGION), copy.id)).id, copy.id);
      // A receiver may copy a shared image into its own image only with the owner's grant (issue 12) ...
      await rejectsWith(h.services.images.copy(receiver, image.id, image.region), 'CopyNotGranted');
      await h.services.shares.setShareTerms(owner, image.id, receiver.caller.accountId, {
        access: 'launch_and_copy',
      });
      // ... and in the same region only.
      const own = await h.services.images.copy(receiver, image.id, image.region);
      assert.equal(own.ownerId, receiver.caller.accountId);
      await rejectsWith(h.services.images.copy(receiver, image.id, OTHER_REGION), 'InvalidCopyTarget');
      // An owner copies to other regions: a copy in the same region is not what SyncImages is for.
      await rejectsWith(h.services.images.copy(owner, image.id, image.region), 'InvalidCopyTarget');
      await rejectsWith(h.services.images.copy(owner, image.id, 'nowhere-1'), 'RegionNotFound');
    });

    it('rule 8: member status decides listing, not access; only the member sets it', async () => {
      const image = await activeImage(owner, 'listing');
      await h.services.shares.addMember(owner, image.id, receiver.caller.accountId);
      const listed = async (memberStatus: 'accepted' | 'pending' | 'rejected' | 'all') =>
        (
          await h.services.images.list(receiver, { limit: 1000, sort: [], memberStatus, filters: {} })
        ).images.some((i) => i.id === image.id);
      assert.equal(await listed('accepted'), false, 'pending shares are not in the default list');
      assert.equal(await listed('pending'), true);
      assert.equal((await h.services.images.get(receiver, image.id)).id, image.id, 'pending member can read');
      await h.services.instances.launch(receiver, image.id);

      await rejectsWith(
        h.services.shares.setMemberStatus(owner, image.id, receiver.caller.accountId, 'accepted'),
        'Forbidden',
      );
      await rejectsWith(
        h.services.shares.setMemberStatus(stranger, image.id, receiver.caller.accountId, 'accepted'),
        'ImageNotFound',
      );
      await h.services.shares.setMemberStatus(receiver, image.id, receiver.caller.accountId, 'accepted');
      assert.equal(await listed('accepted'), true);
      await h.services.shares.setMemberStatus(receiver, image.id, receiver.caller.accountId, 'rejected');
      assert.equal(await listed('accepted'), false);
      assert.equal(await listed('rejected'), true);
      await h.services.instances.launch(receiver, image.id);
      // Tencent has no acceptance step: SHARED_IMAGE lists pending and accepted shares, not rejected ones.
      const tencent = await h.services.images.describe(receiver, {
        kinds: ['shared'],
        filters: {},
        offset: 0,
        limit: 100,
      });
      assert.ok(!tencent.images.some((i) => i.id === image.id));
      await h.services.shares.setMemberStatus(receiver, image.id, receiver.caller.accountId, 'pending');
      const again = await h.services.images.describe(receiver, {
        kinds: ['shared'],
        filters: {},
        offset: 0,
        limit: 100,
      });
      assert.ok(again.images.some((i) => i.id === image.id));
      // A member sees only its own membership row.
      const other = await h.account();
      await h.services.shares.addMember(owner, image.id, other.caller.accountId);
      assert.deepEqual(
        (await h.services.shares.listMembers(receiver, image.id)).map((m) => m.memberId),
        [receiver.caller.accountId],
      );
      await rejectsWith(
        h.services.shares.getMember(receiver, image.id, other.caller.accountId),
        'MemberNotFound',
      );
      assert.equal((await h.services.shares.listMembers(owner, image.id)).length, 2);
    });
  });
});
