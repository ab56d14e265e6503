// An admin gives an image any project ID as owner, as Glance allows and Tempest's
// BasicOperationsImagesAdminTest checks (it uses random 32-hex IDs that are no account here); a non-admin
// may not, and an owner that is no plausible project ID is refused. On SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { forEachDatabase } from './helpers/databases.js';
import { body, createImage, getJson, PATCH_V20 } from './helpers/glance.js';
import { startTestServer, type TestServer } from './helpers/server.js';

forEachDatabase((target) => {
  describe(`image owner set by an admin on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    let adminToken: string;
    let userToken: string;
    let userId: string;

    before(async () => {
      t = await startTestServer({ target });
      adminToken = await t.token(t.admin);
      const user = await t.createAccount();
      userId = user.id;
      userToken = await t.token(user);
    });
    after(async () => t?.close());

    const patchOwner = (token: string, id: string, owner: string) =>
      t.request('PATCH', `/v2/images/${id}`, {
        token,
        body: JSON.stringify([{ replace: '/owner', value: owner }]),
        headers: { 'content-type': PATCH_V20, accept: 'application/json' },
      });

    it('creates an image owned by a project ID that is no account, and shows it', async () => {
      const owner = randomBytes(16).toString('hex');
      const image = await createImage(t, adminToken, { owner });
      assert.equal(image.owner, owner);
      const shown = await getJson(t, adminToken, `/v2/images/${image.id}`);
      assert.equal(shown.status, 200);
      assert.equal(body(shown).owner, owner);
    });

    it('changes the owner with a PATCH', async () => {
      const first = randomBytes(16).toString('hex');
      const second = randomBytes(16).toString('hex');
      const image = await createImage(t, adminToken, { owner: first });
      const res = await patchOwner(adminToken, image.id, second);
      assert.equal(res.status, 200, res.text);
      assert.equal(body(await getJson(t, adminToken, `/v2/images/${image.id}`)).owner, second);
    });

    it('refuses owners that are no plausible project ID with 400', async () => {
      for (const owner of ['x'.repeat(33), 'has space', '']) {
        const res = await t.request('POST', '/v2/images', {
          token: adminToken,
          body: { disk_format: 'raw', container_format: 'bare', owner },
          headers: { accept: 'application/json' },
        });
        assert.equal(res.status, 400, `owner ${JSON.stringify(owner)}: ${res.text}`);
      }
      const image = await createImage(t, adminToken);
      const res = await patchOwner(adminToken, image.id, 'y'.repeat(40));
      assert.equal(res.status, 400, res.text);
    });

    it('refuses another owner from a non-admin with 403, on create and on update', async () => {
      const other = randomBytes(16).toString('hex');
      const res = await t.request('POST', '/v2/images', {
        token: userToken,
        body: { disk_format: 'raw', container_format: 'bare', owner: other },
        headers: { accept: 'application/json' },
      });
      assert.equal(res.status, 403, res.text);
      const image = await createImage(t, userToken);
      assert.equal(image.owner, userId);
      assert.equal((await patchOwner(userToken, image.id, other)).status, 403);
      assert.equal(body(await getJson(t, userToken, `/v2/images/${image.id}`)).owner, userId);
    });
  });
});
