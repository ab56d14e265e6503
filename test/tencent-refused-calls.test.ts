// A refused signed call changes nothing: each way a ModifyImageSharePermission SHARE can fail
// authentication is tried, and the image is still unshared afterwards; the same call, signed right, shares.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestContext } from '../src/services/context.js';
import { forEachDatabase } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import {
  createActiveImage,
  paramsRequest,
  tc3Request,
  type Key,
  type RawResponse,
} from './helpers/tencent.js';

forEachDatabase((target) => {
  describe(
    `Tencent refused calls change nothing on ${target.dialect}`,
    { skip: target.skipReason ?? false },
    () => {
      let t: TestServer;
      let key: Key;
      let owner: RequestContext;
      let receiverId: string;
      let imageId: string;

      before(async () => {
        t = await startTestServer({ target });
        const account = await t.createAccount();
        receiverId = (await t.createAccount()).id;
        key = await t.server.services.apiKeys.create(account.id);
        owner = {
          caller: { accountId: account.id, isAdmin: false },
          region: 'ap-guangzhou',
          surface: 'tencent',
        };
        imageId = await createActiveImage(t.server.services, owner, 'guarded');
      });
      after(async () => t.close());

      const shareBody = () =>
        JSON.stringify({ ImageId: imageId, AccountIds: [receiverId], Permission: 'SHARE' });
      const members = async () =>
        (await t.server.services.shares.listMembers(owner, imageId)).map((m) => m.memberId);
      const share = (options: Partial<Parameters<typeof tc3Request>[2]> = {}, signer: Key = key) =>
        tc3Request(t.url, signer, { action: 'ModifyImageSharePermission', body: shareBody(), ...options });
      const v1Share = (options: Parameters<typeof paramsRequest>[3] = {}) =>
        paramsRequest(
          t.url,
          key,
          {
            Action: 'ModifyImageSharePermission',
            Version: '2017-03-12',
            Region: 'ap-guangzhou',
            ImageId: imageId,
            'AccountIds.0': receiverId,
            Permission: 'SHARE',
          },
          options,
        );
      const code = (res: RawResponse) => res.body.Response.Error?.Code;

      it('each refusal leaves the image unshared; the genuine call then shares it', async () => {
        const now = Math.floor(Date.now() / 1000);
        const disabled = await t.server.services.apiKeys.create(owner.caller.accountId);
        await t.server.services.apiKeys.disable(owner.caller.accountId, disabled.secretId);

        const refusals: Array<[string, () => Promise<RawResponse>, string]> = [
          [
            'wrong secret',
            () => share({}, { ...key, secretKey: 'x'.repeat(32) }),
            'AuthFailure.SignatureFailure',
          ],
          [
            'unknown SecretId',
            () => share({}, { ...key, secretId: `AKID${'0'.repeat(32)}` }),
            'AuthFailure.SecretIdNotFound',
          ],
          ['disabled key', () => share({}, disabled), 'AuthFailure.SecretIdNotFound'],
          ['timestamp 6 minutes old', () => share({ timestamp: now - 360 }), 'AuthFailure.SignatureExpire'],
          ['timestamp 6 minutes ahead', () => share({ timestamp: now + 360 }), 'AuthFailure.SignatureExpire'],
          [
            'one body byte changed',
            () => share({ sentBody: shareBody().replace('SHARE', 'SHARf') }),
            'AuthFailure.SignatureFailure',
          ],
          [
            'signed for another host',
            () => share({ signedHost: 'evil.example' }),
            'AuthFailure.SignatureFailure',
          ],
          [
            'v1 parameter added after signing',
            () => v1Share({ unsigned: { 'AccountIds.1': receiverId } }),
            'AuthFailure.SignatureFailure',
          ],
        ];
        for (const [label, call, expected] of refusals) {
          assert.equal(code(await call()), expected, label);
          assert.deepEqual(await members(), [], `${label}: nothing shared`);
        }

        // A replayed v1 call: the first use shares, the replay (after cancelling) must not share again.
        const first = await v1Share({ nonce: '31337', timestamp: now });
        assert.equal(code(first), undefined);
        assert.deepEqual(await members(), [receiverId]);
        await t.server.services.shares.cancelShares(owner, imageId, [receiverId]);
        const replay = await v1Share({ nonce: '31337', timestamp: now });
        assert.equal(code(replay), 'AuthFailure.SignatureFailure');
        assert.deepEqual(await members(), [], 'replay: nothing shared');

        // The control: the same request, signed right, does share.
        assert.equal(code(await share()), undefined);
        assert.deepEqual(await members(), [receiverId]);
      });
    },
  );
});
