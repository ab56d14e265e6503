// Tencent's legacy v2 API at /v2/index.php: the seed's ShareImage example (imageId + uinList.0=909619400) signed
// with HmacSHA1 and HmacSHA256, the other legacy actions, the {code, message, codeDesc} envelope, the 2-hour
// Timestamp window and Nonce replay (4500), on every database.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachDatabase } from './helpers/databases.js';
import { startTestServer, type TestAccount, type TestServer } from './helpers/server.js';
import {
  createActiveImage,
  cvmClient,
  paramsRequest,
  type Key,
  type ParamsOptions,
} from './helpers/tencent.js';
import type { RequestContext } from '../src/services/context.js';

type Legacy = Record<string, unknown> & { code: number; message: string; codeDesc?: string };

forEachDatabase((target) => {
  describe(`Tencent legacy v2 API on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    let owner: TestAccount;
    let ownerKey: Key;
    let seedReceiver: TestAccount;
    let receiverKey: Key;
    let stranger: TestAccount;
    let ownerCtx: RequestContext;

    const image = (name: string) => createActiveImage(t.server.services, ownerCtx, name);

    async function legacy(key: Key, params: Record<string, string>, options: ParamsOptions = {}) {
      const res = await paramsRequest(
        t.url,
        key,
        { Region: 'gz', ...params },
        { path: '/v2/index.php', ...options },
      );
      assert.equal(res.status, 200);
      assert.equal(res.contentType, 'application/json');
      return res.body as unknown as Legacy;
    }

    before(async () => {
      t = await startTestServer({ target, overrides: { regions: 'ap-guangzhou,ap-shanghai' } });
      owner = await t.createAccount();
      ownerKey = await t.server.services.apiKeys.create(owner.id);
      // The seed's receiver account, 909619400.
      seedReceiver = await t.createAccount({ id: '909619400' });
      receiverKey = await t.server.services.apiKeys.create(seedReceiver.id);
      stranger = await t.createAccount();
      ownerCtx = {
        caller: { accountId: owner.id, isAdmin: false },
        region: 'ap-guangzhou',
        surface: 'tencent-legacy',
      };
    });
    after(async () => t.close());

    for (const [signatureMethod, method] of [
      ['HmacSHA1', 'GET'],
      ['HmacSHA256', 'POST'],
      ['HmacSHA1', 'POST'],
      ['HmacSHA256', 'GET'],
    ] as const) {
      it(`the seed's ShareImage example, ${signatureMethod} ${method}: shared, visible in Glance and API 3.0`, async () => {
        const id = await image(`seed-${signatureMethod}-${method}`);
        const res = await legacy(
          ownerKey,
          { Action: 'ShareImage', imageId: id, 'uinList.0': '909619400' },
          { signatureMethod, method },
        );
        assert.deepEqual(res, { code: 0, message: '', codeDesc: 'Success' });
        const token = await t.token(owner);
        const members = await t.request('GET', `/v2/images/${id}/members`, { token });
        assert.deepEqual(
          (members.body as { members: Array<{ member_id: string }> }).members.map((m) => m.member_id),
          ['909619400'],
        );
        const api3 = await cvmClient(t.url, ownerKey).DescribeImageSharePermission({ ImageId: id });
        assert.deepEqual(
          api3.SharePermissionSet?.map((s) => s.AccountId),
          ['909619400'],
        );
      });
    }

    it('GetImageShareUinInfo and CancelShareImage', async () => {
      const id = await image('uininfo');
      await legacy(ownerKey, {
        Action: 'ShareImage',
        imageId: id,
        'uinList.0': '909619400',
        'uinList.1': stranger.id,
      });
      const info = await legacy(ownerKey, { Action: 'GetImageShareUinInfo', 'imageIds.0': id });
      assert.equal(info.code, 0);
      const data = info.data as {
        imageNum: number;
        maxImgShareNum: number;
        imageList: Array<{ imageId: string; shareUinInfo: Array<{ uin: string; shareTimeStamp: string }> }>;
      };
      assert.equal(data.imageNum, 1);
      assert.equal(data.maxImgShareNum, t.config.sharing.maxAccountsPerImage);
      assert.equal(data.imageList[0]?.imageId, id);
      assert.deepEqual(
        data.imageList[0]?.shareUinInfo.map((s) => s.uin).sort(),
        ['909619400', stranger.id].sort(),
      );
      for (const s of data.imageList[0]?.shareUinInfo ?? [])
        assert.match(s.shareTimeStamp, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      const cancel = await legacy(ownerKey, {
        Action: 'CancelShareImage',
        imageId: id,
        'uinList.0': '909619400',
      });
      assert.equal(cancel.code, 0);
      const after = await legacy(ownerKey, { Action: 'GetImageShareUinInfo', 'imageIds.0': id });
      const list = (after.data as { imageList: Array<{ shareUinInfo: Array<{ uin: string }> }> }).imageList[0]
        ?.shareUinInfo;
      assert.deepEqual(
        list?.map((s) => s.uin),
        [stranger.id],
      );
    });

    it('refusals carry the legacy code and the API 3.0 code as codeDesc', async () => {
      const id = await image('legacy-refusals');
      await legacy(ownerKey, { Action: 'ShareImage', imageId: id, 'uinList.0': '909619400' });
      const reshare = await legacy(receiverKey, {
        Action: 'ShareImage',
        imageId: id,
        'uinList.0': stranger.id,
      });
      assert.equal(reshare.code, 4110);
      assert.equal(reshare.codeDesc, 'UnauthorizedOperation.ImageNotBelongToAccount');
      const self = await legacy(ownerKey, { Action: 'ShareImage', imageId: id, 'uinList.0': owner.id });
      assert.deepEqual([self.code, self.codeDesc], [4000, 'InvalidAccountIs.YourSelf']);
      const unknown = await legacy(ownerKey, {
        Action: 'ShareImage',
        imageId: id,
        'uinList.0': '12345678901',
      });
      assert.deepEqual([unknown.code, unknown.codeDesc], [5000, 'InvalidAccountId.NotFound']);
      const missing = await legacy(ownerKey, { Action: 'ShareImage', imageId: id });
      assert.deepEqual([missing.code, missing.codeDesc], [4000, 'MissingParameter']);
      const badUin = await legacy(ownerKey, { Action: 'ShareImage', imageId: id, 'uinList.0': 'bob' });
      assert.deepEqual([badUin.code, badUin.codeDesc], [4000, 'InvalidParameterValue.InvalidAppIdFormat']);
      const rename = await legacy(receiverKey, {
        Action: 'ModifyImageAttributes',
        imageId: id,
        imageName: 'mine',
      });
      assert.equal(rename.codeDesc, 'UnsupportedOperation.SharedImageModifyUnsupported');
      assert.notEqual(rename.code, 0);
      const strangerKey = await t.server.services.apiKeys.create(stranger.id);
      const hidden = await legacy(strangerKey, { Action: 'GetImageShareUinInfo', 'imageIds.0': id });
      assert.deepEqual([hidden.code, hidden.codeDesc], [5000, 'InvalidImageId.NotFound']);
      const action = await legacy(ownerKey, { Action: 'LaunchRockets' });
      assert.deepEqual([action.code, action.codeDesc], [4000, 'InvalidAction']);
      const region = await legacy(ownerKey, {
        Action: 'GetImageShareUinInfo',
        'imageIds.0': id,
        Region: 'mars',
      });
      assert.deepEqual([region.code, region.codeDesc], [4000, 'InvalidRegion.NotFound']);
    });

    it('authentication: wrong secret 4100, unknown SecretId 4104, Timestamp over 2 hours 4500, replayed Nonce 4500', async () => {
      const id = await image('legacy-auth');
      const params = { Action: 'GetImageShareUinInfo', 'imageIds.0': id };
      const wrong = await legacy({ ...ownerKey, secretKey: 'x'.repeat(32) }, params);
      assert.deepEqual([wrong.code, wrong.codeDesc], [4100, 'AuthFailure.SignatureFailure']);
      const unknown = await legacy(
        { secretId: `AKID${'Q'.repeat(32)}`, secretKey: ownerKey.secretKey },
        params,
      );
      assert.deepEqual([unknown.code, unknown.codeDesc], [4104, 'AuthFailure.SecretIdNotFound']);
      const now = Math.floor(Date.now() / 1000);
      const old = await legacy(ownerKey, params, { timestamp: now - 3 * 3600 });
      assert.deepEqual([old.code, old.codeDesc], [4500, 'AuthFailure.SignatureExpire']);
      // One hour is inside the legacy window (it is not for API 3.0).
      const hourOld = await legacy(ownerKey, params, { timestamp: now - 3600 });
      assert.equal(hourOld.code, 0);
      const first = await legacy(ownerKey, params, { nonce: '11886', timestamp: now });
      assert.equal(first.code, 0);
      const replay = await legacy(ownerKey, params, { nonce: '11886', timestamp: now });
      assert.deepEqual([replay.code, replay.codeDesc], [4500, 'AuthFailure.ReplayAttack']);
      const tampered = await legacy(ownerKey, params, { unsigned: { 'imageIds.1': id } });
      assert.equal(tampered.code, 4100);
      // A disabled key is "not found".
      const spare = await t.server.services.apiKeys.create(owner.id);
      await t.server.services.apiKeys.disable(owner.id, spare.secretId);
      assert.equal((await legacy(spare, params)).code, 4104);
    });

    it('DescribeImages (imageType 1 private, 4 shared), ModifyImageAttributes', async () => {
      const id = await image('legacy-describe');
      await legacy(ownerKey, { Action: 'ShareImage', imageId: id, 'uinList.0': '909619400' });
      const mine = await legacy(ownerKey, { Action: 'DescribeImages', imageType: '1', 'imageIds.0': id });
      assert.equal(mine.totalCount, 1);
      const set = mine.imageSet as Array<Record<string, unknown>>;
      assert.equal(set[0]?.unImgId, id);
      assert.equal(set[0]?.imageType, 1);
      assert.equal(set[0]?.status, 2);
      assert.equal(set[0]?.creator, owner.id);
      const shared = await legacy(receiverKey, {
        Action: 'DescribeImages',
        imageType: '4',
        'imageIds.0': id,
      });
      assert.equal(shared.totalCount, 1);
      assert.equal(
        (await legacy(receiverKey, { Action: 'DescribeImages', imageType: '1', 'imageIds.0': id }))
          .totalCount,
        0,
      );
      const missingType = await legacy(ownerKey, { Action: 'DescribeImages' });
      assert.deepEqual([missingType.code, missingType.codeDesc], [4000, 'MissingParameter']);
      const badType = await legacy(ownerKey, { Action: 'DescribeImages', imageType: 'one' });
      assert.deepEqual([badType.code, badType.codeDesc], [4000, 'InvalidParameter']);
      const renamed = await legacy(ownerKey, {
        Action: 'ModifyImageAttributes',
        imageId: id,
        imageName: 'renamed-legacy',
      });
      assert.equal(renamed.code, 0);
      const seen = await legacy(receiverKey, { Action: 'DescribeImages', imageType: '4', 'imageIds.0': id });
      assert.equal((seen.imageSet as Array<{ imageName: string }>)[0]?.imageName, 'renamed-legacy');
    });

    it('DeleteImages: the batch format (5400 when some fail, per-image detail)', async () => {
      const sharedId = await image('legacy-del-shared');
      const freeId = await image('legacy-del-free');
      await legacy(ownerKey, { Action: 'ShareImage', imageId: sharedId, 'uinList.0': '909619400' });
      const res = await legacy(ownerKey, {
        Action: 'DeleteImages',
        'imageIds.0': sharedId,
        'imageIds.1': freeId,
      });
      assert.equal(res.code, 5400);
      const detail = res.detail as Record<string, { code: number; codeDesc?: string }>;
      assert.equal(detail[freeId]?.code, 0);
      assert.equal(detail[sharedId]?.codeDesc, 'InvalidImageId.InShared');
      const byReceiver = await legacy(receiverKey, { Action: 'DeleteImages', 'imageIds.0': sharedId });
      assert.equal(byReceiver.code, 5100);
      assert.equal(
        (byReceiver.detail as Record<string, { codeDesc?: string }>)[sharedId]?.codeDesc,
        'InvalidParameterValue.InvalidImageIdIsShared',
      );
      const gone = await legacy(ownerKey, { Action: 'DescribeImages', imageType: '1', 'imageIds.0': freeId });
      assert.equal(gone.totalCount, 0);
    });

    it('SyncCvmImage copies to another region with legacy region codes', async () => {
      const id = await image('legacy-sync');
      const res = await legacy(ownerKey, {
        Action: 'SyncCvmImage',
        srcRegion: 'gz',
        'imgIdList.0': id,
        'dstRegion.0': 'sh',
      });
      assert.equal(res.code, 0);
      const copyId = (res.data as { imageSet: Array<{ dstImageId: string }> }).imageSet[0]?.dstImageId ?? '';
      const inSh = await legacy(ownerKey, {
        Action: 'DescribeImages',
        imageType: '1',
        'imageIds.0': copyId,
        Region: 'sh',
      });
      assert.equal(inSh.totalCount, 1);
      const same = await legacy(ownerKey, {
        Action: 'SyncCvmImage',
        srcRegion: 'gz',
        'imgIdList.0': id,
        'dstRegion.0': 'gz',
      });
      assert.equal(same.codeDesc, 'InvalidParameterValue.InvalidRegion');
    });
  });
});
