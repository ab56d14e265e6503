// The history of image changes, written in the transaction of each change, through each of the four ways in
// (Glance, Tencent API 3.0, Tencent legacy, console), and who sees which entries, on every database.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { HistoryEntry } from '../../src/domain/history.js';
import { forEachDatabase } from '../helpers/databases.js';
import { startTestServer, type TestAccount, type TestServer } from '../helpers/server.js';
import { createImage, patchImage, uploadData } from '../helpers/glance.js';
import { cvmClient, paramsRequest, type CvmClientType, type Key } from '../helpers/tencent.js';
import {
  assertRefused,
  consoleCall,
  consoleImage,
  consoleLogin,
  type ConsoleLogin,
  type Json,
} from '../helpers/console.js';

const LOOPBACK = /^(::ffff:)?127\.0\.0\.1$/;

type Expected = Partial<Pick<HistoryEntry, 'action' | 'surface' | 'actorId' | 'ownerId' | 'targetAccountId'>>;

/** The entries' (action, surface, actor, owner, target), in order, against the expected ones. */
function assertEntries(entries: HistoryEntry[], expected: Expected[]): void {
  const pick = (e: Expected) => ({
    action: e.action,
    surface: e.surface,
    actorId: e.actorId,
    ownerId: e.ownerId,
    targetAccountId: e.targetAccountId ?? null,
  });
  assert.deepEqual(entries.map(pick), expected.map(pick));
  for (const entry of entries) {
    assert.match(entry.clientAddress ?? '', LOOPBACK, 'the client address is recorded');
    assert.ok(!Number.isNaN(Date.parse(entry.at)));
  }
}

