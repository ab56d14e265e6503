// Tencent API 3.0 image, sharing and instance actions through the official Node SDK, with three accounts
// (owner, receiver, stranger) and every sharing rule; cross-API checks against Glance's members routes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachDatabase } from './helpers/databases.js';
import { startTestServer, type TestAccount, type TestServer } from './helpers/server.js';
import {
  createActiveImage,
  cvmClient,
  sdkErrorCode,
  tc3Request,
  type CvmClientType,
  type Key,
} from './helpers/tencent.js';
import type { RequestContext } from '../src/services/context.js';

const TENCENT_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

interface Party {
  account: TestAccount;
  key: Key;
  gz: CvmClientType;
  sh: CvmClientType;
  ctx: RequestContext;
}

forEachDatabase((target) => {
  describe(`Tencent image actions on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    let owner: Party;
    let receiver: Party;
    let stranger: Party;
    const extra: TestAccount[] = [];

    async function party(): Promise<Party> {
      const account = await t.createAccount();
      const key = await t.server.services.apiKeys.create(account.id);
      return {
        account,
        key,
        gz: cvmClient(t.url, key, { region: 'ap-guangzhou' }),
        sh: cvmClient(t.url, key, { region: 'ap-shanghai' }),
        ctx: {
          caller: { accountId: account.id, isAdmin: false },
          region: 'ap-guangzhou',
          surface: 'tencent',
        },
      };
    }

    /** An active image of `p` in its region, with 4 bytes of data. */
    /** An active image of `p` in its region, with 4 bytes of data. */
    const image = (p: Party, name: string, region = 'ap-guangzhou') =>
      createActiveImage(t.server.services, { ...p.ctx, region }, name);

    before(async () => {
      t = await startTestServer({
        target,
        overrides: { regions: 'ap-guangzhou,ap-shanghai', 'sharing.maxAccountsPerImage': '4' },
      });
      owner = await party();
      receiver = await party();
      stranger = await party();
      for (let i = 0; i < 3; i++) extra.push(await t.createAccount());
    });
    after(async () => t.close());

    describe('ModifyImageSharePermission / DescribeImageSharePermission', () => {
      it('SHARE many accounts in one call; the permission set lists them with Tencent times', async () => {
        const id = await image(owner, 'share-many');
        const res = await owner.gz.ModifyImageSharePermission({
          ImageId: id,
          AccountIds: [receiver.account.id, extra[0]!.id],
          Permission: 'SHARE',
        });
        assert.match(res.RequestId ?? '', /^[0-9a-f-]{36}$/);
        const set = (await owner.gz.DescribeImageSharePermission({ ImageId: id })).SharePermissionSet ?? [];
        assert.deepEqual(set.map((s) => s.AccountId).sort(), [receiver.account.id, extra[0]!.id].sort());
        for (const s of set) assert.match(s.CreatedTime ?? '', TENCENT_TIME);
        // Repeating SHARE is harmless (Terraform re-applies), CANCEL removes exactly the named accounts.
        await owner.gz.ModifyImageSharePermission({
          ImageId: id,
          AccountIds: [receiver.account.id],
          Permission: 'SHARE',
        });
        await owner.gz.ModifyImageSharePermission({
          ImageId: id,
          AccountIds: [extra[0]!.id],
          Permission: 'CANCEL',
        });
        const after = (await owner.gz.DescribeImageSharePermission({ ImageId: id })).SharePermissionSet ?? [];
        assert.deepEqual(
          after.map((s) => s.AccountId),
          [receiver.account.id],
        );
      });

      it('all or nothing: one unknown account refuses the whole call', async () => {
        const id = await image(owner, 'all-or-nothing');
        const code = await sdkErrorCode(() =>
          owner.gz.ModifyImageSharePermission({
            ImageId: id,
            AccountIds: [receiver.account.id, '99999999999'],
            Permission: 'SHARE',
          }),
        );
        assert.equal(code, 'InvalidAccountId.NotFound');
        const set = (await owner.gz.DescribeImageSharePermission({ ImageId: id })).SharePermissionSet;
        assert.deepEqual(set, []);
      });

      it('refusals: yourself, non-numeric, receiver re-sharing, stranger, malformed id, bad Permission', async () => {
        const id = await image(owner, 'refusals');
        await owner.gz.ModifyImageSharePermission({
          ImageId: id,
          AccountIds: [receiver.account.id],
          Permission: 'SHARE',
        });
        const share = (client: CvmClientType, accounts: string[], imageId = id, permission = 'SHARE') =>
          sdkErrorCode(() =>
            client.ModifyImageSharePermission({
              ImageId: imageId,
              AccountIds: accounts,
              Permission: permission,
            }),
          );
        assert.equal(await share(owner.gz, [owner.account.id]), 'InvalidAccountIs.YourSelf');
        assert.equal(await share(owner.gz, ['alice']), 'InvalidParameterValue.InvalidAppIdFormat');
        assert.equal(
          await share(receiver.gz, [stranger.account.id]),
          'UnauthorizedOperation.ImageNotBelongToAccount',
        );
        assert.equal(
          await share(receiver.gz, [receiver.account.id], id, 'CANCEL'),
          'UnauthorizedOperation.ImageNotBelongToAccount',
        );
        assert.equal(await share(stranger.gz, [receiver.account.id]), 'InvalidImageId.NotFound');
        assert.equal(await share(owner.gz, [receiver.account.id], 'image-1'), 'InvalidImageId.Malformed');
        assert.equal(await share(owner.gz, [receiver.account.id], 'img-zzzzzzzz'), 'InvalidImageId.NotFound');
        assert.equal(await share(owner.gz, [receiver.account.id], id, 'GIVE'), 'InvalidParameterValue');
        assert.equal(await share(owner.gz, []), 'InvalidParameterValue');
        // Same region only: through ap-shanghai the image does not exist.
        assert.equal(await share(owner.sh, [stranger.account.id]), 'InvalidImageId.NotFound');
        // The stranger still has no share, and the receiver cannot see the permission set of others.
        const seenByReceiver =
          (await receiver.gz.DescribeImageSharePermission({ ImageId: id })).SharePermissionSet ?? [];
        assert.deepEqual(
          seenByReceiver.map((s) => s.AccountId),
          [receiver.account.id],
        );
        assert.equal(
          await sdkErrorCode(() => stranger.gz.DescribeImageSharePermission({ ImageId: id })),
          'InvalidImageId.NotFound',
        );
      });

      it('the per-image limit: OverQuota beyond it, LimitExceeded for too many in one call', async () => {
        const id = await image(owner, 'limit');
        const all = [receiver.account.id, stranger.account.id, ...extra.map((a) => a.id)]; // 5 > 4
        assert.equal(
          await sdkErrorCode(() =>
            owner.gz.ModifyImageSharePermission({ ImageId: id, AccountIds: all, Permission: 'SHARE' }),
          ),
          'InvalidParameterValue.LimitExceeded',
        );
        await owner.gz.ModifyImageSharePermission({
          ImageId: id,
          AccountIds: all.slice(0, 3),
          Permission: 'SHARE',
        });
        assert.equal(
          await sdkErrorCode(() =>
            owner.gz.ModifyImageSharePermission({
              ImageId: id,
              AccountIds: all.slice(3),
              Permission: 'SHARE',
            }),
          ),
          'OverQuota',
        );
        await owner.gz.ModifyImageSharePermission({
          ImageId: id,
          AccountIds: [all[3]!],
          Permission: 'SHARE',
        });
        const set = (await owner.gz.DescribeImageSharePermission({ ImageId: id })).SharePermissionSet ?? [];
        assert.equal(set.length, 4);
      });

      it('a private image takes no shares (InvalidParameterValue.InvalidImageId) and has an empty set', async () => {
        const created = await t.server.services.images.create(owner.ctx, {
          name: 'private',
          visibility: 'private',
        });
        assert.equal(
          await sdkErrorCode(() =>
            owner.gz.ModifyImageSharePermission({
              ImageId: created.id,
              AccountIds: [receiver.account.id],
              Permission: 'SHARE',
            }),
          ),
          'InvalidParameterValue.InvalidImageId',
        );
        assert.deepEqual(
          (await owner.gz.DescribeImageSharePermission({ ImageId: created.id })).SharePermissionSet,
          [],
        );
      });
    });

    describe('DescribeImages', () => {
      let shared: string;
      let own: string;

      before(async () => {
        shared = await image(owner, 'describe-shared');
        own = await image(receiver, 'describe-own');
        await owner.gz.ModifyImageSharePermission({
          ImageId: shared,
          AccountIds: [receiver.account.id],
          Permission: 'SHARE',
        });
      });

      it('the receiver sees the shared image as SHARED_IMAGE created by the owner; the owner as PRIVATE_IMAGE', async () => {
        const byReceiver = await receiver.gz.DescribeImages({ ImageIds: [shared] });
        assert.equal(byReceiver.TotalCount, 1);
        const img = byReceiver.ImageSet?.[0];
        assert.equal(img?.ImageId, shared);
        assert.equal(img?.ImageType, 'SHARED_IMAGE');
        assert.equal(img?.ImageCreator, owner.account.id);
        assert.equal(img?.ImageState, 'NORMAL');
        assert.equal(img?.ImageName, 'describe-shared');
        assert.match(img?.CreatedTime ?? '', TENCENT_TIME);
        const byOwner = await owner.gz.DescribeImages({ ImageIds: [shared] });
        assert.equal(byOwner.ImageSet?.[0]?.ImageType, 'PRIVATE_IMAGE');
        // The stranger does not see it; nor does the receiver through another region.
        assert.equal((await stranger.gz.DescribeImages({ ImageIds: [shared] })).TotalCount, 0);
        assert.equal((await receiver.sh.DescribeImages({ ImageIds: [shared] })).TotalCount, 0);
      });

      it('image-type filters: PRIVATE_IMAGE own only, SHARED_IMAGE shared only', async () => {
        const ids = async (type: string) =>
          (
            (
              await receiver.gz.DescribeImages({
                Filters: [{ Name: 'image-type', Values: [type] }],
                Limit: 100,
              })
            ).ImageSet ?? []
          ).map((i) => i.ImageId);
        const privateIds = await ids('PRIVATE_IMAGE');
        assert.ok(privateIds.includes(own) && !privateIds.includes(shared));
        const sharedIds = await ids('SHARED_IMAGE');
        assert.ok(sharedIds.includes(shared) && !sharedIds.includes(own));
      });

      it('image-name, image-id and image-state filters; Offset and Limit paging with TotalCount', async () => {
        const byName = await receiver.gz.DescribeImages({
          Filters: [{ Name: 'image-name', Values: ['describe-shared'] }],
        });
        assert.deepEqual(
          byName.ImageSet?.map((i) => i.ImageId),
          [shared],
        );
        // image-name is fuzzy (contains, any case); LIKE wildcards in the value match literally.
        const fuzzy = await receiver.gz.DescribeImages({
          Filters: [{ Name: 'image-name', Values: ['SCRIBE-SHAR'] }],
        });
        assert.deepEqual(
          fuzzy.ImageSet?.map((i) => i.ImageId),
          [shared],
        );
        const wildcard = await receiver.gz.DescribeImages({
          Filters: [{ Name: 'image-name', Values: ['%', 'describe_shared'] }],
        });
        assert.equal(wildcard.TotalCount, 0);
        const byId = await receiver.gz.DescribeImages({
          Filters: [{ Name: 'image-id', Values: [own, shared] }],
        });
        assert.equal(byId.TotalCount, 2);
        const creating = await receiver.gz.DescribeImages({
          Filters: [{ Name: 'image-state', Values: ['CREATING'] }],
        });
        assert.equal(creating.TotalCount, 0);
        const page1 = await receiver.gz.DescribeImages({
          Filters: [{ Name: 'image-id', Values: [own, shared] }],
          Limit: 1,
        });
        const page2 = await receiver.gz.DescribeImages({
          Filters: [{ Name: 'image-id', Values: [own, shared] }],
          Limit: 1,
          Offset: 1,
        });
        assert.equal(page1.TotalCount, 2);
        assert.equal(page1.ImageSet?.length, 1);
        assert.equal(page2.ImageSet?.length, 1);
        assert.notEqual(page1.ImageSet?.[0]?.ImageId, page2.ImageSet?.[0]?.ImageId);
      });

      it('refusals: ImageIds with Filters, Limit over 100, unknown filter, too many values, malformed id', async () => {
        assert.equal(
          await sdkErrorCode(() =>
            receiver.gz.DescribeImages({ ImageIds: [own], Filters: [{ Name: 'image-id', Values: [own] }] }),
          ),
          'InvalidParameter.InvalidParameterCoexistImageIdsFilters',
        );
        assert.equal(
          await sdkErrorCode(() => receiver.gz.DescribeImages({ Limit: 101 })),
          'InvalidParameterValue.InvalidParameterValueLimit',
        );
        // A deep Offset would read Offset + Limit rows per request: bounded.
        assert.equal(
          await sdkErrorCode(() => receiver.gz.DescribeImages({ Offset: 10_001 })),
          'InvalidParameterValue',
        );
        assert.equal((await receiver.gz.DescribeImages({ Offset: 10_000 })).ImageSet?.length, 0);
        assert.equal(
          await sdkErrorCode(() =>
            receiver.gz.DescribeImages({ Filters: [{ Name: 'owner', Values: ['x'] }] }),
          ),
          'InvalidFilter',
        );
        assert.equal(
          await sdkErrorCode(() =>
            receiver.gz.DescribeImages({
              Filters: [{ Name: 'image-id', Values: ['1', '2', '3', '4', '5', '6'] }],
            }),
          ),
          'InvalidFilterValue.LimitExceeded',
        );
        assert.equal(
          await sdkErrorCode(() => receiver.gz.DescribeImages({ ImageIds: ['ami-123'] })),
          'InvalidImageId.Malformed',
        );
      });
    });

    describe('ModifyImageAttribute and DeleteImages', () => {
      it('the receiver may not rename; the owner may; the receiver sees the new name', async () => {
        const id = await image(owner, 'before');
        await owner.gz.ModifyImageSharePermission({
          ImageId: id,
          AccountIds: [receiver.account.id],
          Permission: 'SHARE',
        });
        assert.equal(
          await sdkErrorCode(() => receiver.gz.ModifyImageAttribute({ ImageId: id, ImageName: 'hijacked' })),
          'UnsupportedOperation.SharedImageModifyUnsupported',
        );
        assert.equal(
          await sdkErrorCode(() => receiver.gz.ModifyImageAttribute({ ImageId: id, ImageDescription: 'x' })),
          'UnsupportedOperation.SharedImageModifyUnsupported',
        );
        assert.equal(
          await sdkErrorCode(() => stranger.gz.ModifyImageAttribute({ ImageId: id, ImageName: 'x' })),
          'InvalidImageId.NotFound',
        );
        await owner.gz.ModifyImageAttribute({
          ImageId: id,
          ImageName: 'after',
          ImageDescription: 'described',
        });
        const seen = (await receiver.gz.DescribeImages({ ImageIds: [id] })).ImageSet?.[0];
        assert.equal(seen?.ImageName, 'after');
        assert.equal(seen?.ImageDescription, 'described');
        assert.equal(
          await sdkErrorCode(() => owner.gz.ModifyImageAttribute({ ImageId: id, ImageName: 'n'.repeat(61) })),
          'InvalidParameterValue.TooLarge',
        );
      });

      it('delete: refused while shared (InShared), to the receiver (InvalidImageIdIsShared); all or nothing; after CANCEL it works', async () => {
        const id = await image(owner, 'to-delete');
        const other = await image(owner, 'to-delete-2');
        await owner.gz.ModifyImageSharePermission({
          ImageId: id,
          AccountIds: [receiver.account.id],
          Permission: 'SHARE',
        });
        assert.equal(
          await sdkErrorCode(() => owner.gz.DeleteImages({ ImageIds: [other, id] })),
          'InvalidImageId.InShared',
        );
        assert.equal((await owner.gz.DescribeImages({ ImageIds: [other] })).TotalCount, 1, 'nothing deleted');
        assert.equal(
          await sdkErrorCode(() => receiver.gz.DeleteImages({ ImageIds: [id] })),
          'InvalidParameterValue.InvalidImageIdIsShared',
        );
        assert.equal(
          await sdkErrorCode(() => stranger.gz.DeleteImages({ ImageIds: [id] })),
          'InvalidImageId.NotFound',
        );
        await owner.gz.ModifyImageSharePermission({
          ImageId: id,
          AccountIds: [receiver.account.id],
          Permission: 'CANCEL',
        });
        await owner.gz.DeleteImages({ ImageIds: [id], DryRun: true });
        assert.equal(
          (await owner.gz.DescribeImages({ ImageIds: [id] })).TotalCount,
          1,
          'DryRun deletes nothing',
        );
        await owner.gz.DeleteImages({ ImageIds: [id, other] });
        assert.equal((await owner.gz.DescribeImages({ ImageIds: [id, other] })).TotalCount, 0);
        assert.equal(
          await sdkErrorCode(() => owner.gz.DeleteImages({ ImageIds: [id] })),
          'InvalidImageId.NotFound',
        );
      });
    });

    describe('instances, SyncImages, CreateImage, DescribeImageQuota', () => {
      it('the receiver launches from the shared image (not in another region; the stranger not at all)', async () => {
        const id = await image(owner, 'launchable');
        await owner.gz.ModifyImageSharePermission({
          ImageId: id,
          AccountIds: [receiver.account.id],
          Permission: 'SHARE',
        });
        const run = await receiver.gz.RunInstances({
          ImageId: id,
          InstanceCount: 2,
          InstanceName: 'web',
          Placement: { Zone: 'ap-guangzhou-3' },
          InstanceType: 'S5.MEDIUM2',
        });
        assert.equal(run.InstanceIdSet?.length, 2);
        const described = await receiver.gz.DescribeInstances({ InstanceIds: run.InstanceIdSet });
        assert.equal(described.TotalCount, 2);
        for (const i of described.InstanceSet ?? []) {
          assert.equal(i.ImageId, id);
          assert.equal(i.InstanceState, 'RUNNING');
        }
        assert.equal(
          await sdkErrorCode(() => receiver.sh.RunInstances({ ImageId: id })),
          'InvalidImageId.NotFound',
        );
        assert.equal(
          await sdkErrorCode(() => stranger.gz.RunInstances({ ImageId: id })),
          'InvalidImageId.NotFound',
        );
        assert.equal(
          await sdkErrorCode(() => stranger.gz.TerminateInstances({ InstanceIds: run.InstanceIdSet! })),
          'InvalidInstanceId.NotFound',
        );
        await receiver.gz.TerminateInstances({ InstanceIds: run.InstanceIdSet });
        const after = await receiver.gz.DescribeInstances({ InstanceIds: run.InstanceIdSet });
        for (const i of after.InstanceSet ?? []) assert.equal(i.InstanceState, 'TERMINATED');
      });

      it('SyncImages: the receiver copies into its own image in the same region only; the owner to another region', async () => {
        const id = await image(owner, 'syncable');
        await owner.gz.ModifyImageSharePermission({
          ImageId: id,
          AccountIds: [receiver.account.id],
          Permission: 'SHARE',
        });
        // Without the owner's grant a receiver's copy is refused (issue 12) ...
        assert.equal(
          await sdkErrorCode(() =>
            receiver.gz.SyncImages({ ImageIds: [id], DestinationRegions: ['ap-guangzhou'] }),
          ),
          'UnauthorizedOperation.CopyNotGranted',
        );
        // ... the owner shares again with the grant (the extension parameter ShareAccess).
        await owner.gz.ModifyImageSharePermission({
          ImageId: id,
          AccountIds: [receiver.account.id],
          Permission: 'CANCEL',
        });
        await owner.gz.ModifyImageSharePermission({
          ImageId: id,
          AccountIds: [receiver.account.id],
          Permission: 'SHARE',
          ShareAccess: 'LAUNCH_AND_COPY',
        } as Parameters<typeof owner.gz.ModifyImageSharePermission>[0]);
        const copy = await receiver.gz.SyncImages({
          ImageIds: [id],
          DestinationRegions: ['ap-guangzhou'],
          ImageSetRequired: true,
        });
        const copyId = copy.ImageSet?.[0]?.ImageId ?? '';
        assert.equal(copy.ImageSet?.[0]?.Region, 'ap-guangzhou');
        const mine = (await receiver.gz.DescribeImages({ ImageIds: [copyId] })).ImageSet?.[0];
        assert.equal(mine?.ImageType, 'PRIVATE_IMAGE');
        assert.equal(mine?.ImageCreator, receiver.account.id);
        assert.equal(
          await sdkErrorCode(() =>
            receiver.gz.SyncImages({ ImageIds: [id], DestinationRegions: ['ap-shanghai'] }),
          ),
          'InvalidParameterValue.InvalidRegion',
        );
        assert.equal(
          await sdkErrorCode(() =>
            owner.gz.SyncImages({ ImageIds: [id], DestinationRegions: ['ap-nowhere'] }),
          ),
          'InvalidRegion.NotFound',
        );
        const toSh = await owner.gz.SyncImages({
          ImageIds: [id],
          DestinationRegions: ['ap-shanghai'],
          ImageSetRequired: true,
        });
        const shId = toSh.ImageSet?.[0]?.ImageId ?? '';
        assert.equal((await owner.sh.DescribeImages({ ImageIds: [shId] })).TotalCount, 1);
        // A copy carries no shares (rule 7).
        assert.deepEqual(
          (await owner.sh.DescribeImageSharePermission({ ImageId: shId })).SharePermissionSet,
          [],
        );
        assert.equal((await receiver.sh.DescribeImages({ ImageIds: [shId] })).TotalCount, 0);
      });

      it('CreateImage from the receiver’s instance gives the receiver its own image; DescribeImageQuota', async () => {
        const id = await image(owner, 'for-create');
        await owner.gz.ModifyImageSharePermission({
          ImageId: id,
          AccountIds: [receiver.account.id],
          Permission: 'SHARE',
          ShareAccess: 'LAUNCH_AND_COPY', // imageshare's extension: the receiver may copy
        } as Parameters<typeof owner.gz.ModifyImageSharePermission>[0]);
        const [instanceId] = (await receiver.gz.RunInstances({ ImageId: id })).InstanceIdSet ?? [];
        const created = await receiver.gz.CreateImage({
          InstanceId: instanceId!,
          ImageName: 'from-instance',
        });
        const img = (await receiver.gz.DescribeImages({ ImageIds: [created.ImageId!] })).ImageSet?.[0];
        assert.equal(img?.ImageType, 'PRIVATE_IMAGE');
        assert.equal(img?.ImageName, 'from-instance');
        assert.equal(
          await sdkErrorCode(() => stranger.gz.CreateImage({ InstanceId: instanceId!, ImageName: 'x' })),
          'InvalidInstanceId.NotFound',
        );
        assert.equal((await receiver.gz.DescribeImageQuota()).ImageNumQuota, t.config.images.quotaPerRegion);
      });
    });

    describe('input validation never answers 500', () => {
      it('wrong JSON types, unknown fields, missing fields, region problems', async () => {
        const id = await image(owner, 'validation');
        const call = async (action: string, body: unknown, region: string | null = 'ap-guangzhou') =>
          (await tc3Request(t.url, owner.key, { action, body: JSON.stringify(body), region })).body.Response
            .Error?.Code;
        assert.equal(
          await call('ModifyImageSharePermission', {
            ImageId: id,
            AccountIds: receiver.account.id,
            Permission: 'SHARE',
          }),
          'InvalidParameter',
        );
        assert.equal(
          await call('ModifyImageSharePermission', { ImageId: id, AccountIds: [123], Permission: 'SHARE' }),
          'InvalidParameter',
        );
        assert.equal(
          await call('ModifyImageSharePermission', { ImageId: id, Permission: 'SHARE' }),
          'MissingParameter',
        );
        assert.equal(
          await call('ModifyImageSharePermission', {
            ImageId: id,
            AccountIds: ['1000000001'],
            Permission: 'SHARE',
            Extra: 1,
          }),
          'UnknownParameter',
        );
        assert.equal(await call('DescribeImages', { Limit: '10' }), 'InvalidParameter');
        assert.equal(
          await call('DescribeImages', { Limit: -1 }),
          'InvalidParameterValue.InvalidParameterValueLimit',
        );
        assert.equal(await call('DescribeImages', { Filters: [{ Name: 'image-id' }] }), 'MissingParameter');
        assert.equal(
          await call('DescribeImages', { Filters: [{ Name: 'image-id', Values: [1] }] }),
          'InvalidParameter',
        );
        assert.equal(await call('DescribeImages', { Filters: 'image-id' }), 'InvalidParameter');
        assert.equal(await call('DescribeImages', { ImageIds: [] }), 'InvalidParameterValue');
        assert.equal(await call('DescribeImages', {}, null), 'MissingParameter');
        assert.equal(await call('DescribeImages', {}, 'ap-nowhere'), 'InvalidRegion.NotFound');
        assert.equal(await call('RunInstances', { ImageId: id, InstanceCount: 0 }), 'InvalidParameterValue');
        assert.equal(await call('RunInstances', { ImageId: id, InstanceCount: 1.5 }), 'InvalidParameter');
        assert.equal(
          await call('TerminateInstances', { InstanceIds: ['vm-1'] }),
          'InvalidInstanceId.Malformed',
        );
        assert.equal(await call('DeleteImages', { ImageIds: [id], DryRun: 'yes' }), 'InvalidParameter');
        // Share permission actions work without a region (the default region).
        assert.equal(await call('DescribeImageSharePermission', { ImageId: id }, null), undefined);
      });

      it('GET with flattened parameters (AccountIds.0, Filters.0.Values.0) is coerced like the JSON form', async () => {
        const id = await image(owner, 'flattened');
        const sdkGet = cvmClient(t.url, owner.key, { reqMethod: 'GET' });
        await sdkGet.ModifyImageSharePermission({
          ImageId: id,
          AccountIds: [receiver.account.id, stranger.account.id],
          Permission: 'SHARE',
        });
        const set = (await sdkGet.DescribeImageSharePermission({ ImageId: id })).SharePermissionSet ?? [];
        assert.equal(set.length, 2);
        const v1 = cvmClient(t.url, owner.key, { signMethod: 'HmacSHA256' });
        const found = await v1.DescribeImages({
          Filters: [{ Name: 'image-id', Values: [id] }],
          Limit: 5,
          Offset: 0,
        });
        assert.equal(found.TotalCount, 1);
      });
    });

    describe('cross-API: Tencent and Glance share one set of members', () => {
      it('a Tencent SHARE appears in Glance /v2/images/{id}/members, and a Glance member in DescribeImageSharePermission', async () => {
        const id = await image(owner, 'cross-api');
        await owner.gz.ModifyImageSharePermission({
          ImageId: id,
          AccountIds: [receiver.account.id],
          Permission: 'SHARE',
        });
        const token = await t.token(owner.account);
        const members = await t.request('GET', `/v2/images/${id}/members`, { token });
        assert.equal(members.status, 200);
        const list = (members.body as { members: Array<{ member_id: string; status: string }> }).members;
        assert.deepEqual(
          list.map((m) => m.member_id),
          [receiver.account.id],
        );
        const added = await t.request('POST', `/v2/images/${id}/members`, {
          token,
          body: { member: stranger.account.id },
        });
        assert.equal(added.status, 200);
        const set = (await owner.gz.DescribeImageSharePermission({ ImageId: id })).SharePermissionSet ?? [];
        assert.deepEqual(
          set.map((s) => s.AccountId).sort(),
          [receiver.account.id, stranger.account.id].sort(),
        );
        // The stranger can now launch through Tencent, before accepting in Glance (rule 8).
        assert.equal((await stranger.gz.RunInstances({ ImageId: id })).InstanceIdSet?.length, 1);
      });
    });
  });
});
