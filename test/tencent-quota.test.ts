// Rule 6 through Tencent's API: shared images cost the receiver no quota; copying one into an own image does.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachDatabase } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { createActiveImage, cvmClient, sdkErrorCode } from './helpers/tencent.js';

forEachDatabase((target) => {
  describe(`Tencent image quota on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer({ target, overrides: { 'images.quotaPerRegion': '1' } });
    });
    after(async () => t.close());

    it('a receiver at its quota still gets, sees and launches shares, but cannot copy one (ImageQuotaLimitExceeded)', async () => {
      const region = t.config.regions[0] as string;
      const make = (accountId: string, name: string) =>
        createActiveImage(
          t.server.services,
          { caller: { accountId, isAdmin: false }, region, surface: 'tencent' },
          name,
        );
      const owner = await t.createAccount();
      const receiver = await t.createAccount();
      const ownerClient = cvmClient(t.url, await t.server.services.apiKeys.create(owner.id), { region });
      const receiverClient = cvmClient(t.url, await t.server.services.apiKeys.create(receiver.id), {
        region,
      });
      const sharedId = await make(owner.id, 'shared');
      await make(receiver.id, 'receiver-own'); // the receiver is now at its quota of 1

      assert.equal((await receiverClient.DescribeImageQuota()).ImageNumQuota, 1);
      // With the copy grant (issue 12), so that the quota is what refuses the copy below.
      await ownerClient.ModifyImageSharePermission({
        ImageId: sharedId,
        AccountIds: [receiver.id],
        Permission: 'SHARE',
        ShareAccess: 'LAUNCH_AND_COPY',
      } as Parameters<typeof ownerClient.ModifyImageSharePermission>[0]);
      const seen = await receiverClient.DescribeImages({
        Filters: [{ Name: 'image-type', Values: ['SHARED_IMAGE'] }],
      });
      assert.deepEqual(
        seen.ImageSet?.map((i) => i.ImageId),
        [sharedId],
      );
      assert.equal((await receiverClient.RunInstances({ ImageId: sharedId })).InstanceIdSet?.length, 1);
      assert.equal(
        await sdkErrorCode(() =>
          receiverClient.SyncImages({ ImageIds: [sharedId], DestinationRegions: [region] }),
        ),
        'ImageQuotaLimitExceeded',
      );
    });
  });
});
