// Community images are not the cloud's own (issue 11, community-image impersonation). Any account may make its
// image `community` (Glance's meaning: offered to every account, usable by ID, listed when asked for), but
// only the operator publishes `public` images, and only those are Tencent's PUBLIC_IMAGE from the OFFICIAL
// source. Tencent (API 3.0 and legacy) and the console never list another account's community image; Glance
// lists it under `visibility=community` as Tempest expects.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { consoleCall, consoleLogin, type ConsoleLogin } from '../helpers/console.js';
import { forEachDatabase } from '../helpers/databases.js';
import { createImage, getJson, ids, patchImage, uploadData } from '../helpers/glance.js';
import { startTestServer, type TestAccount, type TestServer } from '../helpers/server.js';
import { paramsRequest, tc3Request, type Key } from '../helpers/tencent.js';

type TencentImage = { ImageId: string; ImageType: string; ImageSource: string };

forEachDatabase((target) => {
  describe(`community images on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    let author: TestAccount;
    let stranger: TestAccount;
    let keys: { author: Key; stranger: Key; admin: Key };
    let strangerSession: ConsoleLogin;
    let strangerToken: string;
    let communityId: string;
    let officialId: string;

    before(async () => {
      t = await startTestServer({ target });
      author = await t.createAccount();
      stranger = await t.createAccount();
      const apiKeys = t.server.services.apiKeys;
      keys = {
        author: await apiKeys.create(author.id),
        stranger: await apiKeys.create(stranger.id),
        admin: await apiKeys.create(t.admin.id),
      };
      strangerToken = await t.token(stranger);
      strangerSession = await consoleLogin(t, stranger);

      // An account offers its image to everyone, named like the cloud's own.
      const authorToken = await t.token(author);
      communityId = (await createImage(t, authorToken, { name: 'CentOS 8.0 64-bit (official)' })).id;
      assert.equal(
        (await uploadData(t, authorToken, communityId, Buffer.from('not what it says'))).status,
        204,
      );
      const made = await patchImage(t, authorToken, communityId, [
        { op: 'replace', path: '/visibility', value: 'community' },
      ]);
      assert.equal(made.status, 200, made.text);
      // ...but it cannot make it public: that is the operator's.
      const refused = await patchImage(t, authorToken, communityId, [
        { op: 'replace', path: '/visibility', value: 'public' },
      ]);
      assert.equal(refused.status, 403, refused.text);

      const adminToken = await t.token(t.admin);
      officialId = (await createImage(t, adminToken, { name: 'CentOS 8.0 64-bit', visibility: 'public' })).id;
      assert.equal((await uploadData(t, adminToken, officialId, Buffer.from('the real one'))).status, 204);
    });
    after(async () => t.close());

    const describeImages = async (key: Key, body: Record<string, unknown> = {}) => {
      const res = await tc3Request(t.url, key, { action: 'DescribeImages', body: JSON.stringify(body) });
      assert.equal(res.body.Response.Error, undefined, JSON.stringify(res.body));
      return res.body.Response.ImageSet as TencentImage[];
    };

    it("Tencent API 3.0 lists only the operator's image as PUBLIC_IMAGE/OFFICIAL, never a community one", async () => {
      const all = await describeImages(keys.stranger);
      assert.deepEqual(
        all.map((i) => [i.ImageId, i.ImageType, i.ImageSource]),
        [[officialId, 'PUBLIC_IMAGE', 'OFFICIAL']],
      );
      const publicType = await describeImages(keys.stranger, {
        Filters: [{ Name: 'image-type', Values: ['PUBLIC_IMAGE'] }],
      });
      assert.deepEqual(
        publicType.map((i) => i.ImageId),
        [officialId],
      );
      // Not even by ID: Tencent has no type for another account's community image.
      assert.deepEqual(await describeImages(keys.stranger, { ImageIds: [communityId] }), []);
    });

    it('its author sees it as its own (PRIVATE_IMAGE, not OFFICIAL); an admin administers it', async () => {
      const own = await describeImages(keys.author, { ImageIds: [communityId] });
      assert.deepEqual(
        own.map((i) => [i.ImageType, i.ImageSource]),
        [['PRIVATE_IMAGE', 'EXTERNAL_IMPORT']],
      );
      const byAdmin = await describeImages(keys.admin, { ImageIds: [communityId] });
      assert.deepEqual(
        byAdmin.map((i) => [i.ImageType, i.ImageSource]),
        [['PRIVATE_IMAGE', 'EXTERNAL_IMPORT']],
      );
    });

    it("the legacy API's public type (imageType 2) holds only the operator's image", async () => {
      const res = await paramsRequest(
        t.url,
        keys.stranger,
        { Action: 'DescribeImages', imageType: '2' },
        { path: '/v2/index.php' },
      );
      const legacy = res.body as unknown as { code: number; imageSet: Array<{ unImgId: string }> };
      assert.equal(legacy.code, 0, JSON.stringify(legacy));
      assert.deepEqual(
        legacy.imageSet.map((i) => i.unImgId),
        [officialId],
      );
    });

    it("the console's public images are the operator's only", async () => {
      const res = await consoleCall(t, strangerSession, 'GET', '/images?kind=public&region=ap-guangzhou');
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(
        (res.body as { items: Array<{ id: string }> }).items.map((i) => i.id),
        [officialId],
      );
    });

    it("a stranger cannot change another account's community image; each API says whose it is", async () => {
      const words =
        /You do not own this image: image img-[a-z0-9]{8} belongs to another account, and only its owner may/;
      const glance = await patchImage(t, strangerToken, communityId, [
        { op: 'replace', path: '/name', value: 'mine' },
      ]);
      assert.equal(glance.status, 403);
      assert.match((glance.body as { message: string }).message, words);
      const api3 = await tc3Request(t.url, keys.stranger, {
        action: 'ModifyImageAttribute',
        body: JSON.stringify({ ImageId: communityId, ImageName: 'mine' }),
      });
      assert.equal(api3.body.Response.Error?.Code, 'UnauthorizedOperation.ImageNotBelongToAccount');
      assert.match(api3.body.Response.Error?.Message ?? '', words);
      const viaConsole = await consoleCall(t, strangerSession, 'PATCH', `/images/${communityId}`, {
        body: { name: 'mine' },
      });
      assert.equal(viaConsole.status, 403);
      assert.match((viaConsole.body as { error: { message: string } }).error.message, words);
    });

    it('Glance keeps community semantics: listed on request, readable and usable by ID by every account', async () => {
      assert.ok(!ids(await getJson(t, strangerToken, '/v2/images')).includes(communityId));
      assert.deepEqual(ids(await getJson(t, strangerToken, '/v2/images?visibility=community')), [
        communityId,
      ]);
      const shown = await getJson(t, strangerToken, `/v2/images/${communityId}`);
      assert.equal(shown.status, 200);
      assert.equal((shown.body as { visibility: string }).visibility, 'community');
      // Usable by its ID on Tencent too (a launch names the image the caller chose).
      const launch = await tc3Request(t.url, keys.stranger, {
        action: 'RunInstances',
        body: JSON.stringify({ ImageId: communityId }),
      });
      assert.equal(launch.body.Response.Error, undefined, JSON.stringify(launch.body));
    });
  });
});
