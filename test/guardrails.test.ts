// Issue 12 guardrails, on both databases, over real HTTP: a receiver's launch policy (off | audit | enforce,
// an allow-list of owners) through the OpenStack extension and the console API, applied to every launch
// (Tencent RunInstances, the console); the operator's switches on new public and community images (Glance
// create and PATCH); and the sharing fixes of the same issue (an ended share no longer blocks a delete, a
// share's end is in both sides' history, exact end times on Tencent, history on the service's clock, the
// legacy code of a malformed image ID).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachDatabase } from './helpers/databases.js';
import { newParty, type Party } from './helpers/party.js';
import { ManualClock } from './helpers/clock.js';
import { consoleCall, errorOf, type Json } from './helpers/console.js';
import { startTestServer, type TestAccount, type TestServer } from './helpers/server.js';
import { createActiveImage, paramsRequest } from './helpers/tencent.js';
import { recordShareEnds } from '../src/services/share-ends.js';
import { openDatabase } from '../src/repositories/db/database.js';
import { KyselyImageUnitOfWork } from '../src/repositories/db/transaction.js';

const REGION = 'ap-guangzhou';

forEachDatabase((target) => {
  describe(`guardrails (issue 12) on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    const clock = new ManualClock('2031-03-04T05:06:07.089Z');
    let owner: Party;
    let other: Party;
    let receiver: Party;
    let admin: Party;

    const party = (account?: TestAccount): Promise<Party> => newParty(t, REGION, account);
    const glance = (p: Party, method: string, path: string, body?: unknown) =>
      t.request(method, path, { token: p.token, ...(body !== undefined ? { body } : {}) });
    const cons = (p: Party, method: string, path: string, body?: unknown) =>
      consoleCall(t, p.console, method, path, body !== undefined ? { body } : {});
    const share = async (from: Party, id: string, to: Party, extra: Json = {}) => {
      const res = await glance(from, 'POST', `/v2/images/${id}/members`, { member: to.account.id, ...extra });
      assert.equal(res.status, 200, res.text);
    };
    /** What each launching API answers the receiver: 'ok' or the refusal's code. */
    async function launches(p: Party, id: string) {
      let tencent = 'ok';
      await p.cvm.RunInstances({ ImageId: id }).catch((err: { code?: string }) => {
        tencent = err.code ?? 'error';
      });
      clock.advance(1); // the console's launch comes 1 ms later (the audit list is newest first)
      const res = await cons(p, 'POST', '/instances', { region: REGION, imageId: id, name: 'x' });
      return { tencent, console: res.status === 201 ? 'ok' : errorOf(res).code };
    }

    before(async () => {
      t = await startTestServer({ target, clock, overrides: { 'guardrails.maxAllowedOwners': '3' } });
      owner = await party();
      other = await party();
      receiver = await party();
      admin = await party(t.admin);
    });
    after(async () => t.close());

    it('a new account has no launch policy (off), on the OpenStack extension and the console', async () => {
      const res = await glance(receiver, 'GET', '/v2/account/launch-policy');
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, { mode: 'off', allowed_owners: [], max_allowed_owners: 3 });
      const c = await cons(receiver, 'GET', '/launch-policy');
      assert.deepEqual(c.body, { mode: 'off', allowedOwners: [], maxAllowedOwners: 3 });
    });

    it('the policy is validated: modes, entry formats, the bounded list; a refused PUT changes nothing', async () => {
      const put = (body: unknown) => glance(receiver, 'PUT', '/v2/account/launch-policy', body);
      assert.equal((await put({ mode: 'block', allowed_owners: [] })).status, 400);
      const bad = await put({ mode: 'enforce', allowed_owners: ['alice'] });
      assert.equal(bad.status, 400);
      assert.match(bad.text, /account IDs \(e\.g\. 909619400\) or group IDs/);
      const many = await put({
        mode: 'audit',
        allowed_owners: ['100000001', '100000002', '100000003', '100000004'],
      });
      assert.equal(many.status, 400);
      assert.match(many.text, /at most 3 accounts and groups/);
      assert.equal((await put({ mode: 'audit', allowed_owners: [], extra: 1 })).status, 400);
      const consoleBad = await cons(receiver, 'PUT', '/launch-policy', {
        mode: 'audit',
        allowedOwners: ['x'],
      });
      assert.equal(consoleBad.status, 400);
      assert.equal(errorOf(consoleBad).code, 'InvalidInput');
      assert.deepEqual((await glance(receiver, 'GET', '/v2/account/launch-policy')).body, {
        mode: 'off',
        allowed_owners: [],
        max_allowed_owners: 3,
      });
    });

    it('enforce refuses launches of images whose owner is off the list, on every launching API', async () => {
      const allowed = await createActiveImage(t.server.services, owner.ctx, 'from-allowed');
      const foreign = await createActiveImage(t.server.services, other.ctx, 'from-other');
      const own = await createActiveImage(t.server.services, receiver.ctx, 'own');
      const pub = await createActiveImage(t.server.services, admin.ctx, 'operator-public');
      const patched = await t.request('PATCH', `/v2/images/${pub}`, {
        token: admin.token,
        headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' },
        body: JSON.stringify([{ op: 'replace', path: '/visibility', value: 'public' }]),
      });
      assert.equal(patched.status, 200, patched.text);
      await share(owner, allowed, receiver);
      await share(other, foreign, receiver);

      const set = await glance(receiver, 'PUT', '/v2/account/launch-policy', {
        mode: 'enforce',
        allowed_owners: [owner.account.id, 'grp-abcd1234', owner.account.id],
      });
      assert.equal(set.status, 200, set.text);
      assert.deepEqual(set.body, {
        mode: 'enforce',
        allowed_owners: [owner.account.id, 'grp-abcd1234'],
        max_allowed_owners: 3,
      });
      // The console reads the same policy.
      assert.equal(((await cons(receiver, 'GET', '/launch-policy')).body as Json).mode, 'enforce');

      assert.deepEqual(await launches(receiver, allowed), { tencent: 'ok', console: 'ok' });
      assert.deepEqual(await launches(receiver, own), { tencent: 'ok', console: 'ok' });
      assert.deepEqual(await launches(receiver, pub), { tencent: 'ok', console: 'ok' });
      assert.deepEqual(await launches(receiver, foreign), {
        tencent: 'UnauthorizedOperation.LaunchNotAllowed',
        console: 'LaunchNotAllowed',
      });
      const refused = await cons(receiver, 'POST', '/instances', {
        region: REGION,
        imageId: foreign,
        name: 'x',
      });
      assert.equal(refused.status, 403);
      assert.equal(errorOf(refused).details.ownerId, other.account.id);
      assert.match(errorOf(refused).message, new RegExp(`images owned by account ${other.account.id}`));
      // Nothing was launched from it, and enforce records nothing.
      const listed = await receiver.cvm.DescribeInstances({});
      assert.equal(listed.InstanceSet?.filter((i) => i.ImageId === foreign).length, 0);
      const audit = await glance(receiver, 'GET', '/v2/account/launch-audit');
      assert.equal((audit.body as Json).total, 0);
      // Another account's policy is its own: the owner of `foreign` is not bound by the receiver's list.
      assert.deepEqual(await launches(other, foreign), { tencent: 'ok', console: 'ok' });
    });

    it("a group on the list allows its members' images as they are at the launch; another's group allows nobody", async () => {
      const foreign = await createActiveImage(t.server.services, other.ctx, 'from-a-group-member');
      await share(other, foreign, receiver);
      const group = async (p: Party, name: string) => {
        const made = await glance(p, 'POST', '/v2/groups', { name });
        assert.equal(made.status, 201, made.text);
        const id = (made.body as Json).id as string;
        const added = await glance(p, 'POST', `/v2/groups/${id}/members`, { members: [other.account.id] });
        assert.equal(added.status, 200, added.text);
        return id;
      };
      const mine = await group(receiver, 'trusted vendors');
      const someoneElses = await group(owner, "not the receiver's");
      const allow = async (entries: string[]) => {
        const set = await glance(receiver, 'PUT', '/v2/account/launch-policy', {
          mode: 'enforce',
          allowed_owners: entries,
        });
        assert.equal(set.status, 200, set.text);
      };
      const refused = { tencent: 'UnauthorizedOperation.LaunchNotAllowed', console: 'LaunchNotAllowed' };

      // Another account's group names nobody for this receiver, even though `other` is in it.
      await allow([someoneElses]);
      assert.deepEqual(await launches(receiver, foreign), refused);
      // Its own group allows the group's members.
      await allow([mine]);
      assert.deepEqual(await launches(receiver, foreign), { tencent: 'ok', console: 'ok' });
      // Removed from the group: refused from the next launch.
      const removed = await glance(receiver, 'DELETE', `/v2/groups/${mine}/members/${other.account.id}`);
      assert.equal(removed.status, 204, removed.text);
      assert.deepEqual(await launches(receiver, foreign), refused);
    });

    it('audit launches, and records each launch the list would have refused; the account lists them', async () => {
      const foreign = await createActiveImage(t.server.services, other.ctx, 'audited');
      const allowed = await createActiveImage(t.server.services, owner.ctx, 'not-audited');
      await share(other, foreign, receiver);
      await share(owner, allowed, receiver);
      const set = await cons(receiver, 'PUT', '/launch-policy', {
        mode: 'audit',
        allowedOwners: [owner.account.id],
      });
      assert.equal(set.status, 200, set.text);
      clock.advance(1000);
      const first = clock.iso();
      assert.deepEqual(await launches(receiver, foreign), { tencent: 'ok', console: 'ok' });
      assert.deepEqual(await launches(receiver, allowed), { tencent: 'ok', console: 'ok' });

      const audit = await glance(receiver, 'GET', '/v2/account/launch-audit?limit=1');
      assert.equal(audit.status, 200, audit.text);
      const body = audit.body as { records: Json[]; total: number };
      assert.equal(body.total, 2); // one per launch from `foreign` (Tencent, console), none from `allowed`
      assert.equal(body.records.length, 1);
      assert.deepEqual(
        { ...body.records[0], id: undefined },
        {
          id: undefined,
          at: new Date(Date.parse(first) + 1).toISOString(),
          image_id: foreign,
          image_name: 'audited',
          owner_id: other.account.id,
          region: REGION,
          visibility: 'shared',
          instances: 1,
          surface: 'console',
        },
      );
      const page2 = await cons(receiver, 'GET', '/launch-audit?page=2&pageSize=1');
      assert.equal(page2.status, 200, page2.text);
      const items = (page2.body as { items: Json[] }).items;
      assert.equal(items.length, 1);
      assert.equal(items[0]?.surface, 'tencent');
      assert.equal(items[0]?.at, first);
      assert.equal(items[0]?.imageId, foreign);
      assert.equal((await glance(receiver, 'GET', '/v2/account/launch-audit?limit=0')).status, 400);
      // The records are the receiver's only.
      assert.equal(((await glance(other, 'GET', '/v2/account/launch-audit')).body as Json).total, 0);
      // Switched off: launches are neither refused nor recorded.
      await glance(receiver, 'PUT', '/v2/account/launch-policy', { mode: 'off', allowed_owners: [] });
      assert.deepEqual(await launches(receiver, foreign), { tencent: 'ok', console: 'ok' });
      assert.equal(((await glance(receiver, 'GET', '/v2/account/launch-audit')).body as Json).total, 2);
    });

    it('operator switches: no new public or community images when off; existing ones stay', async () => {
      const images = t.config.images;
      const community = await createActiveImage(t.server.services, owner.ctx, 'community-before');
      const patch = (p: Party, id: string, ops: unknown[]) =>
        t.request('PATCH', `/v2/images/${id}`, {
          token: p.token,
          headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' },
          body: JSON.stringify(ops),
        });
      const toVisibility = (value: string) => [{ op: 'replace', path: '/visibility', value }];
      assert.equal((await patch(owner, community, toVisibility('community'))).status, 200);
      images.allowNewPublic = false;
      images.allowNewCommunity = false;
      try {
        const created = await glance(owner, 'POST', '/v2/images', { name: 'c', visibility: 'community' });
        assert.equal(created.status, 403, created.text);
        assert.match(created.text, /New community images are turned off/);
        const pub = await glance(admin, 'POST', '/v2/images', { name: 'p', visibility: 'public' });
        assert.equal(pub.status, 403, pub.text);
        assert.match(pub.text, /New public images are turned off/);
        const fresh = await createActiveImage(t.server.services, owner.ctx, 'shared-one');
        assert.equal((await patch(owner, fresh, toVisibility('community'))).status, 403);
        assert.equal((await patch(admin, fresh, toVisibility('public'))).status, 403);
        // The existing community image stays community, and its other fields still change.
        const renamed = await patch(owner, community, [
          { op: 'replace', path: '/name', value: 'renamed' },
          ...toVisibility('community'),
        ]);
        assert.equal(renamed.status, 200, renamed.text);
        assert.equal((renamed.body as Json).visibility, 'community');
        // Private and shared images are unaffected.
        assert.equal(
          (await glance(owner, 'POST', '/v2/images', { name: 'p', visibility: 'private' })).status,
          201,
        );
        assert.equal((await patch(owner, community, toVisibility('shared'))).status, 200);
        // ... and once away, it does not come back.
        assert.equal((await patch(owner, community, toVisibility('community'))).status, 403);
      } finally {
        images.allowNewPublic = true;
        images.allowNewCommunity = true;
      }
      assert.equal(
        (await glance(owner, 'POST', '/v2/images', { name: 'c', visibility: 'community' })).status,
        201,
      );
    });

    it('an ended share no longer blocks deleting the image (images.deleteShared refuse); a live one does', async () => {
      const id = await createActiveImage(t.server.services, owner.ctx, 'ended-then-deleted');
      const live = await createActiveImage(t.server.services, owner.ctx, 'still-shared');
      await share(owner, id, receiver, { expires_at: clock.later(60_000) });
      await share(owner, live, receiver, { expires_at: clock.later(120_000) });
      assert.equal((await glance(owner, 'DELETE', `/v2/images/${id}`)).status, 409);
      clock.advance(60_000);
      assert.equal((await glance(owner, 'DELETE', `/v2/images/${live}`)).status, 409);
      const deleted = await glance(owner, 'DELETE', `/v2/images/${id}`);
      assert.equal(deleted.status, 204, deleted.text);
      // Its end is in the history, and no "cancel" for a share that had already ended.
      const history = await t.server.services.history.forImage(id);
      assert.deepEqual(
        history.filter((e) => e.targetAccountId === receiver.account.id).map((e) => e.action),
        ['share', 'expire'],
      );
    });

    it("a share's end is in both sides' history, at its end time, once; renewing keeps it", async () => {
      const id = await createActiveImage(t.server.services, owner.ctx, 'expiring');
      const end = clock.later(30_000);
      await share(owner, id, receiver, { expires_at: end });
      const ends = async (p: Party) => {
        const res = await cons(p, 'GET', '/history?pageSize=100');
        assert.equal(res.status, 200, res.text);
        return (res.body as { items: Json[] }).items.filter((e) => e.imageId === id && e.action === 'expire');
      };
      assert.deepEqual(await ends(receiver), []);
      clock.set(new Date(Date.parse(end) - 1));
      assert.deepEqual(await ends(owner), []);
      clock.set(end);
      const seen = await ends(receiver);
      assert.equal(seen.length, 1);
      assert.equal(seen[0]?.at, end);
      assert.equal(seen[0]?.actorId, owner.account.id);
      assert.equal(seen[0]?.targetAccountId, receiver.account.id);
      assert.equal(seen[0]?.surface, 'service');
      assert.deepEqual(seen[0]?.details, { expiresAt: end });
      assert.equal((await ends(owner)).length, 1);
      assert.equal((await ends(receiver)).length, 1);
      // Renewed after its end with a new end, which passes too: two ends, each once.
      clock.advance(1000);
      const second = clock.later(5000);
      await share(owner, id, receiver, { expires_at: second });
      clock.advance(10_000);
      assert.deepEqual(
        (await ends(owner)).map((e) => e.at),
        [second, end],
      );
      // An end nobody read before the renewal is recorded by the renewal itself.
      const quiet = await createActiveImage(t.server.services, owner.ctx, 'quiet');
      const quietEnd = clock.later(1000);
      await share(owner, quiet, other, { expires_at: quietEnd });
      clock.advance(2000);
      await share(owner, quiet, other);
      const quietHistory = await t.server.services.history.forImage(quiet);
      assert.deepEqual(
        quietHistory.map((e) => [e.action, e.at]),
        [
          ['create', quietHistory[0]?.at],
          ['upload', quietHistory[1]?.at],
          ['share', quietHistory[2]?.at],
          ['expire', quietEnd],
          ['share', clock.iso()],
        ],
      );
    });

    // PostgreSQL only: SQLite serialises writers, so the race cannot happen there (and CI allows no skips).
    if (target.dialect === 'postgres')
      it("two transactions recording the same end (one waiting on the other's row lock): written once", async () => {
        const id = await createActiveImage(t.server.services, owner.ctx, 'locked-end');
        const end = clock.later(1000);
        await share(owner, id, receiver, { expires_at: end });
        clock.set(end);
        const db = openDatabase({ url: t.database.url, schema: t.database.schema, poolSize: 2 });
        try {
          const store = new KyselyImageUnitOfWork(db);
          let release!: () => void;
          const gate = new Promise<void>((resolve) => (release = resolve));
          let firstMarked!: () => void;
          const marked = new Promise<void>((resolve) => (firstMarked = resolve));
          // A records the end and holds its transaction open; B reads the end as unrecorded (A has not
          // committed), then waits on A's row lock; A commits; B must then find it recorded.
          const a = store.transaction(async (repos) => {
            const n = await recordShareEnds(repos, { imageId: id }, end);
            firstMarked();
            await gate;
            return n;
          });
          await marked;
          const b = store.transaction((repos) => recordShareEnds(repos, { imageId: id }, end));
          await new Promise((resolve) => setTimeout(resolve, 300)); // B reaches the lock (ordering only)
          release();
          assert.deepEqual(await Promise.all([a, b]), [1, 0]);
        } finally {
          await db.close();
        }
        const ends = (await t.server.services.history.forImage(id)).filter((e) => e.action === 'expire');
        assert.equal(ends.length, 1);
      });

    it('Tencent keeps the milliseconds of ExpiresAt, both ways (API 3.0 and legacy)', async () => {
      const id = await createActiveImage(t.server.services, owner.ctx, 'exact-end');
      const end = new Date(Date.parse(clock.later(3_600_000)) - (Date.parse(clock.iso()) % 1000) + 250);
      const endIso = end.toISOString();
      assert.match(endIso, /\.\d\d\dZ$/);
      assert.notEqual(endIso.slice(-5), '.000Z');
      await owner.cvm.ModifyImageSharePermission({
        ImageId: id,
        AccountIds: [receiver.account.id],
        Permission: 'SHARE',
        ExpiresAt: endIso,
      } as never);
      const described = await owner.cvm.DescribeImageSharePermission({ ImageId: id });
      assert.equal((described.SharePermissionSet?.[0] as unknown as Json).ExpiresAt, endIso);
      const member = await glance(owner, 'GET', `/v2/images/${id}/members/${receiver.account.id}`);
      assert.equal((member.body as Json).expires_at, endIso);
      const legacy = await paramsRequest(
        t.url,
        owner.key,
        { Action: 'GetImageShareUinInfo', Region: 'gz', 'imageIds.0': id },
        { path: '/v2/index.php' },
      );
      const info = (legacy.body as unknown as { data: { imageList: Array<{ shareUinInfo: Json[] }> } }).data;
      assert.equal(info.imageList[0]?.shareUinInfo[0]?.expiresAt, endIso.replace('T', ' ').replace('Z', ''));
      // A whole second is written as Tencent writes times.
      const whole = await createActiveImage(t.server.services, owner.ctx, 'whole-second');
      const wholeEnd = new Date(Math.ceil(Date.parse(clock.later(3_600_000)) / 1000) * 1000).toISOString();
      await owner.cvm.ModifyImageSharePermission({
        ImageId: whole,
        AccountIds: [receiver.account.id],
        Permission: 'SHARE',
        ExpiresAt: wholeEnd,
      } as never);
      const d2 = await owner.cvm.DescribeImageSharePermission({ ImageId: whole });
      assert.equal((d2.SharePermissionSet?.[0] as unknown as Json).ExpiresAt, wholeEnd.replace('.000Z', 'Z'));
    });

    it("history rows and image times come from the service's clock, not the system's", async () => {
      clock.set('2033-01-02T03:04:05.678Z');
      const created = await glance(owner, 'POST', '/v2/images', {
        name: 'clocked',
        disk_format: 'raw',
        container_format: 'bare',
      });
      assert.equal(created.status, 201, created.text);
      const id = (created.body as Json).id as string;
      assert.equal((created.body as Json).created_at, '2033-01-02T03:04:05Z');
      clock.advance(1000);
      const uploaded = await t.request('PUT', `/v2/images/${id}/file`, {
        token: owner.token,
        headers: { 'content-type': 'application/octet-stream' },
        body: Buffer.from('data'),
      });
      assert.equal(uploaded.status, 204, uploaded.text);
      clock.advance(1000);
      await share(owner, id, receiver);
      clock.advance(1000);
      assert.equal(
        (await glance(owner, 'DELETE', `/v2/images/${id}/members/${receiver.account.id}`)).status,
        204,
      );
      clock.advance(1000);
      const renamed = await t.request('PATCH', `/v2/images/${id}`, {
        token: owner.token,
        headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' },
        body: JSON.stringify([{ op: 'replace', path: '/name', value: 'clocked-2' }]),
      });
      assert.equal((renamed.body as Json).updated_at, '2033-01-02T03:04:09Z');
      clock.advance(1000);
      assert.equal((await glance(owner, 'DELETE', `/v2/images/${id}`)).status, 204);
      const history = await t.server.services.history.forImage(id);
      assert.deepEqual(
        history.map((e) => [e.action, e.at]),
        [
          ['create', '2033-01-02T03:04:05.678Z'],
          ['upload', '2033-01-02T03:04:06.678Z'],
          ['share', '2033-01-02T03:04:07.678Z'],
          ['cancel', '2033-01-02T03:04:08.678Z'],
          ['rename', '2033-01-02T03:04:09.678Z'],
          ['delete', '2033-01-02T03:04:10.678Z'],
        ],
      );
    });

    it("a receiver asking for an image's shares is told what it may do, not only what it may not", async () => {
      const id = await createActiveImage(t.server.services, owner.ctx, 'receiver-panel');
      await share(owner, id, receiver);
      const res = await cons(receiver, 'GET', `/images/${id}/shares?region=${REGION}`);
      assert.equal(res.status, 403, res.text);
      const error = errorOf(res);
      assert.equal(error.code, 'NotImageOwner');
      assert.equal(error.details.relation, 'member');
      assert.match(
        error.message,
        /shared with you, and only its owner may share it, see who else it is shared with, or cancel its shares\. As its receiver you may launch it/,
      );
    });

    it('the legacy API answers a malformed image ID with code 4000 (a parameter of the wrong format)', async () => {
      const res = await paramsRequest(
        t.url,
        owner.key,
        { Action: 'ShareImage', Region: 'gz', imageId: 'not-an-image', 'uinList.0': receiver.account.id },
        { path: '/v2/index.php' },
      );
      assert.deepEqual(
        { code: (res.body as unknown as Json).code, codeDesc: (res.body as unknown as Json).codeDesc },
        { code: 4000, codeDesc: 'InvalidImageId.Malformed' },
      );
    });
  });
});
