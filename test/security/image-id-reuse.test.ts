// OSSN-0075 (Glance): a deleted image's ID must never name a new image, or whoever trusted the old ID (a
// launch template, a receiver's notes, an owner's script) would get someone else's data under it. Deleted rows
// are kept, so even an admin, who may choose IDs, is refused a used one (409), and the ID stays "not found".
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { forEachDatabase } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

forEachDatabase((target) => {
  describe(`image IDs are never reused on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer({ target });
    });
    after(async () => t.close());

    it('an admin cannot create an image with the ID of a deleted one; the old ID stays not found', async () => {
      const adminToken = await t.token(t.admin);
      const user = await t.createAccount();
      const userToken = await t.token(user);
      const created = await t.request('POST', '/v2/images', { token: userToken, body: { name: 'first' } });
      assert.equal(created.status, 201, created.text);
      const id = (created.body as { id: string }).id;
      assert.equal((await t.request('DELETE', `/v2/images/${id}`, { token: userToken })).status, 204);

      const again = await t.request('POST', '/v2/images', {
        token: adminToken,
        body: { id, name: 'impostor', visibility: 'public' },
        headers: { accept: 'application/json' },
      });
      assert.equal(again.status, 409, again.text);
      for (const token of [userToken, adminToken]) {
        assert.equal((await t.request('GET', `/v2/images/${id}`, { token })).status, 404);
      }
      // The control: a fresh ID of the admin's choosing is accepted.
      const fresh = await t.request('POST', '/v2/images', {
        token: adminToken,
        body: { id: 'img-ossn0075', name: 'fresh' },
      });
      assert.equal(fresh.status, 201, fresh.text);
    });
  });
});
