// Who sees which image through Tencent's APIs, and what a caller who sees an image it may not change is told
// (issue 7's findings): admins list the images they may share or delete; a public image of another account
// is "not yours" on rename and delete, never "shared with you", while a receiver of a share is still told so.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachDatabase } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import {
  createActiveImage,
  cvmClient,
  paramsRequest,
  type CvmClientType,
  type Key,
} from './helpers/tencent.js';
import type { RequestContext } from '../src/services/context.js';

const REGION = 'ap-guangzhou';

interface Party {
  id: string;
  key: Key;
  cvm: CvmClientType;
  ctx: RequestContext;
}

/** The SDK exception of a call expected to fail. */
async function sdkError(call: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await call();
  } catch (err) {
    const { code, message } = err as { code?: string; message?: string };
    return { code: code ?? '', message: message ?? '' };
  }
  throw new Error('the call succeeded but was expected to fail');
}

forEachDatabase((target) => {
  describe(`Tencent visibility on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    let owner: Party;
    let receiver: Party;
    let stranger: Party;
    let admin: Party;

    async function party(isAdmin = false): Promise<Party> {
      const account = await t.createAccount({ admin: isAdmin });
      const key = await t.server.services.apiKeys.create(account.id);
      return {
        id: account.id,
        key,
        cvm: cvmClient(t.url, key, { region: REGION }),
        ctx: { caller: { accountId: account.id, isAdmin }, region: REGION, surface: 'tencent' },
      };
    }

    async function legacy(p: Party, params: Record<string, string>) {
      const res = await paramsRequest(t.url, p.key, { Region: 'gz', ...params }, { path: '/v2/index.php' });
      assert.equal(res.status, 200);
      return res.body as unknown as Record<string, unknown>;
    }

    /** Images of the owner: one private, one shared with the receiver, one public (made so by the admin). */
    async function ownersImages() {
      const privateId = await createActiveImage(t.server.services, owner.ctx, 'private');
      await t.server.services.images.update(owner.ctx, privateId, { visibility: 'private' });
      const sharedId = await createActiveImage(t.server.services, owner.ctx, 'shared');
      await t.server.services.shares.addMember(owner.ctx, sharedId, receiver.id);
      const publicId = await createActiveImage(t.server.services, owner.ctx, 'public');
      await t.server.services.images.update(admin.ctx, publicId, { visibility: 'public' });
      return { privateId, sharedId, publicId };
    }

    before(async () => {
      t = await startTestServer({ target, overrides: { regions: `${REGION},ap-shanghai` } });
      owner = await party();
      receiver = await party();
      stranger = await party();
      admin = await party(true);
    });
    after(() => t?.close());

    it('an admin lists the images it may share and delete (PRIVATE_IMAGE), public ones as PUBLIC_IMAGE', async () => {
      const { privateId, sharedId, publicId } = await ownersImages();
      const ids = [privateId, sharedId, publicId];
      const all = await admin.cvm.DescribeImages({ ImageIds: ids });
      assert.equal(all.TotalCount, 3);
      const typeOf = new Map(all.ImageSet?.map((i) => [i.ImageId, i.ImageType]));
      assert.equal(typeOf.get(privateId), 'PRIVATE_IMAGE');
      assert.equal(typeOf.get(sharedId), 'PRIVATE_IMAGE');
      assert.equal(typeOf.get(publicId), 'PUBLIC_IMAGE');
      assert.equal(all.ImageSet?.find((i) => i.ImageId === privateId)?.ImageCreator, owner.id);

      const managed = await admin.cvm.DescribeImages({
        Filters: [{ Name: 'image-type', Values: ['PRIVATE_IMAGE'] }],
      });
      const managedIds = managed.ImageSet?.map((i) => i.ImageId) ?? [];
      assert.ok(managedIds.includes(privateId) && managedIds.includes(sharedId), managedIds.join());
      assert.ok(!managedIds.includes(publicId));

      // The legacy list (imageType 1: private) shows them too.
      const legacyList = await legacy(admin, {
        Action: 'DescribeImages',
        imageType: '1',
        'imageIds.0': privateId,
      });
      assert.equal(legacyList.code, 0, JSON.stringify(legacyList));
      assert.equal(legacyList.totalCount, 1);

      // What it lists it may indeed manage: the share permissions, and deleting.
      const shares = await admin.cvm.DescribeImageSharePermission({ ImageId: sharedId });
      assert.deepEqual(
        shares.SharePermissionSet?.map((s) => s.AccountId),
        [receiver.id],
      );
      await admin.cvm.DeleteImages({ ImageIds: [privateId] });
      assert.equal((await owner.cvm.DescribeImages({ ImageIds: [privateId] })).TotalCount, 0);

      // Other accounts still see only their own, public and shared-with-them images.
      const seenByStranger = await stranger.cvm.DescribeImages({ ImageIds: ids });
      assert.deepEqual(
        seenByStranger.ImageSet?.map((i) => [i.ImageId, i.ImageType]),
        [[publicId, 'PUBLIC_IMAGE']],
      );
      const seenByReceiver = await receiver.cvm.DescribeImages({ ImageIds: ids });
      assert.deepEqual(
        seenByReceiver.ImageSet?.map((i) => [i.ImageId, i.ImageType]).sort(),
        [
          [publicId, 'PUBLIC_IMAGE'],
          [sharedId, 'SHARED_IMAGE'],
        ].sort(),
      );
    });

    it('renaming a public image of another account: not your image, not "shared with you"', async () => {
      const { sharedId, publicId } = await ownersImages();
      const refused = await sdkError(() =>
        stranger.cvm.ModifyImageAttribute({ ImageId: publicId, ImageName: 'x' }),
      );
      assert.equal(refused.code, 'UnauthorizedOperation.ImageNotBelongToAccount');
      assert.doesNotMatch(refused.message, /shared/i);
      assert.match(refused.message, /only its owner/);

      const viaLegacy = await legacy(stranger, {
        Action: 'ModifyImageAttributes',
        imageId: publicId,
        imageName: 'x',
      });
      assert.equal(viaLegacy.codeDesc, 'UnauthorizedOperation.ImageNotBelongToAccount');
      assert.equal(viaLegacy.code, 4110);
      assert.doesNotMatch(String(viaLegacy.message), /shared/i);

      // The receiver of a share is still told the image was shared with it.
      const receiverRefused = await sdkError(() =>
        receiver.cvm.ModifyImageAttribute({ ImageId: sharedId, ImageName: 'x' }),
      );
      assert.equal(receiverRefused.code, 'UnsupportedOperation.SharedImageModifyUnsupported');
      assert.match(receiverRefused.message, /shared with you/);
      assert.equal(
        (await owner.cvm.DescribeImages({ ImageIds: [publicId] })).ImageSet?.[0]?.ImageName,
        'public',
      );
    });

    it('deleting a public image of another account: not your image, not InvalidImageIdIsShared', async () => {
      const { sharedId, publicId } = await ownersImages();
      const refused = await sdkError(() => stranger.cvm.DeleteImages({ ImageIds: [publicId] }));
      assert.equal(refused.code, 'UnauthorizedOperation.ImageNotBelongToAccount');

      const viaLegacy = await legacy(stranger, { Action: 'DeleteImages', 'imageIds.0': publicId });
      const detail = (viaLegacy.detail as Record<string, { code: number; codeDesc: string }>)[publicId];
      assert.equal(detail?.codeDesc, 'UnauthorizedOperation.ImageNotBelongToAccount');
      assert.equal(detail?.code, 4110);

      // The receiver of a share is told the image is shared with it, in both dialects.
      const receiverRefused = await sdkError(() => receiver.cvm.DeleteImages({ ImageIds: [sharedId] }));
      assert.equal(receiverRefused.code, 'InvalidParameterValue.InvalidImageIdIsShared');
      const receiverLegacy = await legacy(receiver, { Action: 'DeleteImages', 'imageIds.0': sharedId });
      assert.equal(
        (receiverLegacy.detail as Record<string, { codeDesc: string }>)[sharedId]?.codeDesc,
        'InvalidParameterValue.InvalidImageIdIsShared',
      );
      assert.equal((await owner.cvm.DescribeImages({ ImageIds: [publicId, sharedId] })).TotalCount, 2);
    });
  });
});
