// Regressions for what the review of issue 7 found, through the service layer on every database:
// copies start unshared with the default visibility; the right to copy is checked inside the transaction
// that writes the copy; an admin giving an image a new owner respects that owner's quota and drops the
// new owner's own member row.
import { strict as assert } from 'node:assert';
import { after, before, beforeEach, describe, it } from 'node:test';
import { DomainError, type ErrorCode } from '../../src/domain/errors.js';
import type { BlobStore } from '../../src/repositories/blob/blob-store.js';
import type { RequestContext } from '../../src/services/context.js';
import { forEachDatabase } from '../helpers/databases.js';
import { bytes, serviceHarness, type ServiceHarness } from '../helpers/services.js';

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof DomainError, `expected a DomainError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}

/** The real blob store, running `during` (once set) while a copy's data is copied: between check and write. */
function pausingCopies(): { wrap: (blobs: BlobStore) => BlobStore; during?: () => Promise<void> } {
  const hook: { wrap: (blobs: BlobStore) => BlobStore; during?: () => Promise<void> } = {
    // Every method is the real store's; copy runs the hook once the data is copied.
    wrap: (blobs) =>
      new Proxy(blobs, {
        get(target, prop) {
          if (prop === 'copy') {
            return async (key: string, keyPrefix: string) => {
              const copied = await target.copy(key, keyPrefix);
              const during = hook.during;
              hook.during = undefined;
              if (during) await during();
              return copied;
            };
          }
          const value: unknown = Reflect.get(target, prop, target);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      }),
  };
  return hook;
}

forEachDatabase((target) => {
  describe(`review fixes on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let h: ServiceHarness;
    // A fresh owner per test: each has its own quota of 3 per region.
    let owner: RequestContext;
    let receiver: RequestContext;
    const copyHook = pausingCopies();

    before(async () => {
      h = await serviceHarness(target, { 'images.quotaPerRegion': '3' }, { wrapBlobs: copyHook.wrap });
      receiver = await h.account();
    });
    beforeEach(async () => {
      owner = await h.account();
    });
    after(() => h?.close());

    async function activeImage(ctx: RequestContext, name: string) {
      const image = await h.services.images.create(ctx, { name, diskFormat: 'raw', containerFormat: 'bare' });
      return h.services.images.upload(ctx, image.id, bytes(`data of ${name}`));
    }

    it('a copy of a community or private image starts with the default visibility and no shares', async () => {
      for (const visibility of ['community', 'private'] as const) {
        const image = await activeImage(owner, `${visibility} source`);
        await h.services.images.update(owner, image.id, { visibility });
        const copy = await h.services.images.copy(owner, image.id, 'ap-shanghai');
        assert.equal(copy.visibility, 'shared', `copy of a ${visibility} image`);
        const shanghai = { ...owner, region: 'ap-shanghai' };
        assert.deepEqual(await h.services.shares.listMembers(shanghai, copy.id), []);
        await h.services.images.delete(shanghai, copy.id);
      }
    });

    it('a share cancelled while the copy is made leaves no copy (SyncImages by a receiver)', async () => {
      const image = await activeImage(owner, 'shared then cancelled');
      await h.services.shares.addMember(owner, image.id, receiver.caller.accountId, {
        access: 'launch_and_copy',
      });
      const before = await h.services.images.quota(receiver);
      copyHook.during = () => h.services.shares.removeMember(owner, image.id, receiver.caller.accountId);
      await rejectsWith(h.services.images.copy(receiver, image.id, receiver.region), 'ImageNotFound');
      assert.equal(copyHook.during, undefined, 'the cancel ran between the check and the write');
      assert.deepEqual(await h.services.images.quota(receiver), before, 'no copy was written');
    });

    it('a share cancelled while an image is made from an instance leaves no image (CreateImage)', async () => {
      const image = await activeImage(owner, 'launched then cancelled');
      await h.services.shares.addMember(owner, image.id, receiver.caller.accountId, {
        access: 'launch_and_copy',
      });
      const [instance] = await h.services.instances.launch(receiver, image.id);
      const before = await h.services.images.quota(receiver);
      copyHook.during = async () => {
        await h.services.shares.cancelShares(owner, image.id, [receiver.caller.accountId]);
      };
      await rejectsWith(
        h.services.images.createFromInstance(receiver, instance!.id, { name: 'captured' }),
        'ImageNotFound',
      );
      assert.equal(copyHook.during, undefined, 'the cancel ran between the check and the write');
      assert.deepEqual(await h.services.images.quota(receiver), before, 'no image was written');
    });

    it("an admin's owner change counts against the new owner's quota", async () => {
      const admin = await h.account({ admin: true });
      const full = await h.account();
      for (const name of ['one', 'two', 'three']) await h.services.images.create(full, { name });
      const image = await h.services.images.create(owner, { name: 'given away' });
      await rejectsWith(
        h.services.images.update(admin, image.id, { ownerId: full.caller.accountId }),
        'ImageQuotaExceeded',
      );
      assert.equal((await h.services.images.get(owner, image.id)).ownerId, owner.caller.accountId);
      assert.deepEqual(await h.services.images.quota(full), { quota: 3, used: 3 });
    });

    it('an image given to one of its members is not left "shared with its owner"', async () => {
      const admin = await h.account({ admin: true });
      const member = await h.account();
      const other = await h.account();
      const image = await h.services.images.create(owner, { name: 'handed over' });
      await h.services.shares.shareWith(owner, image.id, [member.caller.accountId, other.caller.accountId]);
      await h.services.images.update(admin, image.id, { ownerId: member.caller.accountId });
      const members = await h.services.shares.listMembers(member, image.id);
      assert.deepEqual(
        members.map((m) => m.memberId),
        [other.caller.accountId],
      );
    });
  });
});
