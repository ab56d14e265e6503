// A captured TC3 request cannot be re-sent as another action, region or version: the SDKs sign only
// content-type and host, so X-TC-Action, X-TC-Region and X-TC-Version are outside the signature. Each
// signature is bound (in the database, for every node) to the call it was first used with; the same call
// sent again (an SDK's retry) still works.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { forEachDatabase } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { createActiveImage, cvmClient, tc3Request, type Key } from './helpers/tencent.js';

forEachDatabase((target) => {
  describe(`TC3 signature replay on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    let key: Key;
    let accountId: string;

    before(async () => {
      t = await startTestServer({ target, overrides: { regions: 'ap-guangzhou,ap-shanghai' } });
      const account = await t.createAccount();
      accountId = account.id;
      key = await t.server.services.apiKeys.create(account.id);
    });
    after(async () => t.close());

    it('a signed DescribeImages replayed as DeleteImages or in another region is refused; a repeat passes', async () => {
      const ctx = {
        caller: { accountId, isAdmin: false },
        region: 'ap-guangzhou',
        surface: 'tencent' as const,
      };
      const imageId = await createActiveImage(t.server.services, ctx, 'replayed');
      const timestamp = Math.floor(Date.now() / 1000);
      const body = JSON.stringify({ ImageIds: [imageId] });
      const describe = await tc3Request(t.url, key, { action: 'DescribeImages', body, timestamp });
      assert.equal(describe.body.Response.Error, undefined, JSON.stringify(describe.body));
      assert.equal(describe.body.Response.TotalCount, 1);

      // The same bytes and signature, other unsigned headers, re-sent later in the skew window (a capture
      // replayed: in the first second after a signature's first use, honest SDK calls may share it).
      await sleep(1100);
      const asDelete = await tc3Request(t.url, key, { action: 'DeleteImages', body, timestamp });
      assert.equal(asDelete.body.Response.Error?.Code, 'AuthFailure.SignatureFailure');
      assert.match(asDelete.body.Response.Error?.Message ?? '', /already used for another action/);
      const elsewhere = await tc3Request(t.url, key, {
        action: 'DescribeImages',
        body,
        timestamp,
        region: 'ap-shanghai',
      });
      assert.equal(elsewhere.body.Response.Error?.Code, 'AuthFailure.SignatureFailure');
      const noRegion = await tc3Request(t.url, key, {
        action: 'DescribeImages',
        body,
        timestamp,
        region: null,
      });
      assert.equal(noRegion.body.Response.Error?.Code, 'AuthFailure.SignatureFailure');

      const image = await t.server.services.images.get(ctx, imageId);
      assert.equal(image.status, 'active');

      // An honest repeat of the same call (an SDK retry) is still served.
      const again = await tc3Request(t.url, key, { action: 'DescribeImages', body, timestamp });
      assert.equal(again.body.Response.Error, undefined, JSON.stringify(again.body));
    });

    it("the official SDK's calls with identical bodies in one second keep working", async () => {
      const gz = cvmClient(t.url, key, { region: 'ap-guangzhou' });
      const sh = cvmClient(t.url, key, { region: 'ap-shanghai' });
      const [a, b] = await Promise.all([gz.DescribeImages({}), sh.DescribeImages({})]);
      assert.equal(typeof a.TotalCount, 'number');
      assert.equal(typeof b.TotalCount, 'number');
      assert.equal((await gz.DescribeRegions()).TotalCount, 2);
    });
  });
});
