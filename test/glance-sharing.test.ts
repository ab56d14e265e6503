// Sharing through the image API (Glance members), every rule in both directions, on every database:
// who may add, see, accept and remove members; what a receiver may and may not do with a shared image;
// the member limit; regions; listing by member status; deleting shared images under both policies.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachDatabase } from './helpers/databases.js';
import { startTestServer, type TestAccount, type TestServer } from './helpers/server.js';
import {
  PATCH_V20,
  body,
  createImage,
  download,
  getJson,
  ids,
  patchImage,
  uploadData,
  type Json,
} from './helpers/glance.js';
import { isDomainError } from '../src/domain/errors.js';

const SHANGHAI = '/regions/ap-shanghai';

forEachDatabase((target) => {
  describe(`image sharing on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    let owner: TestAccount;
    let receiver: TestAccount;
    let stranger: TestAccount;
    let ownerToken: string;
    let receiverToken: string;
    let strangerToken: string;

    const addMember = (token: string, imageId: string, member: unknown) =>
      t.request('POST', `/v2/images/${imageId}/members`, {
        token,
        body: { member },
        headers: { accept: 'application/json' },
      });
    const setStatus = (token: string, imageId: string, memberId: string, status: unknown) =>
      t.request('PUT', `/v2/images/${imageId}/members/${memberId}`, {
        token,
        body: { status },
        headers: { accept: 'application/json' },
      });

    /** A new active image of the owner's (default visibility: shared). */
    async function sharedImage(name: string): Promise<string> {
      const image = await createImage(t, ownerToken, { name });
      assert.equal(image.visibility, 'shared');
      const id = image.id;
      assert.equal((await uploadData(t, ownerToken, id, Buffer.from(`data of ${name}`))).status, 204);
      return id;
    }

    before(async () => {
      t = await startTestServer({ target });
      [owner, receiver, stranger] = await Promise.all([
        t.createAccount(),
        t.createAccount(),
        t.createAccount(),
      ]);
      [ownerToken, receiverToken, strangerToken] = await Promise.all([
        t.token(owner),
        t.token(receiver),
        t.token(stranger),
      ]);
    });
    after(async () => t?.close());

    it('the owner adds a member: 200 with Glance body, pending; duplicates 409', async () => {
      const id = await sharedImage('add');
      const res = await addMember(ownerToken, id, receiver.id);
      assert.equal(res.status, 200, res.text);
      const m = body(res);
      assert.equal(m.member_id, receiver.id);
      assert.equal(m.image_id, id);
      assert.equal(m.status, 'pending');
      assert.equal(m.schema, '/v2/schemas/member');
      assert.match(m.created_at as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.equal((await addMember(ownerToken, id, receiver.id)).status, 409);
    });

    it('refuses unknown accounts, the owner itself and malformed member bodies (400)', async () => {
      const id = await sharedImage('targets');
      const unknown = await addMember(ownerToken, id, '1234509876');
      assert.equal(unknown.status, 400);
      assert.match(body(unknown).message as string, /Account 1234509876 does not exist/);
      const self = await addMember(ownerToken, id, owner.id);
      assert.equal(self.status, 400);
      assert.match(body(self).message as string, /own owner/);
      assert.equal((await addMember(ownerToken, id, 'project-name')).status, 400);
      assert.equal((await addMember(ownerToken, id, '')).status, 400);
      assert.equal((await addMember(ownerToken, id, 42)).status, 400);
      const missing = await t.request('POST', `/v2/images/${id}/members`, { token: ownerToken, body: {} });
      assert.equal(missing.status, 400);
      const list = body(await getJson(t, ownerToken, `/v2/images/${id}/members`));
      assert.deepEqual(list.members, [], 'nothing was added');
    });

    it('only shared images take members (403 on private)', async () => {
      const image = await createImage(t, ownerToken, { visibility: 'private' });
      assert.equal((await addMember(ownerToken, image.id, receiver.id)).status, 403);
      assert.equal((await getJson(t, ownerToken, `/v2/images/${image.id}/members`)).status, 403);
    });

    it('a stranger gets 404 for a shared image, its members, its data, and every write', async () => {
      const id = await sharedImage('stranger');
      assert.equal((await addMember(ownerToken, id, receiver.id)).status, 200);
      const paths = [
        `/v2/images/${id}`,
        `/v2/images/${id}/members`,
        `/v2/images/${id}/members/${receiver.id}`,
      ];
      for (const path of paths) assert.equal((await getJson(t, strangerToken, path)).status, 404, path);
      assert.equal((await download(t, strangerToken, id)).status, 404);
      assert.equal(
        (await patchImage(t, strangerToken, id, [{ replace: '/name', value: 'x' }], PATCH_V20)).status,
        404,
      );
      assert.equal((await t.request('DELETE', `/v2/images/${id}`, { token: strangerToken })).status, 404);
      assert.equal((await addMember(strangerToken, id, stranger.id)).status, 404);
      assert.equal((await setStatus(strangerToken, id, stranger.id, 'accepted')).status, 404);
      assert.ok(
        !ids(await getJson(t, strangerToken, '/v2/images?member_status=all&visibility=all')).includes(id),
      );
      // The owner still sees it: the 404s are about the stranger, not a missing image.
      assert.equal((await getJson(t, ownerToken, `/v2/images/${id}`)).status, 200);
    });

    it('member status decides listing, not access: a pending member reads and downloads', async () => {
      const id = await sharedImage('listing');
      assert.equal((await addMember(ownerToken, id, receiver.id)).status, 200);
      // pending: not in the default list, but visible with member_status=pending|all
      assert.ok(!ids(await getJson(t, receiverToken, '/v2/images')).includes(id));
      assert.ok(ids(await getJson(t, receiverToken, '/v2/images?member_status=pending')).includes(id));
      assert.ok(ids(await getJson(t, receiverToken, '/v2/images?member_status=all')).includes(id));
      assert.ok(
        ids(await getJson(t, receiverToken, '/v2/images?visibility=shared&member_status=pending')).includes(
          id,
        ),
      );
      assert.ok(!ids(await getJson(t, receiverToken, '/v2/images?member_status=accepted')).includes(id));
      const shown = await getJson(t, receiverToken, `/v2/images/${id}`);
      assert.equal(shown.status, 200);
      assert.equal(body(shown).owner, owner.id);
      const data = await download(t, receiverToken, id);
      assert.equal(data.status, 200);
      assert.equal(data.data.toString(), 'data of listing');

      // accepted: in the default list
      const accepted = await setStatus(receiverToken, id, receiver.id, 'accepted');
      assert.equal(accepted.status, 200);
      assert.equal(body(accepted).status, 'accepted');
      assert.ok(ids(await getJson(t, receiverToken, '/v2/images')).includes(id));
      assert.ok(!ids(await getJson(t, receiverToken, '/v2/images?member_status=pending')).includes(id));

      // rejected: out of the default list again, still readable and downloadable
      assert.equal((await setStatus(receiverToken, id, receiver.id, 'rejected')).status, 200);
      assert.ok(!ids(await getJson(t, receiverToken, '/v2/images')).includes(id));
      assert.ok(ids(await getJson(t, receiverToken, '/v2/images?member_status=rejected')).includes(id));
      assert.equal((await getJson(t, receiverToken, `/v2/images/${id}`)).status, 200);
      assert.equal((await download(t, receiverToken, id)).status, 200);
    });

    it('only the member sets its status: the owner gets 403, a bad status 400', async () => {
      const id = await sharedImage('status');
      assert.equal((await addMember(ownerToken, id, receiver.id)).status, 200);
      const byOwner = await setStatus(ownerToken, id, receiver.id, 'accepted');
      assert.equal(byOwner.status, 403);
      const member = body(await getJson(t, ownerToken, `/v2/images/${id}/members/${receiver.id}`));
      assert.equal(member.status, 'pending', 'the owner could not accept on its behalf');
      assert.ok(!ids(await getJson(t, receiverToken, '/v2/images')).includes(id));
      assert.equal((await setStatus(receiverToken, id, receiver.id, 'notavalidstatus')).status, 400);
      const missing = await t.request('PUT', `/v2/images/${id}/members/${receiver.id}`, {
        token: receiverToken,
        body: {},
      });
      assert.equal(missing.status, 400);
      // openstacksdk sends extra keys: they are ignored.
      const sdk = await t.request('PUT', `/v2/images/${id}/members/${receiver.id}`, {
        token: receiverToken,
        body: { member: receiver.id, status: 'accepted', image_id: id },
      });
      assert.equal(sdk.status, 200);
      assert.equal(
        body(await getJson(t, ownerToken, `/v2/images/${id}/members/${receiver.id}`)).status,
        'accepted',
      );
    });

    it('members see only their own row; the owner sees all', async () => {
      const id = await sharedImage('rows');
      const third = await t.createAccount();
      assert.equal((await addMember(ownerToken, id, receiver.id)).status, 200);
      assert.equal((await addMember(ownerToken, id, third.id)).status, 200);
      const all = body(await getJson(t, ownerToken, `/v2/images/${id}/members`));
      assert.equal(all.schema, '/v2/schemas/members');
      assert.deepEqual(
        new Set((all.members as Json[]).map((m) => m.member_id)),
        new Set([receiver.id, third.id]),
      );
      const own = body(await getJson(t, receiverToken, `/v2/images/${id}/members`));
      assert.deepEqual(
        (own.members as Json[]).map((m) => m.member_id),
        [receiver.id],
      );
      assert.equal((await getJson(t, receiverToken, `/v2/images/${id}/members/${receiver.id}`)).status, 200);
      assert.equal((await getJson(t, receiverToken, `/v2/images/${id}/members/${third.id}`)).status, 404);
      assert.equal((await setStatus(receiverToken, id, third.id, 'accepted')).status, 404);
    });

    it('a receiver may not change, upload, tag, deactivate, delete or share onward (403)', async () => {
      const id = await sharedImage('readonly');
      const queued = (await createImage(t, ownerToken, { name: 'queued' })).id;
      assert.equal((await addMember(ownerToken, id, receiver.id)).status, 200);
      assert.equal((await addMember(ownerToken, queued, receiver.id)).status, 200);
      assert.equal((await setStatus(receiverToken, id, receiver.id, 'accepted')).status, 200);
      const third = await t.createAccount();

      const rename = await patchImage(t, receiverToken, id, [
        { op: 'replace', path: '/name', value: 'mine' },
      ]);
      assert.equal(rename.status, 403);
      assert.match(body(rename).message as string, /^You do not own this image/);
      const other = await patchImage(t, receiverToken, id, [{ op: 'replace', path: '/min_ram', value: 1 }]);
      assert.equal(other.status, 403);
      assert.match(body(other).message as string, /^You do not own this image/);
      const refusals = [
        await t.request('DELETE', `/v2/images/${id}`, { token: receiverToken }),
        await uploadData(t, receiverToken, queued, Buffer.from('mine')),
        await t.request('PUT', `/v2/images/${id}/tags/mine`, { token: receiverToken }),
        await t.request('DELETE', `/v2/images/${id}/tags/mine`, { token: receiverToken }),
        await t.request('POST', `/v2/images/${id}/actions/deactivate`, { token: receiverToken }),
        await t.request('POST', `/v2/images/${id}/actions/reactivate`, { token: receiverToken }),
        await addMember(receiverToken, id, third.id),
        await t.request('DELETE', `/v2/images/${id}/members/${receiver.id}`, { token: receiverToken }),
      ];
      for (const [i, res] of refusals.entries()) assert.equal(res.status, 403, `refusal ${i}: ${res.text}`);

      // Nothing changed.
      const image = body(await getJson(t, ownerToken, `/v2/images/${id}`));
      assert.equal(image.name, 'readonly');
      assert.equal(image.status, 'active');
      assert.deepEqual(image.tags, []);
      assert.equal(body(await getJson(t, ownerToken, `/v2/images/${queued}`)).status, 'queued');
      const members = body(await getJson(t, ownerToken, `/v2/images/${id}/members`)).members as Json[];
      assert.deepEqual(
        members.map((m) => m.member_id),
        [receiver.id],
      );
      // The owner may do each of these (the refusals are about the receiver).
      assert.equal(
        (await patchImage(t, ownerToken, id, [{ op: 'replace', path: '/name', value: 'x' }])).status,
        200,
      );
      assert.equal((await t.request('PUT', `/v2/images/${id}/tags/t`, { token: ownerToken })).status, 204);
    });

    it('a share holds only in the image region: another region answers 404 to owner and receiver', async () => {
      const id = await sharedImage('region');
      assert.equal((await addMember(ownerToken, id, receiver.id)).status, 200);
      assert.equal((await setStatus(receiverToken, id, receiver.id, 'accepted')).status, 200);
      for (const token of [ownerToken, receiverToken]) {
        assert.equal((await getJson(t, token, `${SHANGHAI}/v2/images/${id}`)).status, 404);
        assert.equal((await getJson(t, token, `${SHANGHAI}/v2/images/${id}/members`)).status, 404);
        const file = await fetch(`${t.url}${SHANGHAI}/v2/images/${id}/file`, {
          headers: { 'x-auth-token': token },
        });
        assert.equal(file.status, 404);
        assert.ok(!ids(await getJson(t, token, `${SHANGHAI}/v2/images?member_status=all`)).includes(id));
        // ... while the image's own region (root, or its /regions/ap-guangzhou prefix) has it.
        assert.equal((await getJson(t, token, `/regions/ap-guangzhou/v2/images/${id}`)).status, 200);
      }
      assert.ok(ids(await getJson(t, receiverToken, '/v2/images')).includes(id));
      // Member status cannot be changed through the other region's endpoint either.
      const shanghai = await t.request('PUT', `${SHANGHAI}/v2/images/${id}/members/${receiver.id}`, {
        token: receiverToken,
        body: { status: 'accepted' },
      });
      assert.equal(shanghai.status, 404);

      // Launching follows the same rule: in the image's region yes, elsewhere "not found".
      const services = t.server.services;
      const caller = { accountId: receiver.id, isAdmin: false };
      const launched = await services.instances.launch(
        { caller, region: 'ap-guangzhou', surface: 'openstack' },
        id,
      );
      assert.equal(launched.length, 1);
      await assert.rejects(
        services.instances.launch({ caller, region: 'ap-shanghai', surface: 'openstack' }, id),
        (err) => isDomainError(err) && err.code === 'ImageNotFound',
      );
      // And a stranger cannot launch it anywhere.
      await assert.rejects(
        services.instances.launch(
          {
            caller: { accountId: stranger.id, isAdmin: false },
            region: 'ap-guangzhou',
            surface: 'openstack',
          },
          id,
        ),
        (err) => isDomainError(err) && err.code === 'ImageNotFound',
      );
    });

    it('an image created through a region endpoint lives there only', async () => {
      const image = await createImage(t, ownerToken, { name: 'sh' }, SHANGHAI);
      const id = image.id;
      assert.equal((await getJson(t, ownerToken, `${SHANGHAI}/v2/images/${id}`)).status, 200);
      assert.equal((await getJson(t, ownerToken, `/v2/images/${id}`)).status, 404);
      const created = await t.request('POST', `${SHANGHAI}/v2/images`, { token: ownerToken, body: {} });
      assert.equal(
        created.headers.get('location'),
        `${t.url}${SHANGHAI}/v2/images/${String(body(created).id)}`,
      );
      const added = await t.request('POST', `${SHANGHAI}/v2/images/${id}/members`, {
        token: ownerToken,
        body: { member: receiver.id },
      });
      assert.equal(added.status, 200);
      assert.equal((await getJson(t, receiverToken, `${SHANGHAI}/v2/images/${id}`)).status, 200);
      assert.equal((await getJson(t, receiverToken, `/v2/images/${id}`)).status, 404);
    });

    it('deleting an image with members is refused (409) until they are removed', async () => {
      const id = await sharedImage('delete');
      assert.equal((await addMember(ownerToken, id, receiver.id)).status, 200);
      const refused = await t.request('DELETE', `/v2/images/${id}`, {
        token: ownerToken,
        headers: { accept: 'application/json' },
      });
      assert.equal(refused.status, 409);
      assert.match(body(refused).message as string, /remove its members\) before deleting it/);
      assert.equal((await getJson(t, receiverToken, `/v2/images/${id}`)).status, 200, 'still shared');

      const removed = await t.request('DELETE', `/v2/images/${id}/members/${receiver.id}`, {
        token: ownerToken,
      });
      assert.equal(removed.status, 204);
      assert.equal((await getJson(t, receiverToken, `/v2/images/${id}`)).status, 404, 'share cancelled');
      assert.equal((await getJson(t, ownerToken, `/v2/images/${id}/members/${receiver.id}`)).status, 404);
      assert.equal(
        (await t.request('DELETE', `/v2/images/${id}/members/${receiver.id}`, { token: ownerToken })).status,
        404,
      );
      assert.equal((await t.request('DELETE', `/v2/images/${id}`, { token: ownerToken })).status, 204);
      assert.equal((await getJson(t, ownerToken, `/v2/images/${id}`)).status, 404);
    });

    it('takes 50 members and refuses the 51st with 413', async () => {
      const id = await sharedImage('limit');
      const accounts = await Promise.all(Array.from({ length: 51 }, () => t.createAccount()));
      for (const [i, account] of accounts.slice(0, 50).entries()) {
        const res = await addMember(ownerToken, id, account.id);
        assert.equal(res.status, 200, `member ${i + 1}: ${res.text}`);
      }
      const over = await addMember(ownerToken, id, accounts[50]?.id);
      assert.equal(over.status, 413);
      assert.match(body(over).message as string, /at most 50 accounts/);
      const members = body(await getJson(t, ownerToken, `/v2/images/${id}/members`)).members as Json[];
      assert.equal(members.length, 50);
      assert.ok(!members.some((m) => m.member_id === accounts[50]?.id));
      // Removing one makes room again.
      assert.equal(
        (await t.request('DELETE', `/v2/images/${id}/members/${accounts[0]?.id}`, { token: ownerToken }))
          .status,
        204,
      );
      assert.equal((await addMember(ownerToken, id, accounts[50]?.id)).status, 200);
    });
  });

  describe(
    `image sharing, profile openstack (cancel-shares) on ${target.dialect}`,
    {
      skip: target.skipReason ?? false,
    },
    () => {
      let t: TestServer;
      before(async () => {
        t = await startTestServer({ target, profile: 'openstack' });
      });
      after(async () => t?.close());

      it('deleting a shared image removes its members and the image', async () => {
        const [owner, receiver] = await Promise.all([t.createAccount(), t.createAccount()]);
        const [ownerToken, receiverToken] = await Promise.all([t.token(owner), t.token(receiver)]);
        const id = (await createImage(t, ownerToken)).id;
        const added = await t.request('POST', `/v2/images/${id}/members`, {
          token: ownerToken,
          body: { member: receiver.id },
        });
        assert.equal(added.status, 200);
        assert.equal((await getJson(t, receiverToken, `/v2/images/${id}`)).status, 200);
        assert.equal((await t.request('DELETE', `/v2/images/${id}`, { token: ownerToken })).status, 204);
        assert.equal((await getJson(t, ownerToken, `/v2/images/${id}`)).status, 404);
        assert.equal((await getJson(t, receiverToken, `/v2/images/${id}`)).status, 404);
        assert.ok(!ids(await getJson(t, receiverToken, '/v2/images?member_status=all')).includes(id));
      });
    },
  );
});
