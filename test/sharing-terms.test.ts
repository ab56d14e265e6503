// Issue 12 through every API, on both databases: a share that ends while its receiver is listing and
// launching grants nothing from its end time on (the test moves the service's clock across the end, no
// sleeps), on Glance, Tencent API 3.0, the legacy API and the console API; consent "launch"; the copy grant;
// the pre-flight check; the owner's live usage.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachDatabase } from './helpers/databases.js';
import { newParty, type Party } from './helpers/party.js';
import { ManualClock } from './helpers/clock.js';
import { consoleCall, errorOf, type Json } from './helpers/console.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { createActiveImage, paramsRequest, sdkErrorCode } from './helpers/tencent.js';

const REGION = 'ap-guangzhou';

forEachDatabase((target) => {
  describe(`share terms (issue 12) on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    let t: TestServer;
    const clock = new ManualClock();
    let owner: Party;
    let receiver: Party;

    const party = (): Promise<Party> => newParty(t, REGION);

    const glance = (p: Party, method: string, path: string, body?: unknown) =>
      t.request(method, path, { token: p.token, ...(body !== undefined ? { body } : {}) });
    const cons = (p: Party, method: string, path: string, body?: unknown) =>
      consoleCall(t, p.console, method, `${path}${path.includes('?') ? '&' : '?'}region=${REGION}`, {
        ...(body !== undefined ? { body } : {}),
      });
    async function legacy(p: Party, params: Record<string, string>): Promise<Json> {
      const res = await paramsRequest(t.url, p.key, { Region: 'gz', ...params }, { path: '/v2/index.php' });
      assert.equal(res.status, 200);
      return res.body;
    }

    /** Whether the receiver sees the image in each API's list, and may read it and launch it there. */
    async function receiverView(id: string) {
      const glanceList = await glance(receiver, 'GET', '/v2/images?member_status=all');
      const glanceGet = await glance(receiver, 'GET', `/v2/images/${id}`);
      const described = await receiver.cvm.DescribeImages({ ImageIds: [id] });
      const legacyList = await legacy(receiver, { Action: 'DescribeImages', imageType: '4' });
      const consoleList = await cons(receiver, 'GET', '/images?kind=shared');
      const consoleLaunch = await cons(receiver, 'POST', '/instances', {
        region: REGION,
        imageId: id,
        name: 'from-console',
      });
      let tencentLaunch = 'ok';
      await receiver.cvm.RunInstances({ ImageId: id }).catch((err: { code?: string }) => {
        tencentLaunch = err.code ?? 'error';
      });
      const items = (consoleList.body as { items: Array<Json> }).items;
      return {
        glanceListed: (glanceList.body as { images: Array<{ id: string }> }).images.some((i) => i.id === id),
        glanceGet: glanceGet.status,
        tencentListed: described.TotalCount === 1,
        legacyListed: (legacyList.imageSet as Array<{ unImgId: string }>).some((i) => i.unImgId === id),
        consoleListed: items.some((i) => i.id === id),
        consoleShareExpiresAt: items.find((i) => i.id === id)?.shareExpiresAt ?? null,
        consoleLaunch: consoleLaunch.status,
        tencentLaunch,
      };
    }

    before(async () => {
      t = await startTestServer({ target, clock, overrides: { regions: `${REGION},ap-shanghai` } });
      owner = await party();
      receiver = await party();
    });
    after(async () => t.close());

    it('a share ending while the receiver lists and launches grants nothing from its end, on every API', async () => {
      const id = await createActiveImage(t.server.services, owner.ctx, 'expiring');
      const end = clock.later(60_000);
      const added = await glance(owner, 'POST', `/v2/images/${id}/members`, {
        member: receiver.account.id,
        expires_at: end,
      });
      assert.equal(added.status, 200, added.text);
      assert.equal((added.body as Json).expires_at, end);
      assert.equal((added.body as Json).access, 'launch');
      // The receiver sees the end time too (its own member row, the console's shared table).
      const own = await glance(receiver, 'GET', `/v2/images/${id}/members/${receiver.account.id}`);
      assert.equal((own.body as Json).expires_at, end);
      const permission = await owner.cvm.DescribeImageSharePermission({ ImageId: id });
      assert.equal(
        (permission.SharePermissionSet?.[0] as unknown as Json).ExpiresAt,
        // Exact to the millisecond (issue 12: Tencent used to drop them, so the end shown came earlier).
        end.replace(/\.000Z$/, 'Z'),
      );

      clock.set(new Date(Date.parse(end) - 1)); // the last millisecond of the share
      assert.deepEqual(await receiverView(id), {
        glanceListed: true,
        glanceGet: 200,
        tencentListed: true,
        legacyListed: true,
        consoleListed: true,
        consoleShareExpiresAt: end,
        consoleLaunch: 201,
        tencentLaunch: 'ok',
      });

      clock.set(end); // the share's end: from this instant it grants nothing
      assert.deepEqual(await receiverView(id), {
        glanceListed: false,
        glanceGet: 404,
        tencentListed: false,
        legacyListed: false,
        consoleListed: false,
        consoleShareExpiresAt: null,
        consoleLaunch: 404,
        tencentLaunch: 'InvalidImageId.NotFound',
      });
      assert.equal(
        (await glance(receiver, 'GET', `/v2/images/${id}/members/${receiver.account.id}`)).status,
        404,
      );

      // The owner still sees the ended share, its end time and the launches made while it held.
      const panel = (await cons(owner, 'GET', `/images/${id}/shares`)).body as Json & { shares: Json[] };
      assert.equal(panel.used, 0, 'an ended share holds no place in the limit');
      const share = panel.shares[0] as Json;
      assert.equal(share.live, false);
      assert.equal(share.expiresAt, end);
      assert.equal(share.launches, 2);
      assert.equal(share.runningInstances, 2);
      assert.equal(share.lastLaunchAt, new Date(Date.parse(end) - 1).toISOString());
      // Both sides' history keep the share with its end time.
      const history = await consoleCall(t, receiver.console, 'GET', '/history');
      const entry = (history.body as { items: Json[] }).items.find(
        (e) => e.imageId === id && e.action === 'share',
      );
      assert.equal((entry?.details as Json | undefined)?.expiresAt, end);

      // Sharing again renews the ended share (a new pending share, without an end here).
      const renewed = await glance(owner, 'POST', `/v2/images/${id}/members`, {
        member: receiver.account.id,
      });
      assert.equal(renewed.status, 200, renewed.text);
      assert.equal((renewed.body as Json).expires_at, null);
      assert.equal((await glance(receiver, 'GET', `/v2/images/${id}`)).status, 200);
    });

    it('consent "launch": a pending or rejected receiver cannot launch until it accepts, on every API', async () => {
      const id = await createActiveImage(t.server.services, owner.ctx, 'consent');
      assert.equal((await cons(owner, 'PUT', `/images/${id}/consent`, { consent: 'launch' })).status, 204);
      await owner.cvm.ModifyImageSharePermission({
        ImageId: id,
        AccountIds: [receiver.account.id],
        Permission: 'SHARE',
      });
      assert.equal(
        await sdkErrorCode(() => receiver.cvm.RunInstances({ ImageId: id })),
        'UnauthorizedOperation.ShareNotAccepted',
      );
      const refused = await cons(receiver, 'POST', '/instances', { region: REGION, imageId: id, name: 'x' });
      assert.equal(refused.status, 403);
      assert.equal(errorOf(refused).code, 'ShareNotAccepted');
      // Still listed and readable (consent gates launching).
      assert.equal((await receiver.cvm.DescribeImages({ ImageIds: [id] })).TotalCount, 1);
      await glance(receiver, 'PUT', `/v2/images/${id}/members/${receiver.account.id}`, {
        status: 'rejected',
      });
      assert.equal(
        await sdkErrorCode(() => receiver.cvm.RunInstances({ ImageId: id })),
        'UnauthorizedOperation.ShareNotAccepted',
      );
      await glance(receiver, 'PUT', `/v2/images/${id}/members/${receiver.account.id}`, {
        status: 'accepted',
      });
      assert.equal((await receiver.cvm.RunInstances({ ImageId: id })).InstanceIdSet?.length, 1);

      // The owner's default applies to an image without its own setting; the image's own setting wins.
      const other = await createActiveImage(t.server.services, owner.ctx, 'by-default');
      assert.equal((await cons(owner, 'PUT', '/sharing-defaults', { consent: 'launch' })).status, 200);
      await glance(owner, 'POST', `/v2/images/${other}/members`, { member: receiver.account.id });
      assert.equal(
        await sdkErrorCode(() => receiver.cvm.RunInstances({ ImageId: other })),
        'UnauthorizedOperation.ShareNotAccepted',
      );
      await cons(owner, 'PUT', `/images/${other}/consent`, { consent: 'listing' });
      assert.equal((await receiver.cvm.RunInstances({ ImageId: other })).InstanceIdSet?.length, 1);
      await cons(owner, 'PUT', '/sharing-defaults', { consent: null });
    });

    it("copying a shared image needs the owner's grant (SyncImages, legacy SyncCvmImage, console copy)", async () => {
      const id = await createActiveImage(t.server.services, owner.ctx, 'copy-grant');
      await glance(owner, 'POST', `/v2/images/${id}/members`, { member: receiver.account.id });
      assert.equal(
        await sdkErrorCode(() => receiver.cvm.SyncImages({ ImageIds: [id], DestinationRegions: [REGION] })),
        'UnauthorizedOperation.CopyNotGranted',
      );
      const legacyCopy = await legacy(receiver, {
        Action: 'SyncCvmImage',
        srcRegion: 'gz',
        'imgIdList.0': id,
        'dstRegion.0': 'gz',
      });
      assert.equal(legacyCopy.codeDesc, 'UnauthorizedOperation.CopyNotGranted', JSON.stringify(legacyCopy));
      const consoleCopy = await cons(receiver, 'POST', `/images/${id}/copy`, { targetRegion: REGION });
      assert.equal(consoleCopy.status, 403, consoleCopy.text);
      assert.equal(errorOf(consoleCopy).code, 'CopyNotGranted');
      // The owner grants it on the existing share (Glance extension: PUT with only the terms).
      const granted = await glance(owner, 'PUT', `/v2/images/${id}/members/${receiver.account.id}`, {
        access: 'launch_and_copy',
      });
      assert.equal(granted.status, 200, granted.text);
      assert.equal((granted.body as Json).access, 'launch_and_copy');
      const copy = await receiver.cvm.SyncImages({
        ImageIds: [id],
        DestinationRegions: [REGION],
        ImageSetRequired: true,
      });
      assert.equal(copy.ImageSet?.length, 1);
      // Another member's PUT of terms is refused: only the owner sets them.
      const byReceiver = await glance(receiver, 'PUT', `/v2/images/${id}/members/${receiver.account.id}`, {
        access: 'launch',
      });
      assert.equal(byReceiver.status, 403);
    });

    it('pre-flight: the same verdicts as the share, per account, changing nothing (Glance and console)', async () => {
      const id = await createActiveImage(t.server.services, owner.ctx, 'preflight');
      await glance(owner, 'POST', `/v2/images/${id}/members`, { member: receiver.account.id });
      const fresh = await t.createAccount();
      const accounts = [fresh.id, receiver.account.id, owner.account.id, '99999999999', 'abc'];
      const checked = await glance(owner, 'POST', `/v2/images/${id}/members-preflight`, {
        members: accounts,
      });
      assert.equal(checked.status, 200, checked.text);
      const codes = (checked.body as { results: Json[] }).results.map((r) => [r.member_id, r.ok, r.code]);
      assert.deepEqual(codes, [
        [fresh.id, true, null],
        [receiver.account.id, false, 'MemberAlreadyExists'],
        [owner.account.id, false, 'ShareWithSelf'],
        ['99999999999', false, 'AccountNotFound'],
        ['abc', false, 'AccountNotFound'],
      ]);
      // Nothing changed: still one member.
      const members = await glance(owner, 'GET', `/v2/images/${id}/members`);
      assert.equal((members.body as { members: Json[] }).members.length, 1);
      const viaConsole = await cons(owner, 'POST', `/images/${id}/shares/check`, { accountIds: accounts });
      assert.deepEqual(
        (viaConsole.body as { results: Json[] }).results.map((r) => r.outcome),
        ['shared', 'alreadyShared', 'self', 'unknownAccount', 'invalid'],
      );
      // A receiver may not pre-flight the owner's image; a stranger does not see it.
      assert.equal(
        (await glance(receiver, 'POST', `/v2/images/${id}/members-preflight`, { members: [fresh.id] }))
          .status,
        403,
      );
      const stranger = await t.createAccount();
      const strangerToken = await t.token(stranger);
      const hidden = await t.request('POST', `/v2/images/${id}/members-preflight`, {
        token: strangerToken,
        body: { members: [fresh.id] },
      });
      assert.equal(hidden.status, 404);
    });
  });
});
