// Issue 12, lifecycle, through every API that can express it, on both databases: deprecation with a
// replacement and an obsolescence date (the test moves the service's clock, no sleeps), disabling (every
// share suspended, then back as it was), deletion protection, and the recycle bin (delete, restore, the
// retention's end, the purge, on two nodes at once).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachDatabase } from './helpers/databases.js';
import { newParty, type Party } from './helpers/party.js';
import { ManualClock } from './helpers/clock.js';
import { consoleCall, errorOf, type Json } from './helpers/console.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { createActiveImage, paramsRequest, sdkErrorCode, tc3Request } from './helpers/tencent.js';
import { PATCH_V21 } from './helpers/glance.js';
import { openDatabase } from '../src/repositories/db/database.js';
import { createServices } from '../src/services/container.js';
import { openBlobStore } from '../src/repositories/blob/open-blob-store.js';
import { runCli } from './helpers/cli.js';

const REGION = 'ap-guangzhou';
const DAY = 24 * 3600 * 1000;

forEachDatabase((target) => {
  describe(`image lifecycle (issue 12) on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    const clock = new ManualClock();
    let owner: Party;
    let receiver: Party;
    let stranger: Party;

    const party = (): Promise<Party> => newParty(t, REGION);

    const glance = (p: Party, method: string, path: string, body?: unknown) =>
      t.request(method, path, { token: p.token, ...(body !== undefined ? { body } : {}) });
    const cons = (p: Party, method: string, path: string, body?: unknown) =>
      consoleCall(t, p.console, method, `${path}${path.includes('?') ? '&' : '?'}region=${REGION}`, {
        ...(body !== undefined ? { body } : {}),
      });
    const tencent = async (p: Party, action: string, params: Json) => {
      const res = await tc3Request(t.url, p.key, { action, body: JSON.stringify(params) });
      return res.body.Response as Json & { Error?: { Code: string; Message: string } };
    };

    async function sharedImage(name: string): Promise<string> {
      const id = await createActiveImage(t.server.services, owner.ctx, name);
      const added = await glance(owner, 'POST', `/v2/images/${id}/members`, { member: receiver.account.id });
      assert.equal(added.status, 200, added.text);
      const accepted = await glance(receiver, 'PUT', `/v2/images/${id}/members/${receiver.account.id}`, {
        status: 'accepted',
      });
      assert.equal(accepted.status, 200, accepted.text);
      return id;
    }

    /** What the receiver sees of the image on each API, and whether it launches it. */
    async function receiverView(id: string) {
      const list = await glance(receiver, 'GET', '/v2/images?member_status=all');
      const show = await glance(receiver, 'GET', `/v2/images/${id}`);
      const described = await receiver.cvm.DescribeImages({ ImageIds: [id] });
      const consoleList = await cons(receiver, 'GET', '/images?kind=shared');
      const launch = await receiver.cvm.RunInstances({ ImageId: id }).then(
        () => 'ok',
        (err: { code?: string }) => err.code ?? 'error',
      );
      const listed = (list.body as { images: Json[] }).images.find((i) => i.id === id);
      const item = (consoleList.body as { items: Json[] }).items.find((i) => i.id === id);
      return { listed, show, described, item, launch };
    }

    before(async () => {
      t = await startTestServer({
        target,
        clock,
        // Glance's delete policy, so that deleting a shared image is allowed and its shares go to the bin.
        overrides: { regions: `${REGION},ap-shanghai`, 'images.deleteShared': 'cancel-shares' },
      });
      owner = await party();
      receiver = await party();
      stranger = await party();
    });
    after(async () => t.close());

    it('deprecation: receivers see it with its replacement; from the obsolescence date no new launch', async () => {
      const id = await sharedImage('old');
      const replacement = await createActiveImage(t.server.services, owner.ctx, 'new');
      const obsoleteAt = clock.later(3_600_000);
      const before = await receiverView(id);
      assert.equal(before.listed?.os_deprecated, undefined, 'nothing shown before a deprecation');
      assert.equal(before.described.ImageSet?.[0]?.ImageDeprecated, false);

      const done = await glance(owner, 'POST', `/v2/images/${id}/actions/deprecate`, {
        replacement,
        obsolete_at: obsoleteAt,
      });
      assert.equal(done.status, 204, done.text);
      const seen = await receiverView(id);
      for (const body of [seen.listed, seen.show.body as Json]) {
        assert.equal(body?.os_deprecated, 'true');
        // Extra properties are strings (the schema's additionalProperties; glanceclient validates them).
        for (const key of ['os_deprecated', 'deprecated_at', 'os_replacement_image', 'os_obsolete_at'])
          assert.equal(typeof body?.[key], 'string', key);
        assert.equal(body?.os_replacement_image, replacement);
        assert.equal(body?.os_obsolete_at, obsoleteAt.replace(/\.\d+Z$/, 'Z'));
        assert.equal(body?.deprecated_at, clock.iso().replace(/\.\d+Z$/, 'Z'));
      }
      assert.equal(seen.described.ImageSet?.[0]?.ImageDeprecated, true);
      assert.equal(seen.item?.deprecatedAt, clock.iso());
      assert.equal(seen.item?.replacementImageId, replacement);
      assert.equal(seen.item?.obsoleteAt, obsoleteAt);
      assert.equal(seen.launch, 'ok', 'a deprecated image launches until its obsolescence date');

      clock.set(new Date(Date.parse(obsoleteAt) - 1));
      assert.equal((await receiverView(id)).launch, 'ok');
      clock.set(obsoleteAt); // from this instant: no new launch, for anyone; the image stays listed
      const obsolete = await receiverView(id);
      assert.ok(obsolete.listed);
      assert.equal(obsolete.launch, 'InvalidParameterValue.InvalidImageState');
      const byConsole = await cons(receiver, 'POST', '/instances', {
        region: REGION,
        imageId: id,
        name: 'x',
      });
      assert.equal(byConsole.status, 409);
      assert.match(errorOf(byConsole).message, new RegExp(`launch its replacement ${replacement}`));
      assert.equal(
        await sdkErrorCode(() => owner.cvm.RunInstances({ ImageId: id })),
        'InvalidParameterValue.InvalidImageState',
      );
      // The instances launched before are untouched.
      const instances = await t.server.services.instances.list(receiver.ctx, { limit: 100 });
      assert.ok(instances.instances.filter((i) => i.imageId === id && i.state === 'RUNNING').length >= 2);

      // Undeprecate (the console's way): all gone, launches again.
      const undone = await cons(owner, 'POST', `/images/${id}/undeprecate`);
      assert.equal(undone.status, 200, undone.text);
      assert.equal((undone.body as Json).deprecatedAt, null);
      const after = await receiverView(id);
      assert.equal(after.listed?.os_deprecated, undefined);
      assert.equal(after.launch, 'ok');

      // Tencent's own switch, ModifyImageAttribute ImageDeprecated, seen through Glance.
      assert.equal(
        (await tencent(owner, 'ModifyImageAttribute', { ImageId: id, ImageDeprecated: true })).Error,
        undefined,
      );
      assert.equal(((await glance(receiver, 'GET', `/v2/images/${id}`)).body as Json).os_deprecated, 'true');
      await tencent(owner, 'ModifyImageAttribute', { ImageId: id, ImageDeprecated: false });
      assert.equal(
        ((await glance(receiver, 'GET', `/v2/images/${id}`)).body as Json).os_deprecated,
        undefined,
      );

      // The owner's history (receivers hear of it through their inbox, notify's part of issue 12).
      const history = (await consoleCall(t, owner.console, 'GET', '/history')).body as { items: Json[] };
      const entries = history.items.filter((e) => e.imageId === id && /deprecate/.test(String(e.action)));
      assert.deepEqual(entries.map((e) => [e.action, e.details]).reverse(), [
        ['deprecate', { replacement, obsoleteAt }],
        ['undeprecate', {}],
        ['deprecate', {}],
        ['undeprecate', {}],
      ]);
    });

    it("deprecation is the owner's, with clear refusals of bad input", async () => {
      const id = await sharedImage('refusals');
      const others = await createActiveImage(t.server.services, stranger.ctx, 'not-yours');
      const deprecate = (p: Party, body?: unknown) =>
        glance(p, 'POST', `/v2/images/${id}/actions/deprecate`, body);
      const cases: Array<[Party, unknown, number, RegExp]> = [
        [receiver, {}, 403, /shared with you, and only its owner may deprecate/],
        [stranger, {}, 404, /No image found/],
        [owner, { replacement: others }, 400, /was not found in this region/],
        [owner, { replacement: id }, 400, /cannot replace itself/],
        [owner, { obsolete_at: clock.later(-1000) }, 400, /must be in the future/],
        [owner, { obsolete_at: 'tomorrow' }, 400, /ISO-8601/],
        [owner, { obsolete_at: clock.later(11 * 366 * DAY) }, 400, /ten years/],
        [owner, { color: 'red' }, 400, /Unknown attribute 'color'/],
        [owner, { replacement: 7 }, 400, /replacement must be a string/],
      ];
      for (const [who, body, status, message] of cases) {
        const res = await deprecate(who, body);
        assert.equal(res.status, status, `${JSON.stringify(body)}: ${res.text}`);
        assert.match(res.text, message);
      }
      // An image in another region is not a replacement either (it is not there).
      const elsewhere = await createActiveImage(
        t.server.services,
        { ...owner.ctx, region: 'ap-shanghai' },
        'elsewhere',
      );
      assert.equal((await deprecate(owner, { replacement: elsewhere })).status, 400);
      // Nobody dresses an image up as deprecated by hand.
      const patched = await t.request('PATCH', `/v2/images/${id}`, {
        token: owner.token,
        headers: { 'content-type': PATCH_V21 },
        body: JSON.stringify([{ op: 'add', path: '/os_deprecated', value: 'true' }]),
      });
      assert.equal(patched.status, 403, patched.text);
    });

    it('disable suspends every share at once; enable brings each back as it was', async () => {
      const id = await sharedImage('disable');
      const end = clock.later(30 * DAY);
      await t.server.services.shares.setShareTerms(owner.ctx, id, receiver.account.id, {
        expiresAt: end,
        access: 'launch_and_copy',
      });
      assert.equal((await receiverView(id)).launch, 'ok');

      const disabled = await glance(owner, 'POST', `/v2/images/${id}/actions/disable`);
      assert.equal(disabled.status, 204, disabled.text);
      const gone = await receiverView(id);
      assert.equal(gone.listed, undefined);
      assert.equal(gone.show.status, 404);
      assert.equal(gone.described.TotalCount, 0);
      assert.equal(gone.item, undefined);
      assert.equal(gone.launch, 'InvalidImageId.NotFound');
      const members = await glance(receiver, 'GET', `/v2/images/${id}/members/${receiver.account.id}`);
      assert.equal(members.status, 404);
      // The owner still sees and uses it; the member rows stay.
      const mine = (await glance(owner, 'GET', `/v2/images/${id}`)).body as Json;
      assert.equal(mine.os_disabled, 'true');
      const list = (await glance(owner, 'GET', `/v2/images/${id}/members`)).body as { members: Json[] };
      assert.equal(list.members.length, 1);
      assert.equal((await owner.cvm.RunInstances({ ImageId: id })).InstanceIdSet?.length, 1);
      assert.equal((await cons(owner, 'GET', `/images/${id}`)).body && true, true);
      assert.equal(((await cons(owner, 'GET', `/images/${id}`)).body as Json).disabled, true);
      // Repeating is a no-op; a receiver or a stranger cannot.
      assert.equal((await glance(owner, 'POST', `/v2/images/${id}/actions/disable`)).status, 204);
      assert.equal((await glance(receiver, 'POST', `/v2/images/${id}/actions/enable`)).status, 404);
      assert.equal((await glance(stranger, 'POST', `/v2/images/${id}/actions/enable`)).status, 404);

      const enabled = await cons(owner, 'POST', `/images/${id}/enable`);
      assert.equal(enabled.status, 200, enabled.text);
      const back = await receiverView(id);
      assert.equal(back.show.status, 200);
      assert.equal(back.item?.shareStatus, 'accepted');
      assert.equal(back.item?.shareExpiresAt, end);
      assert.equal(back.item?.shareAccess, 'launch_and_copy');
      assert.equal(back.launch, 'ok');
      const history = await t.server.services.history.forImage(id);
      assert.deepEqual(
        history.filter((e) => e.action === 'disable' || e.action === 'enable').map((e) => e.action),
        ['disable', 'enable'],
      );
      // Glance's own deactivate / reactivate are unchanged beside it.
      assert.equal((await glance(owner, 'POST', `/v2/images/${id}/actions/deactivate`)).status, 204);
      assert.equal(((await glance(owner, 'GET', `/v2/images/${id}`)).body as Json).status, 'deactivated');
      assert.equal((await glance(owner, 'POST', `/v2/images/${id}/actions/reactivate`)).status, 204);
    });

    it('deletion protection: every API refuses the delete while it is set', async () => {
      const id = await createActiveImage(t.server.services, owner.ctx, 'protected');
      const set = await cons(owner, 'PATCH', `/images/${id}`, { protected: true });
      assert.equal(set.status, 200, set.text);
      assert.equal((set.body as Json).protected, true);
      const viaGlance = await glance(owner, 'DELETE', `/v2/images/${id}`);
      assert.equal(viaGlance.status, 403);
      assert.match(viaGlance.text, /is protected and cannot be deleted/);
      const viaTencent = await tencent(owner, 'DeleteImages', { ImageIds: [id] });
      assert.equal(viaTencent.Error?.Code, 'InvalidImageId.IncorrectState');
      assert.match(viaTencent.Error?.Message ?? '', /is protected and cannot be deleted/);
      const viaLegacy = await paramsRequest(
        t.url,
        owner.key,
        { Region: 'gz', Action: 'DeleteImages', 'imageIds.0': id },
        { path: '/v2/index.php' },
      );
      assert.match(JSON.stringify(viaLegacy.body), /is protected and cannot be deleted/);
      const viaConsole = await cons(owner, 'DELETE', `/images/${id}`);
      assert.equal(viaConsole.status, 409);
      assert.equal(errorOf(viaConsole).code, 'ImageProtected');
      assert.equal((await glance(owner, 'GET', `/v2/images/${id}`)).status, 200);
      // A receiver cannot lift it; the owner can (Glance's PATCH), then the delete goes ahead.
      const lifted = await t.request('PATCH', `/v2/images/${id}`, {
        token: owner.token,
        headers: { 'content-type': PATCH_V21 },
        body: JSON.stringify([{ op: 'replace', path: '/protected', value: false }]),
      });
      assert.equal(lifted.status, 200, lifted.text);
      assert.equal((await glance(owner, 'DELETE', `/v2/images/${id}`)).status, 204);
      const actions = (await t.server.services.history.forImage(id)).map((e) => e.action);
      assert.deepEqual(actions.slice(-3), ['protect', 'unprotect', 'delete']);
    });

    it('the recycle bin: deleted is not found anywhere, restorable with its shares until the retention ends, then purged', async () => {
      const id = await sharedImage('binned');
      // A share with a group as well: the purge ends it too (no group share left on a deleted image).
      const grouped = await party();
      const made = await glance(owner, 'POST', '/v2/groups', { name: 'binned group' });
      assert.equal(made.status, 201, made.text);
      const groupId = (made.body as Json).id as string;
      const joined = await glance(owner, 'POST', `/v2/groups/${groupId}/members`, {
        members: [grouped.account.id],
      });
      assert.equal(joined.status, 200, joined.text);
      const groupShare = await glance(owner, 'POST', `/v2/images/${id}/members`, { member: groupId });
      assert.equal(groupShare.status, 200, groupShare.text);
      const row = () =>
        t.server.db.kysely.selectFrom('images').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      const blobKey = (await row()).blob_key;
      assert.ok(blobKey);

      assert.equal((await glance(owner, 'DELETE', `/v2/images/${id}`)).status, 204);
      const deletedAt = clock.iso();
      // Not found through the normal API, for the owner too (Glance semantics: Tempest's delete checks).
      assert.equal((await glance(owner, 'GET', `/v2/images/${id}`)).status, 404);
      assert.equal((await glance(owner, 'DELETE', `/v2/images/${id}`)).status, 404);
      assert.equal((await owner.cvm.DescribeImages({ ImageIds: [id] })).TotalCount, 0);
      const gone = await receiverView(id);
      assert.equal(gone.show.status, 404);
      assert.equal(gone.listed, undefined);
      assert.equal(gone.launch, 'InvalidImageId.NotFound');
      // The owner's bin shows it, with its retention; nobody else's does.
      const bin = (await glance(owner, 'GET', '/v2/recycle-bin/images')).body as {
        images: Json[];
        total: number;
      };
      const binned = bin.images.find((i) => i.id === id);
      assert.equal(
        binned?.os_purge_after,
        new Date(Date.parse(deletedAt) + 7 * DAY).toISOString().replace(/\.\d+Z$/, 'Z'),
      );
      assert.equal(binned?.deleted_at, deletedAt.replace(/\.\d+Z$/, 'Z'));
      const theirs = (await glance(receiver, 'GET', '/v2/recycle-bin/images')).body as { images: Json[] };
      assert.equal(theirs.images.length, 0);
      const consoleBin = (await cons(owner, 'GET', '/recycle-bin')).body as { items: Json[] };
      assert.ok(consoleBin.items.some((i) => i.id === id && i.purgeAfter !== null));
      // The data and the member rows are kept.
      assert.equal((await row()).blob_key, blobKey);
      assert.equal((await row()).status, 'pending_delete');
      // Only the owner restores it.
      assert.equal((await glance(receiver, 'POST', `/v2/images/${id}/actions/restore`)).status, 404);
      assert.equal((await glance(stranger, 'POST', `/v2/images/${id}/actions/restore`)).status, 404);
      clock.advance(7 * DAY - 1); // the last millisecond of the retention
      const restored = await glance(owner, 'POST', `/v2/images/${id}/actions/restore`);
      assert.equal(restored.status, 204, restored.text);
      const back = await receiverView(id);
      assert.equal(back.show.status, 200);
      assert.equal(back.item?.shareStatus, 'accepted');
      assert.equal(back.launch, 'ok');
      assert.equal(((await glance(owner, 'GET', `/v2/images/${id}`)).body as Json).status, 'active');
      assert.equal((await glance(owner, 'POST', `/v2/images/${id}/actions/restore`)).status, 404);

      // Deleted again (Tencent this time), then the retention ends: gone for good, even before the purge.
      assert.equal((await tencent(owner, 'DeleteImages', { ImageIds: [id] })).Error, undefined);
      assert.equal((await glance(owner, 'GET', `/v2/images/${id}`)).status, 404);
      clock.advance(7 * DAY);
      assert.equal((await glance(owner, 'POST', `/v2/images/${id}/actions/restore`)).status, 404);
      const restoreByConsole = await cons(owner, 'POST', `/recycle-bin/${id}/restore`);
      assert.equal(restoreByConsole.status, 404);
      assert.equal(((await glance(owner, 'GET', '/v2/recycle-bin/images')).body as Json).total, 0);
      // (Images the earlier tests deleted are due too.)
      assert.ok((await t.server.services.images.purgeRecycleBin()) >= 1);
      assert.equal(await t.server.services.images.purgeRecycleBin(), 0, 'a second pass finds nothing');
      const purged = await row();
      assert.equal(purged.status, 'deleted');
      assert.equal(purged.blob_key, null);
      const members = await t.server.db.kysely
        .selectFrom('image_members')
        .select('member_id')
        .where('image_id', '=', id)
        .execute();
      assert.equal(members.length, 0);
      const groupShares = await t.server.db.kysely
        .selectFrom('image_group_shares')
        .select('group_id')
        .where('image_id', '=', id)
        .execute();
      assert.equal(groupShares.length, 0, 'the purge ends the share with the group too');
      const entries = (await t.server.services.history.forImage(id)).filter((e) =>
        ['delete', 'restore', 'cancel', 'purge'].includes(e.action),
      );
      assert.deepEqual(
        entries.map((e) => [e.action, e.targetAccountId ?? null]),
        [
          ['delete', null],
          ['restore', null],
          ['delete', null],
          ['cancel', receiver.account.id],
          ['cancel', groupId],
          ['purge', null],
        ],
      );
    });

    it('binned images do not count against the quota; a restore past it is refused', async () => {
      const quotaOwner = await party();
      const t2 = t.server.services;
      const ids: string[] = [];
      const quota = t.config.images.quotaPerRegion;
      t.config.images.quotaPerRegion = 2;
      try {
        ids.push(await createActiveImage(t2, quotaOwner.ctx, 'q1'));
        ids.push(await createActiveImage(t2, quotaOwner.ctx, 'q2'));
        await t2.images.delete(quotaOwner.ctx, ids[0] as string);
        ids.push(await createActiveImage(t2, quotaOwner.ctx, 'q3'));
        const refused = await glance(quotaOwner, 'POST', `/v2/images/${ids[0]}/actions/restore`);
        assert.equal(refused.status, 413, refused.text);
        assert.match(refused.text, /quota/i);
        await t2.images.delete(quotaOwner.ctx, ids[2] as string);
        assert.equal((await glance(quotaOwner, 'POST', `/v2/images/${ids[0]}/actions/restore`)).status, 204);
      } finally {
        t.config.images.quotaPerRegion = quota;
      }
    });

    it('the operator purges due images at once with `imageshare images purge-bin`', async () => {
      const id = await createActiveImage(t.server.services, owner.ctx, 'cli-purge');
      await t.server.services.images.delete(owner.ctx, id);
      // The CLI reads the system clock: move this image's retention end into the past.
      await t.server.db.kysely
        .updateTable('images')
        .set({ purge_after: new Date(Date.now() - 1000).toISOString() })
        .where('id', '=', id)
        .execute();
      const env: Record<string, string> = { IMAGESHARE_DATA_DIR: t.database.dataDir };
      if (target.dialect === 'postgres') {
        env.IMAGESHARE_DATABASE_URL = t.database.url;
        env.IMAGESHARE_DATABASE_SCHEMA = t.database.schema as string;
      }
      const run = await runCli(['images', 'purge-bin', '--json'], { env });
      assert.equal(run.code, 0, run.stderr);
      assert.ok((JSON.parse(run.stdout) as { purged: number }).purged >= 1, run.stdout);
      const row = await t.server.db.kysely
        .selectFrom('images')
        .select(['status', 'blob_key'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      assert.deepEqual(row, { status: 'deleted', blob_key: null });
    });

    it('the purge on two nodes at once: every due image purged exactly once, its data freed', async () => {
      const count = 12;
      const ids: string[] = [];
      for (let i = 0; i < count; i++)
        ids.push(await createActiveImage(t.server.services, owner.ctx, `p${i}`));
      for (const id of ids) await t.server.services.images.delete(owner.ctx, id);
      clock.advance(7 * DAY);
      // Every binned image now due (the earlier tests leave a few in the bin too).
      const due = await t.server.db.kysely
        .selectFrom('images')
        .select('id')
        .where('status', '=', 'pending_delete')
        .where('purge_after', '<=', clock.iso())
        .execute();
      assert.ok(due.length >= count);
      // A second node: its own connections to the same database and blob store.
      const secondDb =
        target.dialect === 'postgres'
          ? openDatabase({ url: t.database.url, schema: t.database.schema, poolSize: 4 })
          : t.server.db;
      const blobs = openBlobStore(t.config);
      const second = createServices({ config: t.config, db: secondDb, blobs, clock });
      try {
        const passes = await Promise.all([
          t.server.services.images.purgeRecycleBin(),
          second.images.purgeRecycleBin(),
          t.server.services.images.purgeRecycleBin(),
          second.images.purgeRecycleBin(),
        ]);
        assert.equal(
          passes.reduce((a, b) => a + b, 0),
          due.length,
          `passes: ${passes.join(', ')}`,
        );
        for (const id of ids) {
          const purges = (await t.server.services.history.forImage(id)).filter((e) => e.action === 'purge');
          assert.equal(purges.length, 1, `${id} purged ${purges.length} times`);
          const row = await t.server.db.kysely
            .selectFrom('images')
            .select(['status', 'blob_key'])
            .where('id', '=', id)
            .executeTakeFirstOrThrow();
          assert.deepEqual(row, { status: 'deleted', blob_key: null });
        }
      } finally {
        if (secondDb !== t.server.db) await secondDb.close();
        await blobs.close();
      }
    });
  });
});