forEachDatabase((target) => {
  describe(`history of image changes on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    let owner: TestAccount;
    let receiver: TestAccount;
    let other: TestAccount;
    let stranger: TestAccount;
    let ownerToken: string;
    let receiverToken: string;
    let ownerApi3: CvmClientType;
    let receiverApi3: CvmClientType;
    let ownerKey: Key;
    let ownerConsole: ConsoleLogin;
    let receiverConsole: ConsoleLogin;
    let otherConsole: ConsoleLogin;
    let strangerConsole: ConsoleLogin;

    const entriesFor = (imageId: string) => t.server.services.history.forImage(imageId);

    before(async () => {
      t = await startTestServer({ target });
      [owner, receiver, other, stranger] = (await Promise.all([1, 2, 3, 4].map(() => t.createAccount()))) as [
        TestAccount,
        TestAccount,
        TestAccount,
        TestAccount,
      ];
      [ownerToken, receiverToken] = await Promise.all([t.token(owner), t.token(receiver)]);
      ownerKey = await t.server.services.apiKeys.create(owner.id);
      const receiverKey = await t.server.services.apiKeys.create(receiver.id);
      ownerApi3 = cvmClient(t.url, ownerKey);
      receiverApi3 = cvmClient(t.url, receiverKey);
      [ownerConsole, receiverConsole, otherConsole, strangerConsole] = (await Promise.all(
        [owner, receiver, other, stranger].map((a) => consoleLogin(t, a)),
      )) as [ConsoleLogin, ConsoleLogin, ConsoleLogin, ConsoleLogin];
    });
    after(() => t?.close());

    it('records changes made through the image API (Glance) as "openstack"', async () => {
      const image = await createImage(t, ownerToken, { name: 'glance-made' });
      const id = image.id;
      assert.equal((await uploadData(t, ownerToken, id, Buffer.from('glance data'))).status, 204);
      const added = await t.request('POST', `/v2/images/${id}/members`, {
        token: ownerToken,
        body: { member: receiver.id },
      });
      assert.equal(added.status, 200, added.text);
      const accepted = await t.request('PUT', `/v2/images/${id}/members/${receiver.id}`, {
        token: receiverToken,
        body: { status: 'accepted' },
      });
      assert.equal(accepted.status, 200, accepted.text);
      const rejected = await t.request('PUT', `/v2/images/${id}/members/${receiver.id}`, {
        token: receiverToken,
        body: { status: 'rejected' },
      });
      assert.equal(rejected.status, 200, rejected.text);
      const renamed = await patchImage(t, ownerToken, id, [
        { op: 'replace', path: '/name', value: 'glance-renamed' },
      ]);
      assert.equal(renamed.status, 200, renamed.text);
      // A change that is no rename (a tag) is not in the history.
      assert.equal((await t.request('PUT', `/v2/images/${id}/tags/x`, { token: ownerToken })).status, 204);
      assert.equal(
        (await t.request('DELETE', `/v2/images/${id}/members/${receiver.id}`, { token: ownerToken })).status,
        204,
      );
      assert.equal((await t.request('DELETE', `/v2/images/${id}`, { token: ownerToken })).status, 204);

      const o = owner.id;
      const r = receiver.id;
      const s = 'openstack' as const;
      const entries = await entriesFor(id);
      assertEntries(entries, [
        { action: 'create', surface: s, actorId: o, ownerId: o },
        { action: 'upload', surface: s, actorId: o, ownerId: o },
        { action: 'share', surface: s, actorId: o, ownerId: o, targetAccountId: r },
        { action: 'accept', surface: s, actorId: r, ownerId: o, targetAccountId: r },
        { action: 'reject', surface: s, actorId: r, ownerId: o, targetAccountId: r },
        { action: 'rename', surface: s, actorId: o, ownerId: o },
        { action: 'cancel', surface: s, actorId: o, ownerId: o, targetAccountId: r },
        { action: 'delete', surface: s, actorId: o, ownerId: o },
      ]);
      assert.equal(entries[5]?.imageName, 'glance-renamed');
      assert.equal(entries[5]?.details.from, 'glance-made');
    });

    it('records changes made through Tencent API 3.0 as "tencent"', async () => {
      const made = await consoleImage(t, ownerConsole, 'api3-source');
      const id = made.id as string;
      await ownerApi3.ModifyImageSharePermission({
        ImageId: id,
        AccountIds: [receiver.id],
        Permission: 'SHARE',
      });
      const run = await receiverApi3.RunInstances({ ImageId: id, Placement: { Zone: 'ap-guangzhou-1' } });
      assert.equal(run.InstanceIdSet?.length, 1);
      await ownerApi3.ModifyImageAttribute({ ImageId: id, ImageName: 'api3-renamed' });
      const synced = await ownerApi3.SyncImages({ ImageIds: [id], DestinationRegions: ['ap-shanghai'] });
      await ownerApi3.ModifyImageSharePermission({
        ImageId: id,
        AccountIds: [receiver.id],
        Permission: 'CANCEL',
      });
      await ownerApi3.DeleteImages({ ImageIds: [id] });

      const o = owner.id;
      const r = receiver.id;
      const s = 'tencent' as const;
      const entries = (await entriesFor(id)).filter((e) => e.surface === s);
      assertEntries(entries, [
        { action: 'share', surface: s, actorId: o, ownerId: o, targetAccountId: r },
        { action: 'launch', surface: s, actorId: r, ownerId: o },
        { action: 'rename', surface: s, actorId: o, ownerId: o },
        { action: 'cancel', surface: s, actorId: o, ownerId: o, targetAccountId: r },
        { action: 'delete', surface: s, actorId: o, ownerId: o },
      ]);
      assert.equal(entries[1]?.details.instanceId, run.InstanceIdSet?.[0]);
      const copyId = (synced as { ImageSet?: Array<{ ImageId: string }> }).ImageSet?.[0]?.ImageId;
      const copies = await t.server.db.kysely
        .selectFrom('history_events')
        .selectAll()
        .where('action', '=', 'copy')
        .where('surface', '=', 'tencent')
        .execute();
      assert.equal(copies.length, 1);
      assert.equal(copies[0]?.region, 'ap-shanghai');
      assert.equal((JSON.parse(copies[0]?.details ?? '{}') as { sourceImageId?: string }).sourceImageId, id);
      if (copyId) assert.equal(copies[0]?.image_id, copyId);
    });

    it('records changes made through the Tencent legacy API as "tencent-legacy"', async () => {
      const made = await consoleImage(t, ownerConsole, 'legacy-source');
      const id = made.id as string;
      const legacy = async (params: Record<string, string>) => {
        const res = await paramsRequest(
          t.url,
          ownerKey,
          { Region: 'gz', ...params },
          { path: '/v2/index.php' },
        );
        assert.equal((res.body as unknown as { code: number }).code, 0, JSON.stringify(res.body));
      };
      await legacy({ Action: 'ShareImage', imageId: id, 'uinList.0': receiver.id, 'uinList.1': other.id });
      await legacy({ Action: 'ModifyImageAttributes', imageId: id, imageName: 'legacy-renamed' });
      await legacy({ Action: 'SyncCvmImage', srcRegion: 'gz', 'imgIdList.0': id, 'dstRegion.0': 'sh' });
      await legacy({
        Action: 'CancelShareImage',
        imageId: id,
        'uinList.0': receiver.id,
        'uinList.1': other.id,
      });
      await legacy({ Action: 'DeleteImages', 'imageIds.0': id });

      const o = owner.id;
      const s = 'tencent-legacy' as const;
      assertEntries(
        (await entriesFor(id)).filter((e) => e.surface === s),
        [
          { action: 'share', surface: s, actorId: o, ownerId: o, targetAccountId: receiver.id },
          { action: 'share', surface: s, actorId: o, ownerId: o, targetAccountId: other.id },
          { action: 'rename', surface: s, actorId: o, ownerId: o },
          { action: 'cancel', surface: s, actorId: o, ownerId: o, targetAccountId: receiver.id },
          { action: 'cancel', surface: s, actorId: o, ownerId: o, targetAccountId: other.id },
          { action: 'delete', surface: s, actorId: o, ownerId: o },
        ],
      );
      const copy = await t.server.db.kysely
        .selectFrom('history_events')
        .select(['action', 'region', 'details'])
        .where('surface', '=', s)
        .where('action', '=', 'copy')
        .execute();
      assert.equal(copy.length, 1);
      assert.equal((JSON.parse(copy[0]?.details ?? '{}') as { sourceImageId?: string }).sourceImageId, id);
    });

    it('records changes made through the console as "console", and each side sees the entries that name it', async () => {
      const made = await consoleImage(t, ownerConsole, 'console-source');
      const id = made.id as string;
      const call = (s: ConsoleLogin, method: string, path: string, body?: unknown) =>
        consoleCall(t, s, method, path, body === undefined ? {} : { body });
      await call(ownerConsole, 'POST', `/images/${id}/shares`, { accountIds: [receiver.id, other.id] });
      await call(receiverConsole, 'PUT', `/shared/${id}/status`, { status: 'accepted' });
      await call(otherConsole, 'PUT', `/shared/${id}/status`, { status: 'rejected' });
      const launched = await call(receiverConsole, 'POST', '/instances', {
        region: 'ap-guangzhou',
        imageId: id,
        name: 'from-console',
      });
      assert.equal(launched.status, 201);
      assert.equal((await call(otherConsole, 'DELETE', `/shared/${id}`)).status, 204);
      await call(ownerConsole, 'PATCH', `/images/${id}`, { name: 'console-renamed' });
      const copy = await call(ownerConsole, 'POST', `/images/${id}/copy`, { targetRegion: 'ap-shanghai' });
      assert.equal(copy.status, 201);
      assertRefused(await call(ownerConsole, 'DELETE', `/images/${id}`), 409, 'ImageInShared');
      assert.equal((await call(ownerConsole, 'DELETE', `/images/${id}/shares`)).status, 204);
      assert.equal((await call(ownerConsole, 'DELETE', `/images/${id}`)).status, 204);

      const o = owner.id;
      const r = receiver.id;
      const x = other.id;
      const s = 'console' as const;
      assertEntries(await entriesFor(id), [
        { action: 'create', surface: s, actorId: o, ownerId: o },
        { action: 'upload', surface: s, actorId: o, ownerId: o },
        { action: 'share', surface: s, actorId: o, ownerId: o, targetAccountId: r },
        { action: 'share', surface: s, actorId: o, ownerId: o, targetAccountId: x },
        { action: 'accept', surface: s, actorId: r, ownerId: o, targetAccountId: r },
        { action: 'reject', surface: s, actorId: x, ownerId: o, targetAccountId: x },
        { action: 'launch', surface: s, actorId: r, ownerId: o },
        { action: 'leave', surface: s, actorId: x, ownerId: o, targetAccountId: x },
        { action: 'rename', surface: s, actorId: o, ownerId: o },
        { action: 'cancel', surface: s, actorId: o, ownerId: o, targetAccountId: r },
        { action: 'delete', surface: s, actorId: o, ownerId: o },
      ]);

      // Through GET /history: the owner sees all of it, newest first; the receiver what names it; others nothing.
      const history = async (s2: ConsoleLogin) => {
        const res = await call(s2, 'GET', '/history?pageSize=100');
        assert.equal(res.status, 200, res.text);
        const page = res.body as { items: Json[]; total: number };
        return page.items
          .filter((e) => e.imageId === id)
          .map((e) => `${String(e.action as string)}:${String(e.actorId as string)}`);
      };
      const ownerView = await history(ownerConsole);
      assert.equal(ownerView.length, 11);
      assert.equal(ownerView[0], `delete:${o}`, 'newest first');
      assert.equal(ownerView[10], `create:${o}`);
      assert.deepEqual(
        new Set(ownerView),
        new Set((await entriesFor(id)).map((e) => `${e.action}:${e.actorId}`)),
      );
      assert.deepEqual(
        new Set(await history(receiverConsole)),
        new Set([`share:${o}`, `accept:${r}`, `launch:${r}`, `cancel:${o}`]),
      );
      assert.deepEqual(
        new Set(await history(otherConsole)),
        new Set([`share:${o}`, `reject:${x}`, `leave:${x}`]),
      );
      assert.deepEqual(await history(strangerConsole), []);
    });

    it('pages the history with a total', async () => {
      const first = await consoleCall(t, ownerConsole, 'GET', '/history?page=1&pageSize=3');
      const second = await consoleCall(t, ownerConsole, 'GET', '/history?page=2&pageSize=3');
      const a = first.body as { items: Json[]; total: number; page: number; pageSize: number };
      const b = second.body as { items: Json[]; total: number };
      assert.equal(a.items.length, 3);
      assert.equal(a.page, 1);
      assert.equal(a.pageSize, 3);
      assert.equal(a.total, b.total);
      assert.ok(a.total > 20);
      assert.ok((a.items[2]?.at as string) >= (b.items[0]?.at as string), 'newest first across pages');
      assert.equal(new Set([...a.items, ...b.items].map((e) => e.id)).size, 6);
    });

    it('writes nothing for a refused change', async () => {
      const made = await consoleImage(t, ownerConsole, 'refusals');
      const id = made.id as string;
      const before = (await entriesFor(id)).length;
      assertRefused(
        await consoleCall(t, strangerConsole, 'PATCH', `/images/${id}`, { body: { name: 'taken' } }),
        404,
        'ImageNotFound',
      );
      const selfShare = await t.request('POST', `/v2/images/${id}/members`, {
        token: ownerToken,
        body: { member: owner.id },
      });
      assert.ok(selfShare.status >= 400);
      assert.equal((await entriesFor(id)).length, before);
    });
  });

  describe(
    `history in the transaction of the change on ${target.dialect}`,
    { skip: target.skipReason ?? false },
    () => {
      let t: TestServer;
      before(async () => {
        t = await startTestServer({ target });
      });
      after(() => t?.close());

      it('a change whose history row cannot be written does not happen', async () => {
        const [owner, receiver] = [await t.createAccount(), await t.createAccount()];
        const token = await t.token(owner);
        const image = await createImage(t, token, { name: 'atomic' });
        const id = image.id;
        // Break the history table on purpose: every change that records itself must now fail as a whole.
        await sql`drop table history_events`.execute(t.server.db.kysely);
        const share = await t.request('POST', `/v2/images/${id}/members`, {
          token,
          body: { member: receiver.id },
        });
        assert.equal(share.status, 500);
        const members = await t.server.db.kysely
          .selectFrom('image_members')
          .selectAll()
          .where('image_id', '=', id)
          .execute();
        assert.deepEqual(members, [], 'the share rolled back with its history row');
        const renamed = await patchImage(t, token, id, [
          { op: 'replace', path: '/name', value: 'not-renamed' },
        ]);
        assert.equal(renamed.status, 500);
        const row = await t.server.db.kysely
          .selectFrom('images')
          .select('name')
          .where('id', '=', id)
          .executeTakeFirst();
        assert.equal(row?.name, 'atomic');
        const deleted = await t.request('DELETE', `/v2/images/${id}`, { token });
        assert.equal(deleted.status, 500);
        assert.equal((await t.request('GET', `/v2/images/${id}`, { token })).status, 200, 'still there');
      });
    },
  );
});
