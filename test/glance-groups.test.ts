// Account groups (issue 12) through the OpenStack extension (/v2/groups, a group as a member of an image) and
// Tencent's ModifyImageSharePermission / DescribeImageSharePermission, on both databases over real HTTP:
// group CRUD and its validation, limits and authorization ("not found" to anyone but the owner); a group
// share reaches members who join later and leaves those who leave at once; a group is one place in the
// image's limit; the receiver lists the image once however many ways lead to it, answers per account, and
// loses it at the group share's end time (a ManualClock, no sleeps) and when the group is deleted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from './helpers/clock.js';
import { forEachDatabase } from './helpers/databases.js';
import { body, createImage, type Json } from './helpers/glance.js';
import { startTestServer, type TestAccount, type TestServer } from './helpers/server.js';
import { cvmClient, sdkErrorCode } from './helpers/tencent.js';

const MAX_MEMBERS_PER_GROUP = 3;
const MAX_GROUPS = 12;
const MAX_ACCOUNTS_PER_IMAGE = 3;

forEachDatabase((target) => {
  describe(`account groups (issue 12) on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    const clock = new ManualClock();
    let owner: TestAccount;
    let ownerToken: string;
    const tokens = new Map<string, string>();

    before(async () => {
      t = await startTestServer({
        target,
        clock,
        overrides: {
          'groups.maxMembersPerGroup': String(MAX_MEMBERS_PER_GROUP),
          'groups.maxGroupsPerAccount': String(MAX_GROUPS),
          'sharing.maxAccountsPerImage': String(MAX_ACCOUNTS_PER_IMAGE),
        },
      });
      owner = await t.createAccount();
      ownerToken = await t.token(owner);
    });
    after(() => t?.close());

    async function account(): Promise<{ account: TestAccount; token: string }> {
      const a = await t.createAccount();
      const token = await t.token(a);
      tokens.set(a.id, token);
      return { account: a, token };
    }
    const call = (token: string, method: string, path: string, b?: unknown) =>
      t.request(method, path, { token, ...(b !== undefined ? { body: b } : {}) });

    async function group(token: string, name: string): Promise<string> {
      const res = await call(token, 'POST', '/v2/groups', { name });
      assert.equal(res.status, 201, res.text);
      return body(res).id as string;
    }
    async function join(groupId: string, ...ids: string[]) {
      const res = await call(ownerToken, 'POST', `/v2/groups/${groupId}/members`, { members: ids });
      assert.equal(res.status, 200, res.text);
    }
    async function image(): Promise<string> {
      return (await createImage(t, ownerToken, { name: `g-${Math.random()}` })).id;
    }
    async function listed(token: string, query = ''): Promise<string[]> {
      const res = await call(token, 'GET', `/v2/images?member_status=all${query}`);
      assert.equal(res.status, 200, res.text);
      return (body(res).images as Json[]).map((i) => i.id as string);
    }
    const sees = async (token: string, id: string) => (await call(token, 'GET', `/v2/images/${id}`)).status;

    it('creates, lists, shows, renames and deletes groups, with bounded and validated input', async () => {
      const id = await group(ownerToken, 'qa team');
      assert.match(id, /^grp-[a-z0-9]{8}$/);
      const shown = body(await call(ownerToken, 'GET', `/v2/groups/${id}`));
      assert.equal(shown.name, 'qa team');
      assert.equal(shown.member_count, 0);
      assert.equal(shown.owner, owner.id);
      assert.deepEqual(shown.images, []);

      for (const bad of [{ name: '' }, { name: 'x'.repeat(65) }, { name: 'a\u0001b' }, {}, { name: 7 }]) {
        const res = await call(ownerToken, 'POST', '/v2/groups', bad);
        assert.equal(res.status, 400, `${JSON.stringify(bad)}: ${res.text}`);
      }
      const duplicate = await call(ownerToken, 'POST', '/v2/groups', { name: 'qa team' });
      assert.equal(duplicate.status, 409, duplicate.text);

      const renamed = await call(ownerToken, 'PATCH', `/v2/groups/${id}`, { name: 'release team' });
      assert.equal(renamed.status, 200, renamed.text);
      assert.equal(body(renamed).name, 'release team');
      const list = body(await call(ownerToken, 'GET', '/v2/groups'));
      assert.deepEqual(
        (list.groups as Json[]).map((g) => g.name),
        ['release team'],
      );
      assert.equal(list.total, 1);
      assert.equal((await call(ownerToken, 'DELETE', `/v2/groups/${id}`)).status, 204);
      assert.equal((await call(ownerToken, 'GET', `/v2/groups/${id}`)).status, 404);
    });

    it(`an account owns at most ${MAX_GROUPS} groups; a group holds at most ${MAX_MEMBERS_PER_GROUP} other, existing accounts`, async () => {
      const { token } = await account();
      for (let i = 0; i < MAX_GROUPS; i++) await group(token, `g${i}`);
      const over = await call(token, 'POST', '/v2/groups', { name: 'one too many' });
      assert.equal(over.status, 413, over.text);

      const id = await group(ownerToken, 'limits');
      const members = await Promise.all([account(), account(), account(), account()]);
      const four = await call(ownerToken, 'POST', `/v2/groups/${id}/members`, {
        members: members.map((m) => m.account.id),
      });
      assert.equal(four.status, 413, four.text); // all or nothing
      assert.equal(body(await call(ownerToken, 'GET', `/v2/groups/${id}`)).member_count, 0);
      await join(id, ...members.slice(0, 3).map((m) => m.account.id));
      // Adding someone already in is harmless; one more is over the limit.
      await join(id, members[0].account.id);
      const fourth = await call(ownerToken, 'POST', `/v2/groups/${id}/members`, {
        members: [members[3].account.id],
      });
      assert.equal(fourth.status, 413, fourth.text);
      const self = await call(ownerToken, 'POST', `/v2/groups/${id}/members`, { members: [owner.id] });
      assert.equal(self.status, 400, self.text);
      const unknown = await call(ownerToken, 'POST', `/v2/groups/${id}/members`, {
        members: ['99999999999'],
      });
      assert.equal(unknown.status, 400, unknown.text);
      const listedMembers = body(await call(ownerToken, 'GET', `/v2/groups/${id}/members`)).members as Json[];
      assert.equal(listedMembers.length, 3);
      assert.equal(
        (await call(ownerToken, 'DELETE', `/v2/groups/${id}/members/${members[3].account.id}`)).status,
        404,
      );
      assert.equal((await call(ownerToken, 'DELETE', `/v2/groups/${id}`)).status, 204);
    });

    it("another account's group does not exist for it: not shown, changed, deleted, nor shared with", async () => {
      const id = await group(ownerToken, 'private to owner');
      const stranger = await account();
      for (const [method, path, b] of [
        ['GET', `/v2/groups/${id}`],
        ['PATCH', `/v2/groups/${id}`, { name: 'mine now' }],
        ['DELETE', `/v2/groups/${id}`],
        ['GET', `/v2/groups/${id}/members`],
        ['POST', `/v2/groups/${id}/members`, { members: [stranger.account.id] }],
        ['GET', '/v2/groups/grp-zzzzzzzz'],
      ] as const) {
        const res = await call(stranger.token, method, path, b);
        assert.equal(res.status, 404, `${method} ${path}: ${res.text}`);
        assert.doesNotMatch(res.text, /private to owner/);
      }
      assert.deepEqual(body(await call(stranger.token, 'GET', '/v2/groups')).groups, []);
      // Sharing its own image with the owner's group: that group is not found for it.
      const theirs = (await createImage(t, stranger.token, { name: 'theirs' })).id;
      const share = await call(stranger.token, 'POST', `/v2/images/${theirs}/members`, { member: id });
      assert.equal(share.status, 404, share.text);
      assert.equal(body(await call(ownerToken, 'GET', `/v2/groups/${id}`)).name, 'private to owner');
      await call(ownerToken, 'DELETE', `/v2/groups/${id}`);
    });

    it('a group share reaches members who join later and leaves members who leave, at once; never anyone else', async () => {
      const id = await group(ownerToken, 'reach');
      const [early, late, outsider] = await Promise.all([account(), account(), account()]);
      await join(id, early.account.id);
      const img = await image();
      const shared = await call(ownerToken, 'POST', `/v2/images/${img}/members`, { member: id });
      assert.equal(shared.status, 200, shared.text);
      assert.equal(body(shared).member_type, 'group');
      assert.equal(body(shared).member_id, id);

      assert.deepEqual(await listed(early.token), [img]);
      assert.equal(await sees(early.token, img), 200);
      assert.equal(await sees(late.token, img), 404);
      await join(id, late.account.id);
      assert.deepEqual(await listed(late.token), [img]);
      assert.equal(await sees(late.token, img), 200);
      const leave = await call(ownerToken, 'DELETE', `/v2/groups/${id}/members/${early.account.id}`);
      assert.equal(leave.status, 204);
      assert.deepEqual(await listed(early.token), []);
      assert.equal(await sees(early.token, img), 404);
      assert.equal(await sees(outsider.token, img), 404);
      assert.deepEqual(await listed(outsider.token), []);

      // The owner sees the group share among the members; a receiver sees only its own share.
      const members = body(await call(ownerToken, 'GET', `/v2/images/${img}/members`)).members as Json[];
      assert.deepEqual(
        members.map((m) => [m.member_id, m.member_type, m.group_size]),
        [[id, 'group', 1]],
      );
      const own = body(await call(late.token, 'GET', `/v2/images/${img}/members`)).members as Json[];
      assert.deepEqual(
        own.map((m) => [m.member_id, m.status]),
        [[late.account.id, 'pending']],
      );
      assert.equal((await call(early.token, 'GET', `/v2/images/${img}/members`)).status, 404);
      const groupShow = body(await call(ownerToken, 'GET', `/v2/groups/${id}`));
      assert.deepEqual(groupShow.images, [{ image_id: img, expires_at: null }]);
    });

    it('lists the image once however many groups and direct shares lead to it; the receiver answers per account', async () => {
      const [g1, g2] = [await group(ownerToken, 'once-1'), await group(ownerToken, 'once-2')];
      const r = await account();
      await join(g1, r.account.id);
      await join(g2, r.account.id);
      const img = await image();
      for (const member of [g1, g2, r.account.id]) {
        const res = await call(ownerToken, 'POST', `/v2/images/${img}/members`, { member });
        assert.equal(res.status, 200, res.text);
      }
      assert.deepEqual(await listed(r.token), [img]);
      // The direct share is live: its status decides. Accepting through it answers the group shares too.
      const accept = await call(r.token, 'PUT', `/v2/images/${img}/members/${r.account.id}`, {
        status: 'accepted',
      });
      assert.equal(accept.status, 200, accept.text);
      assert.deepEqual(await listed(r.token, '&member_status=accepted'), [img]);
      assert.equal(
        (await call(ownerToken, 'DELETE', `/v2/images/${img}/members/${r.account.id}`)).status,
        204,
      );
      // Only the groups lead to it now; the answer stands.
      assert.deepEqual(await listed(r.token, '&member_status=accepted'), [img]);
      const reject = await call(r.token, 'PUT', `/v2/images/${img}/members/${r.account.id}`, {
        status: 'rejected',
      });
      assert.equal(reject.status, 200, reject.text);
      assert.equal(body(reject).status, 'rejected');
      assert.deepEqual(await listed(r.token, '&member_status=accepted'), []);
      assert.deepEqual(await listed(r.token, '&member_status=rejected'), [img]);
      assert.deepEqual(await listed(r.token), [img]);
      // The owner may not answer for the receiver.
      const forged = await call(ownerToken, 'PUT', `/v2/images/${img}/members/${r.account.id}`, {
        status: 'accepted',
      });
      assert.equal(forged.status, 403, forged.text);
    });

    it(`a group takes one place in the image's limit (${MAX_ACCOUNTS_PER_IMAGE}), whatever its size`, async () => {
      const id = await group(ownerToken, 'one place');
      const many = await Promise.all([account(), account(), account()]);
      await join(id, ...many.map((m) => m.account.id));
      const img = await image();
      const others = await Promise.all([account(), account(), account()]);
      for (const member of [id, others[0].account.id, others[1].account.id]) {
        const res = await call(ownerToken, 'POST', `/v2/images/${img}/members`, { member });
        assert.equal(res.status, 200, res.text);
      }
      const full = await call(ownerToken, 'POST', `/v2/images/${img}/members`, {
        member: others[2].account.id,
      });
      assert.equal(full.status, 413, full.text);
      const again = await call(ownerToken, 'POST', `/v2/images/${img}/members`, { member: id });
      assert.equal(again.status, 409, again.text);
      for (const m of many) assert.deepEqual(await listed(m.token), [img]);
      // Cancelling the group share frees its place and ends every member's access.
      assert.equal((await call(ownerToken, 'DELETE', `/v2/images/${img}/members/${id}`)).status, 204);
      for (const m of many) assert.equal(await sees(m.token, img), 404);
      const now = await call(ownerToken, 'POST', `/v2/images/${img}/members`, {
        member: others[2].account.id,
      });
      assert.equal(now.status, 200, now.text);
    });

    it('a group share with expires_at grants nothing from its end on; the owner changes its terms', async () => {
      const id = await group(ownerToken, 'expiring');
      const r = await account();
      await join(id, r.account.id);
      const img = await image();
      const end = clock.later(60_000);
      const res = await call(ownerToken, 'POST', `/v2/images/${img}/members`, {
        member: id,
        expires_at: end,
        access: 'launch_and_copy',
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(body(res).expires_at, end);
      const own = body(await call(r.token, 'GET', `/v2/images/${img}/members/${r.account.id}`));
      assert.equal(own.expires_at, end);
      assert.equal(own.access, 'launch_and_copy');
      clock.advance(60_000);
      assert.equal(await sees(r.token, img), 404);
      assert.deepEqual(await listed(r.token), []);
      // Renewing: the owner sets a later end (terms of the group share), and it holds again.
      const renewed = await call(ownerToken, 'PUT', `/v2/images/${img}/members/${id}`, {
        expires_at: clock.later(60_000),
      });
      assert.equal(renewed.status, 200, renewed.text);
      assert.equal(await sees(r.token, img), 200);
    });

    it('deleting a group ends its shares at once and records a cancel in the image history', async () => {
      const id = await group(ownerToken, 'to delete');
      const r = await account();
      await join(id, r.account.id);
      const img = await image();
      assert.equal((await call(ownerToken, 'POST', `/v2/images/${img}/members`, { member: id })).status, 200);
      assert.equal(await sees(r.token, img), 200);
      assert.equal((await call(ownerToken, 'DELETE', `/v2/groups/${id}`)).status, 204);
      assert.equal(await sees(r.token, img), 404);
      const history = await t.server.services.history.forImage(img);
      assert.deepEqual(
        history.filter((e) => e.targetAccountId === id).map((e) => e.action),
        ['share', 'cancel'],
      );
      // An image shared with a group cannot be deleted (the seed's rule) until the share is cancelled.
      const g2 = await group(ownerToken, 'holds delete');
      const img2 = await image();
      await call(ownerToken, 'POST', `/v2/images/${img2}/members`, { member: g2 });
      assert.equal((await call(ownerToken, 'DELETE', `/v2/images/${img2}`)).status, 409);
      await call(ownerToken, 'DELETE', `/v2/groups/${g2}`);
      assert.equal((await call(ownerToken, 'DELETE', `/v2/images/${img2}`)).status, 204);
    });

    it('Tencent: ModifyImageSharePermission takes a group ID; DescribeImageSharePermission shows it', async () => {
      const key = await t.server.services.apiKeys.create(owner.id);
      const cvm = cvmClient(t.url, key, { region: 'ap-guangzhou' });
      const id = await group(ownerToken, 'tencent');
      const r = await account();
      await join(id, r.account.id);
      const img = await image();
      await cvm.ModifyImageSharePermission({ ImageId: img, AccountIds: [id], Permission: 'SHARE' });
      assert.equal(await sees(r.token, img), 200);
      const described = (await cvm.DescribeImageSharePermission({ ImageId: img })) as {
        SharePermissionSet: Json[];
      };
      assert.deepEqual(
        described.SharePermissionSet.map((s) => [s.AccountId, s.AccountType, s.GroupName, s.GroupSize]),
        [[id, 'GROUP', 'tencent', 1]],
      );
      const stranger = await account();
      const strangerKey = await t.server.services.apiKeys.create(stranger.account.id);
      const theirs = (await createImage(t, stranger.token, { name: 'theirs' })).id;
      const code = await sdkErrorCode(() =>
        cvmClient(t.url, strangerKey, { region: 'ap-guangzhou' }).ModifyImageSharePermission({
          ImageId: theirs,
          AccountIds: [id],
          Permission: 'SHARE',
        }),
      );
      assert.equal(code, 'InvalidParameterValue.GroupNotFound');
      await cvm.ModifyImageSharePermission({ ImageId: img, AccountIds: [id], Permission: 'CANCEL' });
      assert.equal(await sees(r.token, img), 404);
    });
  });
});
