// The console API's image, share, instance, API key and region calls over real HTTP on every database:
// authorization (another account's image is 404; a receiver cannot rename, delete or share), bad input (400
// naming the field), server-side paging, sorting and search with totals, per-account share outcomes, the
// sharing panel's launch counts, leaving a share, and delete refused while shared.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachDatabase } from '../helpers/databases.js';
import { startTestServer, type TestAccount, type TestServer } from '../helpers/server.js';
import {
  assertRefused,
  consoleCall,
  consoleImage,
  consoleLogin,
  errorOf,
  type ConsoleLogin,
  type Json,
} from '../helpers/console.js';

interface Page {
  items: Json[];
  total: number;
  page: number;
  pageSize: number;
}

forEachDatabase((target) => {
  describe(
    `console images, shares and instances on ${target.dialect}`,
    { skip: target.skipReason ?? false },
    () => {
      let t: TestServer;
      let owner: ConsoleLogin;
      let receiver: ConsoleLogin;
      let stranger: ConsoleLogin;
      let accounts: TestAccount[];

      before(async () => {
        t = await startTestServer({ target, overrides: { 'sharing.maxAccountsPerImage': '3' } });
        accounts = await Promise.all([1, 2, 3, 4, 5, 6].map(() => t.createAccount()));
        const logins = await Promise.all(accounts.slice(0, 3).map((a) => consoleLogin(t, a)));
        [owner, receiver, stranger] = logins as [ConsoleLogin, ConsoleLogin, ConsoleLogin];
      });
      after(() => t?.close());

      const call = (s: ConsoleLogin | undefined, method: string, path: string, body?: unknown) =>
        consoleCall(t, s, method, path, body === undefined ? {} : { body });
      const share = async (id: string, accountIds: string[]) => {
        const res = await call(owner, 'POST', `/images/${id}/shares`, { accountIds });
        assert.equal(res.status, 200, res.text);
        return res.body as { results: Json[]; used: number; limit: number };
      };

      it('creates, uploads and shows an image with its MD5 and SHA-512; regions list the default', async () => {
        const data = Buffer.from('console image data');
        const image = await consoleImage(t, owner, 'first', { data });
        assert.equal(image.status, 'active');
        assert.equal(image.size, data.length);
        assert.equal(
          image.checksum,
          (await import('node:crypto')).createHash('md5').update(data).digest('hex'),
        );
        assert.equal(
          image.sha512,
          (await import('node:crypto')).createHash('sha512').update(data).digest('hex'),
        );
        assert.equal(image.isOwner, true);
        assert.equal(image.shareCount, 0);
        assert.equal(image.shareStatus, null);
        const shown = await call(owner, 'GET', `/images/${image.id as string}`);
        assert.deepEqual(shown.body, image);
        const regions = await call(owner, 'GET', '/regions');
        assert.deepEqual(regions.body, {
          regions: [
            { id: 'ap-guangzhou', isDefault: true },
            { id: 'ap-shanghai', isDefault: false },
          ],
          recycleBinDays: 7,
        });
      });

      it("answers 404 for another account's image on every image call", async () => {
        const image = await consoleImage(t, owner, 'private-to-owner');
        const id = image.id as string;
        const calls: Array<[string, string, unknown?]> = [
          ['GET', `/images/${id}`],
          ['PATCH', `/images/${id}`, { name: 'mine now' }],
          ['DELETE', `/images/${id}`],
          ['POST', `/images/${id}/copy`, { targetRegion: 'ap-shanghai' }],
          ['GET', `/images/${id}/shares`],
          ['POST', `/images/${id}/shares`, { accountIds: [stranger.account.id] }],
          ['DELETE', `/images/${id}/shares/${receiver.account.id}`],
          ['DELETE', `/images/${id}/shares`],
          ['PUT', `/shared/${id}/status`, { status: 'accepted' }],
          ['DELETE', `/shared/${id}`],
          ['GET', `/images/img-zzzzzzzz`],
        ];
        for (const [method, path, body] of calls) {
          assertRefused(await call(stranger, method, path, body), 404, 'ImageNotFound');
        }
        const upload = await consoleCall(t, stranger, 'PUT', `/images/${id}/file`, {
          body: Buffer.from('x'),
          headers: { 'content-type': 'application/octet-stream' },
        });
        assertRefused(upload, 404, 'ImageNotFound');
        const launch = await call(stranger, 'POST', '/instances', {
          region: 'ap-guangzhou',
          imageId: id,
          name: 'x',
        });
        assertRefused(launch, 404, 'ImageNotFound');
        // In the wrong region the image does not exist either.
        assertRefused(await call(owner, 'GET', `/images/${id}?region=ap-shanghai`), 404, 'ImageNotFound');
        assertRefused(await call(owner, 'GET', `/images/${id}?region=mars-1`), 404, 'RegionNotFound');
        const after = await call(owner, 'GET', `/images/${id}`);
        assert.equal((after.body as Json).name, 'private-to-owner', 'nothing changed');
      });

      it('lets a receiver see, accept, reject, launch and leave, but not rename, delete or share', async () => {
        const image = await consoleImage(t, owner, 'for-receiver');
        const id = image.id as string;
        const shared = await share(id, [receiver.account.id]);
        assert.deepEqual(shared.results, [
          {
            accountId: receiver.account.id,
            outcome: 'shared',
            message: `Shared with ${receiver.account.id}.`,
          },
        ]);

        const seen = (await call(receiver, 'GET', `/images/${id}`)).body as Json;
        assert.equal(seen.isOwner, false);
        assert.equal(seen.shareStatus, 'pending');
        assert.equal(seen.shareCount, null);
        assertRefused(
          await call(receiver, 'PATCH', `/images/${id}`, { name: 'renamed' }),
          403,
          'SharedImageModifyUnsupported',
        );
        assertRefused(await call(receiver, 'DELETE', `/images/${id}`), 403, 'NotImageOwner');
        assertRefused(
          await call(receiver, 'POST', `/images/${id}/shares`, { accountIds: [stranger.account.id] }),
          403,
          'NotImageOwner',
        );
        assertRefused(await call(receiver, 'DELETE', `/images/${id}/shares`), 403, 'NotImageOwner');
        assertRefused(
          await call(receiver, 'DELETE', `/images/${id}/shares/${receiver.account.id}`),
          403,
          'NotImageOwner',
        );
        assertRefused(await call(receiver, 'GET', `/images/${id}/shares`), 403, 'NotImageOwner');
        const upload = await consoleCall(t, receiver, 'PUT', `/images/${id}/file`, {
          body: Buffer.from('overwrite'),
          headers: { 'content-type': 'application/octet-stream' },
        });
        assertRefused(upload, 403, 'NotImageOwner');
        assertRefused(await call(owner, 'DELETE', `/shared/${id}`), 403, 'Forbidden');

        const accepted = await call(receiver, 'PUT', `/shared/${id}/status`, { status: 'accepted' });
        assert.equal((accepted.body as Json).shareStatus, 'accepted');
        const sharedTab = (await call(receiver, 'GET', '/images?kind=shared')).body as Page;
        assert.ok(
          sharedTab.items.some(
            (i) => i.id === id && i.shareStatus === 'accepted' && i.ownerId === owner.account.id,
          ),
        );
        const rejected = await call(receiver, 'PUT', `/shared/${id}/status`, { status: 'rejected' });
        assert.equal((rejected.body as Json).shareStatus, 'rejected');
        assertRefused(
          await call(receiver, 'PUT', `/shared/${id}/status`, { status: 'pending' }),
          400,
          'InvalidInput',
        );

        const instance = await call(receiver, 'POST', '/instances', {
          region: 'ap-guangzhou',
          imageId: id,
          name: 'vm-1',
        });
        assert.equal(instance.status, 201, instance.text);
        assert.equal((instance.body as Json).imageName, 'for-receiver');
        assert.equal((instance.body as Json).state, 'RUNNING');
        await call(receiver, 'POST', '/instances', { region: 'ap-guangzhou', imageId: id, name: 'vm-2' });
        const terminated = await call(
          receiver,
          'DELETE',
          `/instances/${(instance.body as Json).id as string}`,
        );
        assert.equal(terminated.status, 204);

        const panel = (await call(owner, 'GET', `/images/${id}/shares`)).body as Json;
        assert.equal(panel.used, 1);
        assert.equal(panel.limit, 3);
        const [row] = panel.shares as Json[];
        assert.equal(row?.accountId, receiver.account.id);
        assert.equal(row?.status, 'rejected');
        assert.equal(row?.launches, 2);
        assert.equal(row?.runningInstances, 1);

        const left = await call(receiver, 'DELETE', `/shared/${id}`);
        assert.equal(left.status, 204);
        assertRefused(await call(receiver, 'GET', `/images/${id}`), 404, 'ImageNotFound');
        assertRefused(await call(receiver, 'DELETE', `/shared/${id}`), 404, 'ImageNotFound');
        assert.equal(((await call(owner, 'GET', `/images/${id}/shares`)).body as Json).used, 0);
      });

      it('shares with several accounts, each with its own outcome, up to the limit', async () => {
        const image = await consoleImage(t, owner, 'many');
        const id = image.id as string;
        const [a3, a4, a5, a6] = accounts.slice(2) as [TestAccount, TestAccount, TestAccount, TestAccount];
        const first = await share(id, [a3.id, a3.id, owner.account.id, '12345678901234', 'abc', a4.id]);
        assert.deepEqual(
          first.results.map((r) => [r.accountId, r.outcome]),
          [
            [a3.id, 'shared'],
            [owner.account.id, 'self'],
            ['12345678901234', 'unknownAccount'],
            ['abc', 'invalid'],
            [a4.id, 'shared'],
          ],
        );
        for (const r of first.results) assert.ok((r.message as string).length > 0);
        assert.equal(first.used, 2);
        const second = await share(id, [a3.id, a5.id, a6.id]);
        assert.deepEqual(
          second.results.map((r) => [r.accountId, r.outcome]),
          [
            [a3.id, 'alreadyShared'],
            [a5.id, 'shared'],
            [a6.id, 'limitReached'],
          ],
        );
        assert.equal(second.used, 3);
        assert.equal(second.limit, 3);
        const listed = (await call(owner, 'GET', '/images?kind=custom&search=many')).body as Page;
        assert.equal(listed.items[0]?.shareCount, 3);

        const refused = await call(owner, 'DELETE', `/images/${id}`);
        const details = assertRefused(refused, 409, 'ImageInShared');
        assert.equal(details.shareCount, 3);
        assert.equal((await call(owner, 'DELETE', `/images/${id}/shares/${a3.id}`)).status, 204);
        assertRefused(await call(owner, 'DELETE', `/images/${id}/shares/${a3.id}`), 404, 'MemberNotFound');
        assert.equal(((await call(owner, 'GET', `/images/${id}/shares`)).body as Json).used, 2);
        assert.equal((await call(owner, 'DELETE', `/images/${id}/shares`)).status, 204);
        assert.equal(((await call(owner, 'GET', `/images/${id}/shares`)).body as Json).used, 0);
        assert.equal((await call(owner, 'DELETE', `/images/${id}`)).status, 204);
        assertRefused(await call(owner, 'GET', `/images/${id}`), 404, 'ImageNotFound');
      });

      it('renames, re-describes and copies to another region', async () => {
        const image = await consoleImage(t, owner, 'to-rename');
        const id = image.id as string;
        const renamed = await call(owner, 'PATCH', `/images/${id}`, {
          name: 'renamed',
          description: 'now described',
        });
        assert.equal(renamed.status, 200, renamed.text);
        assert.equal((renamed.body as Json).name, 'renamed');
        assert.equal((renamed.body as Json).description, 'now described');
        const copy = await call(owner, 'POST', `/images/${id}/copy`, {
          targetRegion: 'ap-shanghai',
          name: 'copy-sh',
        });
        assert.equal(copy.status, 201, copy.text);
        assert.equal((copy.body as Json).region, 'ap-shanghai');
        assert.equal((copy.body as Json).checksum, image.checksum);
        const shanghai = (await call(owner, 'GET', '/images?region=ap-shanghai&kind=custom')).body as Page;
        assert.ok(shanghai.items.some((i) => i.id === (copy.body as Json).id));
        const copied = await call(owner, 'GET', `/images/${(copy.body as Json).id as string}`);
        assert.equal(copied.status, 200, 'found in its region without naming it');
        assertRefused(
          await call(owner, 'POST', `/images/${id}/copy`, { targetRegion: 'nowhere' }),
          404,
          'RegionNotFound',
        );
      });

      it('pages, sorts and searches the image tables with totals', async () => {
        const fresh = await consoleLogin(t, accounts[5] as TestAccount);
        const names = ['delta', 'Alpha', 'charlie', 'bravo', 'echo'];
        const made: Json[] = [];
        for (const [i, name] of names.entries()) {
          made.push(await consoleImage(t, fresh, name, { data: Buffer.alloc(10 * (i + 1)) }));
        }
        const list = async (query: string) => {
          const res = await call(fresh, 'GET', `/images?kind=custom&${query}`);
          assert.equal(res.status, 200, res.text);
          return res.body as Page;
        };
        const byName = await list('sort=name&order=asc&pageSize=2&page=1');
        assert.equal(byName.total, 5);
        assert.equal(byName.page, 1);
        assert.equal(byName.pageSize, 2);
        assert.deepEqual(
          byName.items.map((i) => i.name),
          ['Alpha', 'bravo'],
        );
        const allByName = [
          ...(await list('sort=name&order=asc&pageSize=2&page=1')).items,
          ...(await list('sort=name&order=asc&pageSize=2&page=2')).items,
          ...(await list('sort=name&order=asc&pageSize=2&page=3')).items,
        ].map((i) => i.name);
        assert.deepEqual(
          allByName,
          ['Alpha', 'bravo', 'charlie', 'delta', 'echo'],
          'pages neither repeat nor skip',
        );
        const bySize = (await list('sort=size&order=desc')).items.map((i) => i.size);
        assert.deepEqual(bySize, [50, 40, 30, 20, 10]);
        const byCreated = (await list('sort=createdAt&order=asc')).items.map((i) => i.name);
        assert.deepEqual(byCreated, names);
        const search = await list('search=ALP');
        assert.equal(search.total, 1);
        assert.equal(search.items[0]?.name, 'Alpha');
        const byId = await list(`search=${made[2]?.id as string}`);
        assert.deepEqual(
          byId.items.map((i) => i.id),
          [made[2]?.id],
        );
        assert.equal((await list('search=nothing-like-this')).total, 0);
        const beyond = await list('page=9&pageSize=2');
        assert.equal(beyond.total, 5);
        assert.deepEqual(beyond.items, []);
        assert.equal(((await call(fresh, 'GET', '/images?kind=shared')).body as Page).total, 0);
        assert.equal(((await call(fresh, 'GET', '/images?kind=public')).body as Page).total, 0);
      });

      it('refuses bad input with a 400 naming the field', async () => {
        const image = await consoleImage(t, owner, 'input-checks');
        const id = image.id as string;
        const cases: Array<[string, string, unknown, string]> = [
          ['GET', '/images?pageSize=101', undefined, 'querystring.pageSize'],
          ['GET', '/images?page=0', undefined, 'querystring.page'],
          ['GET', '/images?kind=everything', undefined, 'querystring.kind'],
          ['GET', '/images?sort=owner', undefined, 'querystring.sort'],
          ['GET', '/images?order=up', undefined, 'querystring.order'],
          ['GET', '/images?bogus=1', undefined, 'querystring.bogus'],
          ['GET', '/instances?page=-1', undefined, 'querystring.page'],
          ['GET', '/history?pageSize=abc', undefined, 'querystring.pageSize'],
          [
            'POST',
            '/images',
            { region: 'ap-guangzhou', diskFormat: 'raw', containerFormat: 'bare' },
            'body.name',
          ],
          [
            'POST',
            '/images',
            { region: 'ap-guangzhou', name: 'x'.repeat(256), diskFormat: 'raw', containerFormat: 'bare' },
            'body.name',
          ],
          ['PATCH', `/images/${id}`, {}, 'body'],
          ['PATCH', `/images/${id}`, { name: 5 }, 'body.name'],
          ['PATCH', `/images/${id}`, { visibility: 'public' }, 'body.visibility'],
          ['POST', `/images/${id}/shares`, { accountIds: [] }, 'body.accountIds'],
          [
            'POST',
            `/images/${id}/shares`,
            { accountIds: Array.from({ length: 51 }, (_, i) => String(10000 + i)) },
            'body.accountIds',
          ],
          ['POST', `/images/${id}/shares`, { accountIds: 'all' }, 'body.accountIds'],
          ['POST', `/images/${id}/copy`, {}, 'body.targetRegion'],
          ['PUT', `/shared/${id}/status`, { status: 'maybe' }, 'body.status'],
          ['POST', '/instances', { region: 'ap-guangzhou', imageId: id }, 'body.name'],
          ['PUT', '/account/password', { currentPassword: 'x' }, 'body.newPassword'],
          ['GET', '/images?search=a%00b', undefined, 'querystring.search'],
          ['PATCH', `/images/${id}`, { name: 'nul\u0000name' }, 'body.name'],
          ['POST', `/images/${id}/shares`, { accountIds: ['1234\u00005'] }, 'body.accountIds.0'],
          ['POST', '/instances', { region: 'ap-guangzhou', imageId: id, name: 'a\u0000' }, 'body.name'],
        ];
        for (const [method, path, body, field] of cases) {
          const res = await call(owner, method, path, body);
          const details = assertRefused(res, 400, 'InvalidInput');
          assert.equal(details.field, field, `${method} ${path}: ${res.text}`);
          assert.ok(errorOf(res).message.includes(field), errorOf(res).message);
        }
        const badFormat = await call(owner, 'POST', '/images', {
          region: 'ap-guangzhou',
          name: 'bad-format',
          diskFormat: 'floppy',
          containerFormat: 'bare',
        });
        assertRefused(badFormat, 400, 'InvalidInput');
        const noType = await consoleCall(t, owner, 'PUT', `/images/${id}/file`, {
          body: 'text data',
          headers: { 'content-type': 'text/plain' },
        });
        assert.equal(noType.status, 415);
        assert.equal(errorOf(noType).code, 'UnsupportedMediaType');
      });

      it('lists, creates and terminates instances; another account cannot terminate mine', async () => {
        const image = await consoleImage(t, owner, 'instance-source');
        const id = image.id as string;
        const made = await call(owner, 'POST', '/instances', {
          region: 'ap-guangzhou',
          imageId: id,
          name: 'web-1',
        });
        assert.equal(made.status, 201, made.text);
        const instanceId = (made.body as Json).id as string;
        const listed = (await call(owner, 'GET', '/instances?region=ap-guangzhou')).body as Page;
        assert.ok(listed.total >= 1);
        assert.deepEqual(
          listed.items.find((i) => i.id === instanceId),
          {
            ...(made.body as Json),
          },
        );
        assertRefused(await call(stranger, 'DELETE', `/instances/${instanceId}`), 404, 'InstanceNotFound');
        assert.equal((await call(owner, 'DELETE', `/instances/${instanceId}`)).status, 204);
        const after = (await call(owner, 'GET', '/instances')).body as Page;
        const gone = after.items.find((i) => i.id === instanceId) as Json;
        assert.equal(gone.state, 'TERMINATED');
        assert.ok(gone.terminatedAt);
        const queued = await call(owner, 'POST', '/images', {
          region: 'ap-guangzhou',
          name: 'no-data',
          diskFormat: 'raw',
          containerFormat: 'bare',
        });
        const notActive = await call(owner, 'POST', '/instances', {
          region: 'ap-guangzhou',
          imageId: (queued.body as Json).id,
          name: 'x',
        });
        assertRefused(notActive, 409, 'InvalidImageStatus');
      });

      it('creates API keys (SecretKey once), disables, enables and deletes them; another account gets 404', async () => {
        const created = await call(receiver, 'POST', '/account/api-keys');
        assert.equal(created.status, 201, created.text);
        const key = created.body as Json;
        assert.match(key.secretId as string, /^AKID[A-Za-z0-9]{32}$/);
        assert.match(key.secretKey as string, /^[A-Za-z0-9]{32}$/);
        assert.equal(key.enabled, true);
        const listed = (await call(receiver, 'GET', '/account/api-keys')).body as { apiKeys: Json[] };
        assert.deepEqual(listed.apiKeys, [
          { secretId: key.secretId, enabled: true, createdAt: key.createdAt },
        ]);
        assert.ok(!JSON.stringify(listed).includes(key.secretKey as string), 'the SecretKey is shown once');
        const path = `/account/api-keys/${key.secretId as string}`;
        for (const action of ['disable', 'enable', 'DELETE'] as const) {
          const res =
            action === 'DELETE'
              ? await call(stranger, 'DELETE', path)
              : await call(stranger, 'POST', `${path}/${action}`);
          assertRefused(res, 404, 'ApiKeyNotFound');
        }
        const disabled = await call(receiver, 'POST', `${path}/disable`);
        assert.deepEqual(disabled.body, { secretId: key.secretId, enabled: false, createdAt: key.createdAt });
        assert.equal(
          await t.server.services.apiKeys.resolve(key.secretId as string),
          null,
          'disabled keys stop working',
        );
        const enabled = await call(receiver, 'POST', `${path}/enable`);
        assert.equal((enabled.body as Json).enabled, true);
        assert.ok(await t.server.services.apiKeys.resolve(key.secretId as string));
        assert.equal((await call(receiver, 'DELETE', path)).status, 204);
        assertRefused(await call(receiver, 'DELETE', path), 404, 'ApiKeyNotFound');
        assert.deepEqual(((await call(receiver, 'GET', '/account/api-keys')).body as Json).apiKeys, []);
      });
    },
  );
});
